// One round of `npm run bench perf`, phase by phase. Every phase starts its own fresh proxies,
// measures each target in turn (direct, handoff, HAProxy, nginx) and stops them by PID.
import { holdConnections, resumesSessions, runAb, runWrk, type WrkRun } from './perf-load.ts';
import { processTree, ticksPerSecond, treeRssKb, treeTicks } from './perf-procs.ts';
import type { Column, MetricId, Results } from './perf-table.ts';
import { countLabel, record } from './perf-table.ts';
import { startProxy, type PerfProxy, type ProxyShape, type Running, type TargetEnv } from './perf-targets.ts';
import type { Route } from './perf-configs.ts';
import { sleep } from './processes.ts';

export interface Settings {
  rounds: number;
  seconds: number;
  warmupS: number;
  settleS: number;
  c10k: number;
  /** Seconds of the -c10k run: longer, so the connection ramp weighs less. */
  c10kSeconds: number;
  idleConns: number;
  burstConns: number;
  burstWaitS: number;
  wanted: Set<MetricId>;
}

export interface PerfContext {
  env: TargetEnv;
  settings: Settings;
  proxies: PerfProxy[];
  results: Results;
  notes: string[];
  /** The main backend (nginx static, else Node), the Node one when it is another, the pinned one. */
  backends: { main: Running; node: Running | null; pinned: Running };
  certs: { rsa: string; ec: string } | null;
  paceScript: string;
}

const URL = (port: number, tls = false): string => `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`;

function note(ctx: PerfContext, round: number, text: string): void {
  ctx.notes.push(`round ${round + 1}: ${text}`);
}

/** Start each proxy in its shape (a failure is a note and a missing column this round). */
async function startAll(ctx: PerfContext, round: number, shapeOf: (p: PerfProxy) => ProxyShape): Promise<Map<PerfProxy, Running>> {
  const out = new Map<PerfProxy, Running>();
  for (const p of ctx.proxies) {
    try {
      out.set(p, await startProxy(p, ctx.env, shapeOf(p)));
    } catch (err) {
      note(ctx, round, `${p} did not start: ${(err as Error).message}`);
    }
  }
  return out;
}

async function stopAll(running: Map<PerfProxy, Running>): Promise<void> {
  await Promise.all([...running.values()].map((r) => r.stop()));
}

/** The backend port of `lane`: each target has its own, so no target's pooled or TIME_WAIT
 * connections eat into the ephemeral ports another one needs towards the same backend. */
function lanePort(backend: Running, lane: Column): number {
  return backend.ports.get(lane)!;
}

function mainRoutes(ctx: PerfContext, p: PerfProxy): Omit<Route, 'port'>[] {
  const routes = [{ name: 'main', backendPort: lanePort(ctx.backends.main, p) }];
  if (ctx.backends.node !== null) routes.push({ name: 'node', backendPort: lanePort(ctx.backends.node, p) });
  return routes;
}

interface LoadRow {
  id: MetricId;
  route: 'main' | 'node';
  run: Omit<WrkRun, 'url' | 'seconds'> & { seconds?: number };
  /** Latency rows: the p50 minus direct's. */
  latency: boolean;
}

function loadRows(ctx: PerfContext): LoadRow[] {
  const rows: LoadRow[] = [
    { id: 'rps', route: 'main', run: { threads: 1, connections: 100 }, latency: false },
    { id: 'c1k', route: 'main', run: { threads: 2, connections: 1000, timeoutS: 10, latency: true }, latency: false },
    { id: 'c10k', route: 'main', run: { threads: 2, connections: ctx.settings.c10k, timeoutS: 10, latency: true, seconds: ctx.settings.c10kSeconds }, latency: false },
    { id: 'latency', route: 'main', run: { threads: 1, connections: 1, latency: true }, latency: true },
    { id: 'paced', route: 'main', run: { threads: 1, connections: 10, latency: true, script: ctx.paceScript }, latency: true },
  ];
  if (ctx.backends.node !== null) rows.splice(1, 0, { id: 'rps-node', route: 'node', run: { threads: 1, connections: 100 }, latency: false });
  return rows.filter((r) => ctx.settings.wanted.has(r.id));
}

/** Metrics 1, 4, 5, 6, 7: 2 workers / nbthread 2 / 2 nginx workers, nothing pinned. */
export async function sharedPhase(ctx: PerfContext, round: number): Promise<void> {
  const s = ctx.settings;
  const running = await startAll(ctx, round, (p) => ({ workers: 2, routes: mainRoutes(ctx, p) }));
  try {
    await sleep(s.settleS * 1000);
    if (s.wanted.has('idle-rss')) for (const [p, r] of running) idleRss(ctx, round, p, r);
    if (s.wanted.has('conn-mem')) for (const [p, r] of running) await connMem(ctx, round, p, r);
    const targets: [Column, (route: string) => number | undefined][] = [
      ['direct', (route) => (route === 'node' ? ctx.backends.node : ctx.backends.main)?.ports.get('direct')],
      ...[...running].map(([p, r]): [Column, (route: string) => number | undefined] => [p, (route) => r.ports.get(route)]),
    ];
    const warmed = new Set<string>();
    for (const row of loadRows(ctx)) {
      const p50: Partial<Record<Column, number>> = {};
      for (const [col, portOf] of targets) {
        const port = portOf(row.route);
        if (port === undefined) continue;
        if (!warmed.has(`${col}/${row.route}`)) {
          warmed.add(`${col}/${row.route}`);
          await runWrk({ url: URL(port), threads: 1, connections: 100, seconds: s.warmupS });
        }
        const w = await runWrk({ seconds: s.seconds, ...row.run, url: URL(port) });
        if (w.errors > 0 || !Number.isFinite(w.rps)) note(ctx, round, `${col} ${row.id}: ${w.errorText || w.output.trim().split('\n').pop()}`);
        if (row.id === 'paced') note(ctx, round, `${col} paced: ${w.rps.toFixed(0)} req/s achieved`);
        if (row.id === 'c1k' || row.id === 'c10k') note(ctx, round, `${col} ${row.id}: p50 ${ms(w.p50Us)}, p99 ${ms(w.p99Us)} ms`);
        p50[col] = w.p50Us;
        const value = !row.latency ? w.rps : col === 'direct' ? w.p50Us : w.p50Us - (p50.direct ?? NaN);
        record(ctx.results, row.id, col, round, value);
      }
    }
  } finally {
    await stopAll(running);
  }
}

/** Metric 7: the RSS of every process of the tree, with the per-process figures as a note. */
function idleRss(ctx: PerfContext, round: number, p: PerfProxy, r: Running): void {
  const each = processTree(r.pid).map((pid) => treeRssKb(pid, false));
  note(ctx, round, `${p} idle: ${each.length} process${each.length === 1 ? '' : 'es'}, ${each.map((kb) => mb(kb)).join(' + ')} MB`);
  record(ctx.results, 'idle-rss', p, round, each.reduce((a, b) => a + b, 0) / 1024);
}

/** Metric 6: what one more idle connection costs. `idleConns` answered connections are held in two
 * halves; the metric is the RSS the second half added ÷ its connections. The first half takes the
 * one-time growth a burst of connections causes (young generation, malloc arenas, compiled code),
 * which is not a per-connection cost; its own figure is noted. */
async function connMem(ctx: PerfContext, round: number, p: PerfProxy, r: Running): Promise<void> {
  const port = r.ports.get('main')!;
  const half = Math.floor(ctx.settings.idleConns / 2);
  const before = treeRssKb(r.pid);
  const first = await holdConnections(port, half);
  await sleep(1000);
  const mid = treeRssKb(r.pid);
  const second = await holdConnections(port, half);
  await sleep(1000);
  const after = treeRssKb(r.pid);
  first.close();
  second.close();
  const failed = first.failed + second.failed;
  if (failed > 0) note(ctx, round, `${p} conn-mem: ${failed} of ${2 * half} connections got no answer`);
  if (first.open > 0) note(ctx, round, `${p} conn-mem: the first ${countLabel(first.open)} from idle ${((mid - before) / first.open).toFixed(1)} KB each (one-time growth included)`);
  record(ctx.results, 'conn-mem', p, round, second.open > 0 ? (after - mid) / second.open : NaN);
  await sleep(500);
}

/** Metrics 2 and 3: 1 worker / nbthread 1 / 1 nginx worker on core 1, wrk and the backend on core 0. */
export async function pinnedPhase(ctx: PerfContext, round: number): Promise<void> {
  const s = ctx.settings;
  for (const p of ctx.proxies) {
    const routes = [{ name: 'main', backendPort: lanePort(ctx.backends.pinned, p) }];
    const running = await startAll({ ...ctx, proxies: [p] }, round, () => ({ workers: 1, cpus: '1', routes }));
    const r = running.get(p);
    if (r === undefined) continue;
    try {
      const url = URL(r.ports.get('main')!);
      await runWrk({ url, threads: 1, connections: 100, seconds: s.warmupS, cpus: '0' });
      const t0 = treeTicks(r.pid);
      const w = await runWrk({ url, threads: 1, connections: 100, seconds: s.seconds, cpus: '0' });
      const cpuS = (treeTicks(r.pid) - t0) / ticksPerSecond();
      if (w.errors > 0) note(ctx, round, `${p} per-core: ${w.errorText}`);
      note(ctx, round, `${p} per-core: the proxy used ${((100 * cpuS) / w.seconds).toFixed(0)}% of core 1`);
      record(ctx.results, 'per-core', p, round, w.rps);
      const cpuUs = w.requests > 0 ? (cpuS * 1e6) / w.requests : NaN;
      record(ctx.results, 'cpu', p, round, cpuUs);
      record(ctx.results, 'core-capacity', p, round, 1e6 / cpuUs);
    } finally {
      await stopAll(running);
    }
  }
}

/** Metric 8: fresh proxies, `burstConns` connections held at once, one request each, closed. */
export async function burstPhase(ctx: PerfContext, round: number): Promise<void> {
  const s = ctx.settings;
  const running = await startAll(ctx, round, (p) => ({ workers: 2, routes: mainRoutes(ctx, p).slice(0, 1) }));
  try {
    await sleep(s.settleS * 1000);
    const closed: { p: PerfProxy; r: Running; before: number; at: number }[] = [];
    for (const [p, r] of running) {
      const before = treeRssKb(r.pid);
      const held = await holdConnections(r.ports.get('main')!, s.burstConns);
      const peak = treeRssKb(r.pid);
      held.close();
      closed.push({ p, r, before, at: Date.now() });
      const failed = held.failed > 0 ? `, ${held.failed} got no answer` : '';
      note(ctx, round, `${p} burst: ${held.open} connections answered${failed}; RSS ${mb(before)} → ${mb(peak)} MB with them open`);
    }
    // the waits overlap: each proxy is read burstWaitS after its own burst closed
    for (const c of closed) {
      await sleep(Math.max(0, c.at + s.burstWaitS * 1000 - Date.now()));
      const after = treeRssKb(c.r.pid);
      note(ctx, round, `${c.p} burst: ${mb(after)} MB ${s.burstWaitS} s after closing`);
      record(ctx.results, 'burst-rss', c.p, round, after / c.before);
    }
  } finally {
    await stopAll(running);
  }
}

const mb = (kb: number): string => (kb / 1024).toFixed(0);
const ms = (us: number): string => (us / 1000).toFixed(1);

const TLS_ROWS: { id: MetricId; cpuId: MetricId; cert: 'rsa' | 'ec'; version: '1.2' | '1.3' }[] = [
  { id: 'tls-rsa-1.2', cpuId: 'tls-rsa-1.2-cpu', cert: 'rsa', version: '1.2' },
  { id: 'tls-rsa-1.3', cpuId: 'tls-rsa-1.3-cpu', cert: 'rsa', version: '1.3' },
  { id: 'tls-ec-1.2', cpuId: 'tls-ec-1.2-cpu', cert: 'ec', version: '1.2' },
  { id: 'tls-ec-1.3', cpuId: 'tls-ec-1.3-cpu', cert: 'ec', version: '1.3' },
];

/** Metric 9: one TLS frontend per certificate × version, resumption off; ab, a new connection per request. */
export async function tlsPhase(ctx: PerfContext, round: number): Promise<void> {
  const certs = ctx.certs;
  const rows = TLS_ROWS.filter((t) => ctx.settings.wanted.has(t.id) || ctx.settings.wanted.has(t.cpuId));
  if (certs === null || rows.length === 0) return;
  const routes = (p: PerfProxy): Omit<Route, 'port'>[] =>
    rows.map((t) => ({ name: t.id, backendPort: lanePort(ctx.backends.main, p), tls: { pem: certs[t.cert], version: t.version } }));
  const running = await startAll(ctx, round, (p) => ({ workers: 2, routes: routes(p) }));
  try {
    for (const t of rows) {
      for (const [p, r] of running) {
        const port = r.ports.get(t.id)!;
        const resumed = await resumesSessions(port, t.version);
        if (resumed !== false) note(ctx, round, `${p} ${t.id}: ${resumed === null ? 'the resumption check failed' : 'resumed a TLS session: the row is not full handshakes only'}`);
        await runAb(URL(port, true), t.version, 50, ctx.settings.warmupS);
        const t0 = treeTicks(r.pid);
        const ab = await runAb(URL(port, true), t.version, 50, ctx.settings.seconds);
        const cpuS = (treeTicks(r.pid) - t0) / ticksPerSecond();
        if (!(ab.failed === 0) || !Number.isFinite(ab.rps)) note(ctx, round, `${p} ${t.id}: ab: ${ab.failed} failed${Number.isFinite(ab.rps) ? '' : `, ${ab.output.trim().split('\n').pop()}`}`);
        record(ctx.results, t.id, p, round, ab.rps);
        record(ctx.results, t.cpuId, p, round, ab.complete > 0 ? (cpuS * 1e6) / ab.complete : NaN);
      }
    }
  } finally {
    await stopAll(running);
  }
}
