// The rows of `npm run bench perf` and its one table: per metric and target the median and
// min–max over the rounds, and the per-round ratio handoff/HAProxy summarised the same way.
import { formatSummary, ratios, type Unit } from './perf-stats.ts';

export type Column = 'handoff' | 'haproxy' | 'nginx' | 'direct';
export type Phase = 'shared' | 'pinned' | 'burst' | 'tls';

export const METRIC_IDS = [
  'rps', 'rps-node', 'per-core', 'cpu', 'core-capacity', 'c1k', 'c10k', 'latency', 'paced', 'conn-mem', 'idle-rss', 'burst-rss',
  'tls-rsa-1.2', 'tls-rsa-1.3', 'tls-ec-1.2', 'tls-ec-1.3',
  'tls-rsa-1.2-cpu', 'tls-rsa-1.3-cpu', 'tls-ec-1.2-cpu', 'tls-ec-1.3-cpu',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export interface MetricDef {
  id: MetricId;
  label: string;
  unit: Unit;
  better: 'higher' | 'lower';
  phase: Phase;
}

/** What the labels quote: the connection counts and waits the run actually used. */
export interface LabelFacts {
  c10k: number;
  c10kSeconds: number;
  idleConns: number;
  burstConns: number;
  burstWaitS: number;
  /** Which backend the main rows go to. */
  backend: 'nginx' | 'node';
}

/** 2000 → "2k", 9900 → "9.9k". */
export const countLabel = (n: number): string => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));

export function metricDefs(f: LabelFacts): MetricDef[] {
  const tls = (id: MetricId, cert: string, v: string): MetricDef => ({
    id, label: `TLS ${v} ${cert}, new connection per request (ab -c50), req/s`, unit: 'req/s', better: 'higher', phase: 'tls',
  });
  const tlsCpu = (id: MetricId, cert: string, v: string): MetricDef => ({
    id, label: `TLS ${v} ${cert}, proxy CPU per new connection, µs`, unit: 'us', better: 'lower', phase: 'tls',
  });
  return [
    { id: 'rps', label: `keep-alive -t1 -c100, 2 cores shared (${f.backend} backend), req/s`, unit: 'req/s', better: 'higher', phase: 'shared' },
    { id: 'rps-node', label: 'keep-alive -t1 -c100, 2 cores shared (Node backend), req/s', unit: 'req/s', better: 'higher', phase: 'shared' },
    { id: 'per-core', label: 'keep-alive -t1 -c100, proxy pinned to 1 core, req/s', unit: 'req/s', better: 'higher', phase: 'pinned' },
    { id: 'cpu', label: 'CPU per request, pinned run, µs', unit: 'us', better: 'lower', phase: 'pinned' },
    { id: 'core-capacity', label: 'req/s one core could carry: 1 s ÷ CPU per request', unit: 'req/s', better: 'higher', phase: 'pinned' },
    { id: 'c1k', label: 'keep-alive -t2 -c1000, req/s', unit: 'req/s', better: 'higher', phase: 'shared' },
    { id: 'c10k', label: `keep-alive -t2 -c${f.c10k} -d${f.c10kSeconds}s (ramp included), req/s`, unit: 'req/s', better: 'higher', phase: 'shared' },
    { id: 'latency', label: 'p50 added at -c1 back to back, µs (direct: p50)', unit: 'us', better: 'lower', phase: 'shared' },
    { id: 'paced', label: 'p50 added at ~1000 req/s (10 conns × 100/s), µs (direct: p50)', unit: 'us', better: 'lower', phase: 'shared' },
    { id: 'conn-mem', label: `RSS per idle keep-alive connection (the 2nd half of ${countLabel(f.idleConns)} held), KB`, unit: 'KB', better: 'lower', phase: 'shared' },
    { id: 'idle-rss', label: 'idle RSS, all processes, MB', unit: 'MB', better: 'lower', phase: 'shared' },
    { id: 'burst-rss', label: `RSS ${f.burstWaitS} s after a ${countLabel(f.burstConns)}-connection burst ÷ before`, unit: 'x', better: 'lower', phase: 'burst' },
    tls('tls-rsa-1.2', 'RSA-2048', '1.2'),
    tls('tls-rsa-1.3', 'RSA-2048', '1.3'),
    tls('tls-ec-1.2', 'ECDSA P-256', '1.2'),
    tls('tls-ec-1.3', 'ECDSA P-256', '1.3'),
    tlsCpu('tls-rsa-1.2-cpu', 'RSA-2048', '1.2'),
    tlsCpu('tls-rsa-1.3-cpu', 'RSA-2048', '1.3'),
    tlsCpu('tls-ec-1.2-cpu', 'ECDSA P-256', '1.2'),
    tlsCpu('tls-ec-1.3-cpu', 'ECDSA P-256', '1.3'),
  ];
}

/** metric → target → one value per round (NaN where a round measured nothing). */
export type Results = Map<MetricId, Map<Column, number[]>>;

export function record(results: Results, metric: MetricId, column: Column, round: number, value: number): void {
  let row = results.get(metric);
  if (row === undefined) results.set(metric, (row = new Map()));
  let values = row.get(column);
  if (values === undefined) row.set(column, (values = []));
  values[round] = value;
}

/** The values of one cell, a hole (round not run) read as NaN. */
function cell(results: Results, metric: MetricId, column: Column): number[] {
  return Array.from(results.get(metric)?.get(column) ?? [], (v) => v ?? NaN);
}

/**
 * Fixed-width text: `metric | better | <columns> | handoff/haproxy`, one row per measured
 * metric in `defs` order. The ratio column is there when `haproxy` is a column.
 */
export function renderTable(defs: readonly MetricDef[], results: Results, columns: readonly Column[]): string {
  const withRatio = columns.includes('haproxy') && columns.includes('handoff');
  const header = ['metric', 'better', ...columns, ...(withRatio ? ['handoff/haproxy'] : [])];
  const rows: string[][] = [];
  for (const d of defs) {
    if (!results.has(d.id)) continue;
    const cells = columns.map((c) => formatSummary(cell(results, d.id, c), d.unit));
    const ratio = withRatio ? [formatSummary(ratios(cell(results, d.id, 'handoff'), cell(results, d.id, 'haproxy')), 'x')] : [];
    rows.push([d.label, d.better, ...cells, ...ratio]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
