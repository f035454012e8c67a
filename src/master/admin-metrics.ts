// What the Prometheus exporter needs from the master beyond the stat rows: the workers' latency
// histograms summed (they send deltas with their counters, as for the counters: totals outlive
// workers and generations), the connections in-place reloads carried, the reload counts and
// process values.
import type { Config } from '../config/model.ts';
import type { HistogramDeltas, MetricsExtra } from '../ipc/messages.ts';
import type { MasterInfo } from '../admin/target.ts';

/** What the master sums for the exporter beyond the counters. */
export interface MetricsStore {
  /** A worker's latency histogram deltas (with its counters). */
  addHistograms(deltas: HistogramDeltas | undefined): void;
  histograms(): HistogramDeltas;
  /** A worker activated a generation in place, keeping `n` client connections open into it. */
  addCarried(n: number): void;
  carried(): number;
}

export function createMetricsStore(): MetricsStore {
  const totals: HistogramDeltas = {};
  let carried = 0;
  return {
    addCarried(n) {
      carried += n;
    },
    carried: () => carried,
    addHistograms(deltas) {
      if (deltas === undefined) return;
      for (const [obj, byName] of Object.entries(deltas)) {
        const mine = (totals[obj] ??= {});
        for (const [name, d] of Object.entries(byName)) {
          const t = (mine[name] ??= { buckets: d.buckets.map(() => 0), sumMs: 0, count: 0 });
          d.buckets.forEach((n, i) => (t.buckets[i] = (t.buckets[i] ?? 0) + n));
          t.sumMs += d.sumMs;
          t.count += d.count;
        }
      }
    },
    histograms: () => totals,
  };
}

/** The exporter's extra: `info` is the runtime API's `show info` source (AdminTarget.info()). */
export function metricsExtra(info: MasterInfo, config: Config | undefined, store: MetricsStore, stopping: boolean): MetricsExtra {
  const modes: Record<string, 'http' | 'tcp'> = {};
  for (const f of config?.frontends ?? []) modes[`fe/${f.name}`] = f.mode;
  for (const b of config?.backends ?? []) modes[`be/${b.name}`] = b.mode;
  const failedInPlace = info.reloadsFailedInPlace ?? 0;
  const failedNew = info.reloadsFailedNewProcesses ?? 0;
  return {
    histograms: store.histograms(),
    reloads: {
      inPlaceOk: info.reloadsInPlace,
      inPlaceFailed: failedInPlace,
      newProcessesOk: info.reloads - info.reloadsInPlace,
      newProcessesFailed: failedNew,
      failedBeforePath: info.reloadsFailed - failedInPlace - failedNew,
      ...(info.lastReloadMs !== undefined ? { lastDurationMs: info.lastReloadMs } : {}),
    },
    drainingGenerations: info.drainingGenerations,
    carriedConnections: store.carried(),
    startedAt: info.startedAt,
    pid: info.pid,
    workers: info.workers,
    listeners: info.listeners.length,
    modes,
    ...(config?.global.maxconn !== undefined ? { maxconn: config.global.maxconn } : {}),
    stopping,
  };
}
