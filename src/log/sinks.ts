// Where access-log lines go, each with the header of its `format` (syslog-header.ts), cut to its
// `len` and sampled: stdout/stderr, UDP syslog through one connected dgram
// socket per target, or a unix datagram socket — which Node cannot open, so that falls back to
// stderr with one warning. Every target drops rather than waits (fd-writer.ts, udp-target.ts):
// a log target that fails or blocks never slows or stops traffic, and dropped lines are counted.
import type { LogTarget } from '../config/model.ts';
import { createLineWriter, openTarget, type LineWriter } from './fd-writer.ts';
import { noticeLine } from './notice.ts';
import { createUdpTarget, type UdpTarget } from './udp-target.ts';
import { DEFAULT_LOG_LEN, DEFAULT_LOG_TAG, FACILITIES, LEVELS, headerBuilder } from './syslog-header.ts';

export type LogSink = (line: string) => void;

/** Access logs are emitted at `info`, like HAProxy's traffic logs. */
const ACCESS_LEVEL = LEVELS.info as number;

/** `<134>Feb  6 12:14:14 localhost haproxy[1234]: line` — HAProxy's rfc3164 header before a line. */
export function syslogFrame(line: string, facility: string, pid: number, now: Date = new Date()): string {
  return headerBuilder({ format: 'rfc3164', facility: FACILITIES[facility] ?? 16, level: ACCESS_LEVEL, tag: DEFAULT_LOG_TAG, pid })(now.getTime()) + line;
}

/** The line as the target's `format`, `len`, level and tag make it (newline excluded). */
export function lineFramer(t: LogTarget, pid: number): (line: string) => string {
  // A unix socket's lines go to stderr (Node.js cannot send to one), written as stderr's.
  const format = t.format ?? (t.kind === 'udp' ? 'rfc3164' : 'raw');
  const level = Math.max(ACCESS_LEVEL, t.minLevel !== undefined ? (LEVELS[t.minLevel] ?? 0) : 0);
  const header = headerBuilder({ format, facility: FACILITIES[t.facility] ?? 16, level, tag: t.tag ?? DEFAULT_LOG_TAG, pid, ...(t.hostname !== undefined ? { hostname: t.hostname } : {}) });
  // On stdout/stderr `len` counts the newline too; a datagram carries `len` bytes and a newline (log.c).
  const max = (t.maxLen ?? DEFAULT_LOG_LEN) - (t.kind === 'udp' ? 0 : 1);
  return (line) => {
    const out = format === 'raw' ? line : header(Date.now()) + line;
    return out.length > max ? out.slice(0, max) : out;
  };
}

/** `sample R:S`: true for the lines to send, counting every line offered. */
function sampler(sample: NonNullable<LogTarget['sample']>): () => boolean {
  const keep = new Array<boolean>(sample.size).fill(false);
  for (const [from, to] of sample.ranges) for (let i = from; i <= to; i++) keep[i - 1] = true;
  let n = 0;
  return () => {
    const k = keep[n] === true;
    n = n + 1 === sample.size ? 0 : n + 1;
    return k;
  };
}

function sinkFor(t: LogTarget, shared: SharedLogResources): LogSink {
  const frame = lineFramer(t, process.pid);
  switch (t.kind) {
    case 'stdout': {
      const out = shared.stdout();
      return (line) => void out.write(frame(line) + '\n');
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
      return (line) => void err.write(frame(line) + '\n');
    }
    case 'udp': {
      const target = shared.udp(t.host, t.port);
      // HAProxy ends each datagram with a newline too (log.c __do_send_log).
      return (line) => target.send(frame(line) + '\n');
    }
  }
}

/** Build sinks for log targets; writers and sockets are shared per process through `shared`. */
export function createSinks(targets: readonly LogTarget[], shared: SharedLogResources): LogSink[] {
  const sinks: LogSink[] = [];
  for (const t of targets) {
    if (t.level !== undefined && (LEVELS[t.level] ?? 7) < ACCESS_LEVEL) continue;
    const sink = sinkFor(t, shared);
    if (t.sample === undefined) sinks.push(sink);
    else {
      const take = sampler(t.sample);
      sinks.push((line) => {
        if (take()) sink(line);
      });
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
