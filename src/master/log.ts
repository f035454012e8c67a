// The master's own messages (not access logs): one line each on stderr, in HAProxy's shape
// `[NOTICE]   (pid) : message`, so journald and humans read them the same way. Written through a
// writer that never blocks or throws (src/log/fd-writer.ts): a master whose stderr is a full disk,
// a closed pipe or a reader that stopped reading drops its messages and keeps serving.
import { createLineWriter, openTarget } from '../log/fd-writer.ts';
import { noticeLine } from '../log/notice.ts';

export interface Logger {
  notice(msg: string): void;
  warning(msg: string): void;
  alert(msg: string): void;
}

/** fd 2 through a bounded nonblocking writer; its own failure is reported once (on stderr). */
export function stderrLineWriter(): (line: string) => void {
  const writer = createLineWriter({
    name: 'stderr',
    target: openTarget(2),
    report: (level, message) => void writer.write(noticeLine(level === 'alert' ? 'ALERT' : 'NOTICE', message)),
  });
  // Lines logged just before process.exit (e.g. 'master exiting') are written on the way out.
  process.once('exit', () => writer.flushSync());
  return (line) => void writer.write(line);
}

export function createLogger(write: (line: string) => void = stderrLineWriter(), quiet = false): Logger {
  const emit = (level: 'NOTICE' | 'WARNING' | 'ALERT', msg: string) => {
    for (const line of msg.split('\n')) write(noticeLine(level, line));
  };
  return {
    notice: (m) => {
      if (!quiet) emit('NOTICE', m);
    },
    warning: (m) => emit('WARNING', m),
    alert: (m) => emit('ALERT', m),
  };
}
