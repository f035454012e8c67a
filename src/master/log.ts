// The master's own messages (not access logs): one line each on stderr, in HAProxy's shape
// `[NOTICE]   (pid) : message`, so journald and humans read them the same way.

export interface Logger {
  notice(msg: string): void;
  warning(msg: string): void;
  alert(msg: string): void;
}

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l), quiet = false): Logger {
  const emit = (level: string, msg: string) => {
    for (const line of msg.split('\n')) write(`[${level}]`.padEnd(10) + ` (${process.pid}) : ${line}\n`);
  };
  return {
    notice: (m) => {
      if (!quiet) emit('NOTICE', m);
    },
    warning: (m) => emit('WARNING', m),
    alert: (m) => emit('ALERT', m),
  };
}
