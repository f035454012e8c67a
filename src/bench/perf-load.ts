// The load of `npm run bench perf`: wrk runs (bounded in time, pinned when asked), and many
// kept-alive connections that each sent one request and are held open from this process.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseAb, parseWrk, type AbResult, type WrkResult } from './perf-stats.ts';
import { WANTED_NOFILE } from './perf-procs.ts';
import { signalPid } from './processes.ts';

export interface WrkRun {
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  latency?: boolean;
  /** A Lua script file (`-s`). */
  script?: string;
  headers?: string[];
  timeoutS?: number;
  /** `taskset -c` list for wrk. */
  cpus?: string;
}

/** One wrk run; killed by its PID if it outlives its duration by 30 s. */
export function runWrk(o: WrkRun): Promise<WrkResult & { output: string }> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, `--timeout`, `${o.timeoutS ?? 5}s`];
  if (o.latency === true) args.push('--latency');
  if (o.script !== undefined) args.push('-s', o.script);
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(o.url);
  const pin = o.cpus === undefined ? [] : ['taskset', '-c', o.cpus];
  const raise = `ulimit -n ${WANTED_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;
  const child = spawn('sh', ['-c', raise, 'sh', ...pin, 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const guard = setTimeout(() => signalPid(child.pid ?? -1, 'SIGKILL'), (o.seconds + 30) * 1000);
  return new Promise((resolve) => {
    child.on('close', () => {
      clearTimeout(guard);
      resolve({ ...parseWrk(out), output: out });
    });
    child.on('error', (err) => {
      clearTimeout(guard);
      resolve({ ...parseWrk(''), output: `wrk: ${err.message}` });
    });
  });
}

/**
 * ApacheBench with a new TLS connection per request (no -k; ab never resumes a session), for
 * `seconds` or 10 million requests; killed by its PID if it outlives that by 30 s.
 */
export function runAb(url: string, version: '1.2' | '1.3', concurrency: number, seconds: number): Promise<AbResult & { output: string }> {
  const args = ['-q', '-r', '-f', `TLS${version}`, '-c', String(concurrency), '-t', String(seconds), '-n', '10000000', url];
  const child = spawn('ab', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const guard = setTimeout(() => signalPid(child.pid ?? -1, 'SIGKILL'), (seconds + 30) * 1000);
  return new Promise((resolve) => {
    child.on('close', () => {
      clearTimeout(guard);
      resolve({ ...parseAb(out), output: out });
    });
    child.on('error', (err) => {
      clearTimeout(guard);
      resolve({ ...parseAb(''), output: `ab: ${err.message}` });
    });
  });
}

/** A Lua script for wrk: each connection waits `ms` after a response before its next request. */
export function pacingScript(ms: number): string {
  return `-- written by bench/perf.ts: ${Math.round(1000 / ms)} requests/s per connection at most\nfunction delay()\n  return ${ms}\nend\n`;
}

export interface Held {
  /** Connections that got their response and are held open. */
  open: number;
  failed: number;
  /** Close every held connection (FIN from this side). */
  close(): void;
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: handoff-bench-perf\r\n\r\n';

/** Whether `buf` holds one whole response (Content-Length or chunked). */
function complete(buf: string): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.slice(0, end);
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (len !== null) return Buffer.byteLength(buf.slice(end + 4)) >= Number(len[1]);
  return /\r\ntransfer-encoding:\s*chunked/i.test(head) ? buf.endsWith('0\r\n\r\n') : true;
}

/** One connection, one request; resolves with the socket once the response is read, else null. */
function oneKeptAlive(port: number, timeoutMs: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.removeAllListeners('data');
      if (!ok) s.destroy();
      resolve(ok ? s : null);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    s.setEncoding('latin1');
    s.on('connect', () => s.write(REQUEST));
    s.on('data', (d: string) => {
      buf += d;
      if (complete(buf)) settle(true);
    });
    s.on('error', () => settle(false));
    s.on('close', () => settle(false));
  });
}

/**
 * Open `count` connections to 127.0.0.1:`port`, at most `parallel` being set up at a time, each
 * sending one request and, once answered, staying open until `close()`. Bounded: every
 * connection has `timeoutMs` to be answered.
 */
export async function holdConnections(port: number, count: number, parallel = 200, timeoutMs = 10_000): Promise<Held> {
  const held: Socket[] = [];
  let next = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      const s = await oneKeptAlive(port, timeoutMs);
      if (s === null) failed++;
      else {
        s.on('error', () => undefined); // a proxy that drops a held connection is seen in the figures
        held.push(s);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return {
    open: held.length,
    failed,
    close() {
      for (const s of held) s.destroy();
    },
  };
}

/**
 * Whether the TLS frontend lets a client resume: one connection that keeps the session it was
 * given (a TLS 1.3 ticket arrives after the handshake, so it reads a response first), then a second
 * offering it. Null when a connection fails. Bounded by `timeoutMs` per connection.
 */
export async function resumesSessions(port: number, version: '1.2' | '1.3', timeoutMs = 5000): Promise<boolean | null> {
  const v = `TLSv${version}` as const;
  const once = (session?: Buffer): Promise<{ session?: Buffer; reused: boolean } | null> =>
    new Promise((resolve) => {
      let got: Buffer | undefined;
      let reused = false;
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: v, maxVersion: v, ...(session ? { session } : {}) });
      const timer = setTimeout(() => s.destroy(), timeoutMs);
      s.on('session', (b: Buffer) => (got = b));
      s.on('secureConnect', () => {
        reused = s.isSessionReused();
        s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      s.on('close', (hadError) => {
        clearTimeout(timer);
        resolve(hadError && got === undefined ? null : { ...(got ? { session: got } : {}), reused });
      });
    });
  const first = await once();
  if (first === null) return null;
  if (first.session === undefined) return false; // nothing to resume with
  const second = await once(first.session);
  return second === null ? null : second.reused;
}
