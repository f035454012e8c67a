// Where access-log lines go: stdout/stderr (one write per line, so lines from several workers
// never interleave), UDP syslog (RFC 3164) through one dgram socket per worker, or a unix
// datagram socket — which Node cannot open, so that falls back to stderr with one warning.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { LogTarget } from '../config/model.ts';

export type LogSink = (line: string) => void;

const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  auth2: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, cron2: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
const LEVELS: Record<string, number> = {
  emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7,
};
/** Access logs are emitted at `info`, like HAProxy's traffic logs. */
const ACCESS_LEVEL = LEVELS.info as number;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `<134>Feb  6 12:14:14 handoff[1234]: line` — RFC 3164 with a space-padded day. */
export function syslogFrame(line: string, facility: string, pid: number, now: Date = new Date()): string {
  const pri = (FACILITIES[facility] ?? 16) * 8 + ACCESS_LEVEL;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${MONTHS[now.getMonth()]} ${String(now.getDate()).padStart(2, ' ')} ${p2(now.getHours())}:${p2(now.getMinutes())}:${p2(now.getSeconds())}`;
  return `<${pri}>${stamp} handoff[${pid}]: ${line}`;
}

/** Build sinks for log targets; udp sockets are shared per worker through `udpSocket`. */
export function createSinks(targets: readonly LogTarget[], shared: SharedLogResources): LogSink[] {
  const sinks: LogSink[] = [];
  for (const t of targets) {
    if (t.level !== undefined && (LEVELS[t.level] ?? 7) < ACCESS_LEVEL) continue;
    switch (t.kind) {
      case 'stdout':
        sinks.push((line) => void process.stdout.write(line + '\n'));
        break;
      case 'stderr':
        sinks.push((line) => void process.stderr.write(line + '\n'));
        break;
      case 'udp': {
        const socket = shared.udp(isIPv6(t.host) ? 'udp6' : 'udp4');
        const { host, port, facility } = t;
        sinks.push((line) => {
          const msg = Buffer.from(syslogFrame(line, facility, process.pid));
          socket.send(msg, port, host, () => {});
        });
        break;
      }
      case 'unix':
        shared.warnOnce(
          `log target ${t.path}: Node.js cannot send to unix datagram sockets; access logs go to stderr instead ` +
            `(use 'log 127.0.0.1:514 ${t.facility}' to reach syslog over UDP)`,
        );
        sinks.push((line) => void process.stderr.write(line + '\n'));
        break;
    }
  }
  return sinks;
}

export interface SharedLogResources {
  udp(type: 'udp4' | 'udp6'): dgram.Socket;
  warnOnce(message: string): void;
  close(): void;
}

export function createSharedLogResources(): SharedLogResources {
  const sockets = new Map<string, dgram.Socket>();
  const warned = new Set<string>();
  return {
    udp(type) {
      let socket = sockets.get(type);
      if (socket === undefined) {
        socket = dgram.createSocket(type);
        socket.on('error', () => {}); // logging must never take the worker down
        socket.unref();
        sockets.set(type, socket);
      }
      return socket;
    },
    warnOnce(message) {
      if (warned.has(message)) return;
      warned.add(message);
      process.stderr.write(`handoff worker ${process.pid}: warning: ${message}\n`);
    },
    close() {
      for (const s of sockets.values()) s.close();
      sockets.clear();
    },
  };
}
