// Pure pieces of `npm run bench perf`: reading wrk's report and /proc lines, and summarising the
// rounds of one figure as median and min–max.

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  /** From `--latency`'s distribution, in µs; NaN without it. */
  p50Us: number;
  p99Us: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  errors: number;
  errorText: string;
}

/** `52.00us`, `1.10ms`, `2.00s`, `1.00m` → µs; NaN when it is none of these. */
export function durationUs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return NaN;
  const scale = { us: 1, ms: 1e3, s: 1e6, m: 60e6 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * scale;
}

export function parseWrk(out: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+\w+),/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockTotal = sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0);
  const parts: string[] = [];
  if (sock !== null && sockTotal > 0) parts.push(`socket errors: connect ${sock[1]}, read ${sock[2]}, write ${sock[3]}, timeout ${sock[4]}`);
  if (non2xx > 0) parts.push(`${non2xx} non-2xx/3xx`);
  return {
    requests: Number(done?.[1] ?? NaN),
    seconds: done === null ? NaN : durationUs(done[2] ?? '') / 1e6,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50Us: durationUs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99Us: durationUs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    errors: sockTotal + non2xx,
    errorText: parts.join('; '),
  };
}

export interface AbResult {
  complete: number;
  failed: number;
  rps: number;
}

/** ApacheBench's report: complete and failed requests (non-2xx included), requests per second. */
export function parseAb(out: string): AbResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { complete: num(/Complete requests:\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/) + non2xx, rps: num(/Requests per second:\s+([\d.]+)/) };
}

export interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks: the process and its reaped children. */
  ticks: number;
}

/** One `/proc/PID/stat` line; the command name may hold spaces and parentheses. */
export function parseProcStat(line: string): ProcStat | null {
  const end = line.lastIndexOf(')');
  if (end < 0) return null;
  const f = line.slice(end + 2).split(' '); // f[0] is field 3 (state)
  const n = (i: number): number => Number(f[i - 3]);
  const ticks = n(14) + n(15) + n(16) + n(17);
  return Number.isFinite(ticks) && Number.isFinite(n(4)) ? { ppid: n(4), ticks } : null;
}

/** `VmRSS:    93020 kB` → 93020; NaN when absent (a kernel thread, a zombie). */
export function parseVmRssKb(status: string): number {
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Rounds that gave a number. */
  n: number;
}

/** Median and range of the finite values; all NaN when there is none. */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** Per-round ratio a[i]/b[i]; NaN where either is missing or b is not positive. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => {
    const y = b[i];
    return y === undefined || !(y > 0) || !Number.isFinite(x) ? NaN : x / y;
  });
}

export type Unit = 'req/s' | 'us' | 'KB' | 'MB' | 'x';

/** One number the way the table shows it: `18.2k`, `950`, `52`, `3.4`, `1.12`. */
export function formatValue(x: number, unit: Unit): string {
  if (!Number.isFinite(x)) return '-';
  if (unit === 'x') return x.toFixed(2);
  if (unit === 'req/s') return Math.abs(x) >= 10_000 ? `${(x / 1000).toFixed(1)}k` : Math.abs(x) >= 1000 ? `${(x / 1000).toFixed(2)}k` : x.toFixed(0);
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** `18.2k (17.9k–18.5k)`; a single round is just the value; `-` when nothing was measured. */
export function formatSummary(values: readonly number[], unit: Unit): string {
  const s = summarize(values);
  if (s.n === 0) return '-';
  const median = formatValue(s.median, unit);
  return s.n === 1 ? median : `${median} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})`;
}
