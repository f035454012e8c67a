// Where access-log lines go: stdout/stderr, UDP syslog (RFC 3164) through one connected dgram
// socket per target, or a unix datagram socket — which Node cannot open, so that falls back to
// stderr with one warning. Every target drops rather than waits (fd-writer.ts, udp-target.ts):
// a log target that fails or blocks never slows or stops traffic, and dropped lines are counted.
import type { LogTarget } from '../config/model.ts';
import { createLineWriter, openTarget, type LineWriter } from './fd-writer.ts';
import { noticeLine } from './notice.ts';
import { createUdpTarget, type UdpTarget } from './udp-target.ts';

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

/** Build sinks for log targets; writers and sockets are shared per process through `shared`. */
export function createSinks(targets: readonly LogTarget[], shared: SharedLogResources): LogSink[] {
  const sinks: LogSink[] = [];
  for (const t of targets) {
    if (t.level !== undefined && (LEVELS[t.level] ?? 7) < ACCESS_LEVEL) continue;
    switch (t.kind) {
      case 'stdout': {
        const out = shared.stdout();
        sinks.push((line) => void out.write(line + '\n'));
        break;
      }
      case 'stderr':
      case 'unix': {
        if (t.kind === 'unix') {
          shared.warnOnce(
            `log target ${t.path}: Node.js cannot send to unix datagram sockets; access logs go to stderr instead ` +
              `(use 'log 127.0.0.1:514 ${t.facility}' to reach syslog over UDP)`,
          );
        }
        const err = shared.stderr();
        sinks.push((line) => void err.write(line + '\n'));
        break;
      }
      case 'udp': {
        const target = shared.udp(t.host, t.port);
        const { facility } = t;
        sinks.push((line) => target.send(syslogFrame(line, facility, process.pid)));
        break;
      }
    }
  }
  return sinks;
}

/** What the sinks of every generation in one process share: one writer per fd, one socket per
 * UDP target, the drop count. Created by the process entry point. */
export interface SharedLogResources {
  stdout(): LineWriter;
  /** Also where the process's own messages go (`message`). */
  stderr(): LineWriter;
  udp(host: string, port: number): UdpTarget;
  /** The process's own message on stderr, HAProxy-shaped (`[ALERT]    (pid) : …`). */
  message(level: 'NOTICE' | 'WARNING' | 'ALERT', text: string): void;
  warnOnce(message: string): void;
  /** Lines dropped so far by every target (access logs and the process's own messages). */
  readonly dropped: number;
  /** Wait (at most `timeoutMs`) for queued lines to be written, then close everything. */
  close(timeoutMs?: number): Promise<void>;
}

export function createSharedLogResources(opts: { onDrop?: (lines: number) => void } = {}): SharedLogResources {
  const udpTargets = new Map<string, UdpTarget>();
  const warned = new Set<string>();
  const writers: (LineWriter | undefined)[] = [];
  let dropped = 0;
  const onDrop = (n: number): void => {
    dropped += n;
    opts.onDrop?.(n);
  };
  const report = (level: 'alert' | 'notice', message: string): void => {
    resources.message(level === 'alert' ? 'ALERT' : 'NOTICE', message);
  };
  const writer = (fd: 1 | 2): LineWriter =>
    (writers[fd] ??= createLineWriter({ name: fd === 1 ? 'stdout' : 'stderr', target: openTarget(fd), report, onDrop }));
  const resources: SharedLogResources = {
    stdout: () => writer(1),
    stderr: () => writer(2),
    udp(host, port) {
      const key = `${host} ${port}`;
      let target = udpTargets.get(key);
      if (target === undefined) udpTargets.set(key, (target = createUdpTarget({ host, port, report, onDrop })));
      return target;
    },
    message(level, text) {
      writer(2).write(noticeLine(level, text));
    },
    warnOnce(message) {
      if (warned.has(message)) return;
      warned.add(message);
      writer(2).write(`handoff worker ${process.pid}: warning: ${message}\n`);
    },
    get dropped() {
      return dropped;
    },
    async close(timeoutMs = 500) {
      for (const t of udpTargets.values()) t.close();
      udpTargets.clear();
      const open = writers.filter((w) => w !== undefined);
      await Promise.all(open.map((w) => w.flush(timeoutMs)));
      for (const w of open) w.close();
    },
  };
  return resources;
}
