// What HAProxy's exporter lacks: latency histograms per backend (response, connect and total
// time) and per frontend (total time), and the reload story (`handoff_*`).
import type { HistogramDelta, MetricsExtra } from '../ipc/messages.ts';
import { LATENCY_BOUNDS_MS, type Family, type HistogramFamily, type HistogramSeries } from './prometheus-family.ts';
import type { StatKind } from './stat-fields.ts';

const TIMES = [
  { key: 'rtime', name: 'response_time_seconds', help: 'Time waiting for the server response once connected (%Tr), in seconds', kinds: ['backend'] },
  { key: 'ctime', name: 'connect_time_seconds', help: 'Time to connect to the server (%Tc), in seconds', kinds: ['backend'] },
  { key: 'ttime', name: 'total_time_seconds', help: 'Time from the request head to the end of the response (%Ta), in seconds', kinds: ['frontend', 'backend'] },
] as const;

function series(proxy: string, h: HistogramDelta): HistogramSeries {
  let running = 0;
  const cumulative = h.buckets.map((n) => (running += n));
  return { labels: { proxy }, cumulative, sum: Math.round(h.sumMs * 1000) / 1e6, count: h.count };
}

/** `haproxy_frontend_total_time_seconds` or the three `haproxy_backend_*_time_seconds` histograms. */
export function latencyFamilies(extra: MetricsExtra, kind: 'frontend' | 'backend', proxies: readonly string[]): HistogramFamily[] {
  const prefix = kind === 'frontend' ? 'fe/' : 'be/';
  const boundsSeconds = LATENCY_BOUNDS_MS.map((ms) => ms / 1000);
  const out: HistogramFamily[] = [];
  for (const t of TIMES) {
    if (!(t.kinds as readonly StatKind[]).includes(kind)) continue;
    const list = proxies.flatMap((p) => {
      const h = extra.histograms[prefix + p]?.[t.key];
      return h === undefined ? [] : [series(p, h)];
    });
    if (list.length > 0) out.push({ name: `haproxy_${kind}_${t.name}`, help: t.help, type: 'histogram', boundsSeconds, series: list });
  }
  return out;
}

/** `handoff_reloads_total{path,result}`, the last reload's duration, draining generations, the generation. */
export function reloadFamilies(extra: MetricsExtra, generation: number): Family[] {
  const r = extra.reloads;
  const reloads: Family = {
    name: 'handoff_reloads_total',
    help: 'Reloads since the master started, by path (in_place: the running processes; new_processes: a new cohort) and result',
    type: 'counter',
    samples: [
      { labels: { path: 'in_place', result: 'ok' }, value: r.inPlaceOk },
      { labels: { path: 'in_place', result: 'failed' }, value: r.inPlaceFailed },
      { labels: { path: 'new_processes', result: 'ok' }, value: r.newProcessesOk },
      { labels: { path: 'new_processes', result: 'failed' }, value: r.newProcessesFailed },
      // Refused before a path was chosen (configuration or bind error).
      ...(r.failedBeforePath > 0 ? [{ labels: { path: 'none', result: 'failed' }, value: r.failedBeforePath }] : []),
    ],
  };
  const g = (name: string, help: string, value: number | undefined): Family => ({ name, help, type: 'gauge', samples: value === undefined ? [] : [{ labels: {}, value }] });
  return [
    reloads,
    g('handoff_last_reload_duration_seconds', 'Duration of the last reload, succeeded or failed, in seconds', r.lastDurationMs === undefined ? undefined : r.lastDurationMs / 1000),
    { name: 'handoff_reload_carried_connections_total', help: 'Client connections kept open into the new generation by in-place reloads (kept-alive clients the reload did not close)', type: 'counter', samples: [{ labels: {}, value: extra.carriedConnections }] } satisfies Family,
    g('handoff_draining_generations', 'Generations (cohorts of worker processes) still draining', extra.drainingGenerations),
    g('handoff_generation', 'The configuration generation serving now', generation),
  ].filter((f) => f.samples.length > 0);
}
