// Lines to fd 1 or 2 that can never block, throw or grow memory without bound.
//
// process.stdout/stderr alone cannot promise that: on a regular file they write synchronously and
// a full disk throws out of write(); on a pipe or socket Node sets O_NONBLOCK and queues without
// limit when the reader stalls; on /dev/full or a closed pipe they emit an 'error' that kills a
// process without a listener. So, by what the descriptor is:
//  - pipes and character devices (TTYs, /dev/null, /dev/full): reopened through /proc/self/fd/N as
//    a description of our own with O_NONBLOCK; a write returns at once (EAGAIN when full: retried
//    on a timer);
//  - regular files: the inherited descriptor, async fs.write from the thread pool;
//  - sockets (systemd's journal stream, Node's `stdio: 'pipe'`), and pipes we may not reopen:
//    process.stdout/stderr themselves (libuv, nonblocking), with an error listener.
// Whatever the target, one write is in flight and at most `maxQueuedBytes` wait behind it; beyond,
// lines are dropped and counted. A failing or blocked target is reported once, and once again
// when it works again. (A blocking fs.write from the thread pool would hold a thread forever on
// a stalled socket, and process.exit waits for that thread: hence no fs.write but to files.)
import fs from 'node:fs';

export interface LineWriter {
  /** Queue `text` (whole lines, newline included); false when it was dropped. */
  write(text: string): boolean;
  /** Lines dropped since the writer was created. */
  readonly dropped: number;
  /** Bytes waiting to be written. */
  readonly queuedBytes: number;
  /** Resolve once everything queued is written, or failed, or after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void>;
  /** For an exit: write what a nonblocking target takes now, what is queued for a regular file
   * (synchronously), or hand it to the stream (which writes what the socket takes now). */
  flushSync(): void;
  close(): void;
}

/** The syscalls the writer needs, replaceable in tests. */
export interface FdOps {
  /** A nonblocking write: returns bytes written, throws (EAGAIN when full). */
  writeSync(fd: number, buf: Buffer): number;
  write(fd: number, buf: Buffer, cb: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  close(fd: number): void;
}

export interface LineWriterOptions {
  /** What the reports name: `stdout`, `stderr`. */
  name: string;
  /** An own O_NONBLOCK descriptor (written synchronously) or an inherited one (written async). */
  target: WriteTarget;
  /** Bound on bytes queued; default 1 MiB. */
  maxQueuedBytes?: number;
  /** One report per state change: 'alert' when the target fails or blocks, 'notice' when it recovers. */
  report(level: 'alert' | 'notice', message: string): void;
  /** Called with the number of lines each time some are dropped. */
  onDrop?(lines: number): void;
  ops?: FdOps;
  /** After a hard error, lines are dropped without trying for this long, then one write probes. */
  retryAfterMs?: number;
}

export interface WriteTarget {
  fd: number;
  /** An own O_NONBLOCK description: written synchronously, EAGAIN when full. */
  nonblocking: boolean;
  /** A regular file (written from the thread pool; synchronously only by flushSync at exit). */
  regularFile: boolean;
  ownsFd: boolean;
  /** Chunks of whole lines up to this size are written at once (PIPE_BUF on pipes). */
  atomicChunk: number;
  /** Write through this stream (process.stdout/stderr) instead of the descriptor. */
  stream?: NodeJS.WritableStream;
}

export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;
/** Writes of whole lines up to PIPE_BUF are atomic on a pipe: workers' lines never interleave. */
const PIPE_BUF = 4096;
const FILE_CHUNK = 64 * 1024;
const EAGAIN_MIN_MS = 5;
const EAGAIN_MAX_MS = 100;

const nodeOps: FdOps = {
  writeSync: (fd, buf) => fs.writeSync(fd, buf),
  write: (fd, buf, cb) => fs.write(fd, buf, 0, buf.length, null, cb),
  close: (fd) => fs.closeSync(fd),
};

/**
 * How to write to `fd` without blocking: an own O_NONBLOCK description of pipes and character
 * devices, the inherited descriptor otherwise (regular files, sockets, or when reopening fails,
 * e.g. a pipe whose reader is gone or that a dropped-privilege worker may not open).
 */
export function openTarget(fd: number): WriteTarget {
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(fd);
  } catch {
    // A closed descriptor: writes fail with EBADF and are reported like any failure.
  }
  if (st !== undefined && (st.isFIFO() || st.isCharacterDevice())) {
    try {
      const own = fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
      return { fd: own, nonblocking: true, regularFile: false, ownsFd: true, atomicChunk: PIPE_BUF };
    } catch {
      // fall through to Node's stream
    }
  }
  const regularFile = st?.isFile() === true;
  const stream = st === undefined || regularFile ? undefined : fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined;
  // Its errors come back to each write's callback; without a listener they would be fatal.
  stream?.on('error', () => {});
  return {
    fd,
    nonblocking: false,
    regularFile,
    ownsFd: false,
    atomicChunk: st?.isFIFO() === true || st?.isSocket() === true ? PIPE_BUF : FILE_CHUNK,
    ...(stream !== undefined ? { stream } : {}),
  };
}

export function errorText(err: NodeJS.ErrnoException): string {
  const msg = err.message.replace(/^[A-Z]+: /, '').replace(/, write$/, '');
  return err.code !== undefined ? `${err.code}: ${msg}` : msg;
}

export function createLineWriter(opts: LineWriterOptions): LineWriter {
  const ops = opts.ops ?? nodeOps;
  const { fd, nonblocking, regularFile, ownsFd, atomicChunk, stream } = opts.target;
  const writeAsync: FdOps['write'] =
    stream === undefined
      ? ops.write
      : (_fd, buf, cb) => {
          try {
            stream.write(buf, (err?: Error | null) => cb((err as NodeJS.ErrnoException | null | undefined) ?? null, err ? 0 : buf.length));
          } catch (err) {
            cb(err as NodeJS.ErrnoException, 0);
          }
        };
  const max = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  const retryAfterMs = opts.retryAfterMs ?? 1000;
  // Pending lines; `head` is the first not yet taken into a chunk.
  let lines: string[] = [];
  let head = 0;
  let queued = 0;
  /** The chunk being written: what is left of it, and how many lines it carries. */
  let chunk: { buf: Buffer; lines: number } | undefined;
  let inFlight = false;
  let scheduled = false;
  let timer: NodeJS.Timeout | undefined;
  let backoff = EAGAIN_MIN_MS;
  let dropped = 0;
  let droppedSinceReport = 0;
  /** Hard error reported: lines are dropped until `retryAt`, then one write probes. */
  let failing: { retryAt: number } | undefined;
  /** Queue overflow reported: cleared once the queue is empty again. */
  let blocked = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  const drop = (n: number): void => {
    if (n <= 0) return;
    dropped += n;
    droppedSinceReport += n;
    opts.onDrop?.(n);
  };

  const recovered = (): void => {
    opts.report('notice', `log target ${opts.name}: writing again (${droppedSinceReport} line(s) dropped meanwhile)`);
    droppedSinceReport = 0;
  };

  const nextChunk = (): { buf: Buffer; lines: number } | undefined => {
    if (head >= lines.length) return undefined;
    let n = 0;
    let size = 0;
    const start = head;
    while (head < lines.length) {
      const len = (lines[head] as string).length;
      if (n > 0 && size + len > atomicChunk) break;
      size += len;
      head++;
      n++;
    }
    const text = n === 1 ? (lines[start] as string) : lines.slice(start, head).join('');
    const buf = Buffer.from(text);
    // `queued` counts characters while queued, bytes once in a chunk.
    queued += buf.length - size;
    if (head === lines.length) {
      lines = [];
      head = 0;
    } else if (head > 1024 && head * 2 > lines.length) {
      lines = lines.slice(head);
      head = 0;
    }
    return { buf, lines: n };
  };

  const settle = (): void => {
    if (queued > 0 || chunk !== undefined) return;
    if (blocked) {
      blocked = false;
      if (failing === undefined) recovered();
    }
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const fail = (err: NodeJS.ErrnoException): void => {
    // Whatever was queued would hit the same error: drop it now, counted.
    drop((chunk?.lines ?? 0) + (lines.length - head));
    chunk = undefined;
    lines = [];
    head = 0;
    queued = 0;
    if (failing === undefined && !closed) {
      opts.report('alert', `log target ${opts.name}: cannot write (${errorText(err)}); dropping log lines until it works again`);
    }
    blocked = false;
    failing = { retryAt: Date.now() + retryAfterMs };
    settle();
  };

  /** `n` bytes of the current chunk were written. */
  const wrote = (n: number): void => {
    const c = chunk as { buf: Buffer; lines: number };
    queued -= n;
    if (failing !== undefined) {
      failing = undefined;
      recovered();
    }
    backoff = EAGAIN_MIN_MS;
    if (n >= c.buf.length) chunk = undefined;
    else c.buf = c.buf.subarray(n);
  };

  const retryLater = (): void => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, backoff);
    timer.unref();
    backoff = Math.min(EAGAIN_MAX_MS, backoff * 2);
  };

  const pump = (): void => {
    scheduled = false;
    if (closed || inFlight) return;
    for (;;) {
      chunk ??= nextChunk();
      if (chunk === undefined) return settle();
      if (!nonblocking) {
        const c = chunk;
        inFlight = true;
        writeAsync(fd, c.buf, (err, n) => {
          inFlight = false;
          if (err !== null) {
            if (err.code === 'EAGAIN') retryLater();
            else fail(err);
            return;
          }
          wrote(n);
          pump();
        });
        return;
      }
      try {
        wrote(ops.writeSync(fd, chunk.buf));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EAGAIN') return retryLater();
        return fail(e);
      }
    }
  };

  const schedule = (): void => {
    if (scheduled || inFlight || timer !== undefined) return;
    scheduled = true;
    // One write per turn of the event loop carries every line logged during it.
    setImmediate(pump);
  };

  return {
    write(text) {
      if (closed) return false;
      if (failing !== undefined) {
        if (Date.now() < failing.retryAt || queued > 0) {
          drop(1);
          return false;
        }
      }
      if (queued + text.length > max && queued > 0) {
        drop(1);
        if (!blocked && failing === undefined) {
          blocked = true;
          opts.report('alert', `log target ${opts.name}: blocked (${queued} bytes queued, the reader does not keep up); dropping log lines until it drains`);
        }
        return false;
      }
      lines.push(text);
      queued += text.length;
      schedule();
      return true;
    },
    get dropped() {
      return dropped;
    },
    get queuedBytes() {
      return queued;
    },
    flush(timeoutMs) {
      if (queued === 0 && chunk === undefined) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        t.unref();
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    flushSync() {
      if (closed) return;
      if (stream !== undefined) {
        // Handed to the stream in order after what is in flight; libuv writes it now if it can.
        for (let c = nextChunk(); c !== undefined; c = nextChunk()) writeAsync(fd, c.buf, () => {});
        return;
      }
      if (inFlight || (!nonblocking && !regularFile)) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      for (;;) {
        chunk ??= nextChunk();
        if (chunk === undefined) return settle();
        try {
          wrote(ops.writeSync(fd, chunk.buf));
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          return e.code === 'EAGAIN' ? undefined : fail(e);
        }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      drop((chunk?.lines ?? 0) + (lines.length - head));
      lines = [];
      chunk = undefined;
      queued = 0;
      if (ownsFd && !inFlight) {
        try {
          ops.close(fd);
        } catch {
          /* already gone */
        }
      }
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  };
}
