// `haproxy_process_*`: the show-info values HAProxy's exporter writes, for those handoff knows
// (HAProxy's names and HELP texts; the others are absent, listed in docs/metrics.md).
import type { MetricsExtra, StatsSnapshot } from '../ipc/messages.ts';
import { statColumns, statValue, type StatField, type StatFieldName } from './stat-fields.ts';
import type { Family } from './prometheus-family.ts';
import { VERSION } from '../version.ts';

/** The sum of a field over the frontend rows (HAProxy's CurrConns, CumConns, CumReq). */
function frontendSum(snap: StatsSnapshot, field: StatFieldName): number {
  const col = statColumns([field])[0] as StatField;
  let sum = 0;
  for (const row of snap.rows) if (row.kind === 'frontend') sum += Number(statValue(row, col) ?? 0) || 0;
  return sum;
}

const gauge = (name: string, help: string, value: number | undefined): Family => ({ name: `haproxy_process_${name}`, help, type: 'gauge', samples: value === undefined ? [] : [{ labels: {}, value }] });
const counter = (name: string, help: string, value: number): Family => ({ name: `haproxy_process_${name}`, help, type: 'counter', samples: [{ labels: {}, value }] });

export function processFamilies(snap: StatsSnapshot, extra: MetricsExtra): Family[] {
  const out = [
    gauge('nbthread', 'Number of started threads (global.nbthread)', extra.workers),
    gauge('nbproc', 'Number of started worker processes (historical, always 1)', 1),
    gauge('relative_process_id', 'Relative worker process number (1)', 1),
    gauge('uptime_seconds', 'How long ago this worker process was started (seconds)', Math.floor(snap.uptimeMs / 1000)),
    gauge('max_connections', 'Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)', extra.maxconn),
    gauge('current_connections', 'Current number of connections on this worker process', frontendSum(snap, 'scur')),
    counter('connections_total', 'Total number of connections on this worker process since started', frontendSum(snap, 'stot')),
    counter('requests_total', 'Total number of requests on this worker process since started', frontendSum(snap, 'req_tot')),
    gauge('stopping', '1 if the worker process is currently stopping, otherwise zero', extra.stopping ? 1 : 0),
    gauge('listeners', 'Current number of active listeners on the current worker process', extra.listeners),
    counter('dropped_logs_total', 'Total number of dropped logs for current worker process since started', snap.droppedLogs ?? 0),
    { name: 'haproxy_process_build_info', help: 'Build info', type: 'gauge', samples: [{ labels: { version: VERSION }, value: 1 }] } satisfies Family,
    gauge('start_time_seconds', 'Start time in seconds', Math.floor(extra.startedAt / 1000)),
  ];
  return out.filter((f) => f.samples.length > 0);
}
