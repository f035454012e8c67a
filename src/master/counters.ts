// Counters live in the master so that they outlive generations: workers send deltas, the master
// sums them; gauges (current sessions) are the sum of the last value each live worker reported.
// Field names are the stat table's (src/admin/stat-fields.ts), which renders the rows.
import type { Config } from '../config/model.ts';
import type { CounterDeltas, Gauges, ServerStates, StatsRow, StatsSnapshot } from '../ipc/messages.ts';
import type { ProcessCounter } from '../admin/stat-fields.ts';

const DROPPED_LOGS: ProcessCounter = 'dropped_logs';

export interface CounterStore {
  add(pid: number, deltas: CounterDeltas, gauges: Gauges): void;
  forget(pid: number): void;
  snapshot(config: Config, servers: ServerStates, meta: { generation: number; workers: number; startedAt: number }): StatsSnapshot;
}

export function createCounterStore(): CounterStore {
  const totals = new Map<string, Map<string, number>>();
  const gaugesByPid = new Map<number, Gauges>();

  const values = (obj: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [field, n] of totals.get(obj) ?? []) out[field] = n;
    for (const g of gaugesByPid.values()) {
      for (const [field, n] of Object.entries(g[obj] ?? {})) out[field] = (out[field] ?? 0) + n;
    }
    return out;
  };

  return {
    add(pid, deltas, gauges) {
      for (const [obj, fields] of Object.entries(deltas)) {
        let m = totals.get(obj);
        if (m === undefined) totals.set(obj, (m = new Map()));
        for (const [field, n] of Object.entries(fields)) m.set(field, (m.get(field) ?? 0) + n);
      }
      gaugesByPid.set(pid, gauges);
    },
    forget(pid) {
      gaugesByPid.delete(pid);
    },
    snapshot(config, servers, meta) {
      const rows: StatsRow[] = [];
      for (const fe of config.frontends) {
        rows.push({ pxname: fe.name, svname: 'FRONTEND', kind: 'frontend', status: 'OPEN', values: values(`fe/${fe.name}`) });
      }
      for (const be of config.backends) {
        let up = 0;
        for (const s of be.servers) {
          const st = servers[s.id];
          const health = st === undefined || st.up ? (st?.nolb === true ? 'NOLB' : 'UP') : 'DOWN';
          const status = s.disabled || st?.admin === 'maint' ? 'MAINT' : st?.admin === 'drain' ? 'DRAIN' : health;
          if (status === 'UP') up++;
          const v = values(`srv/${be.name}/${s.name}`);
          v.weight = st?.weight ?? s.weight;
          v.check = s.check ? 1 : 0;
          rows.push({ pxname: be.name, svname: s.name, kind: 'server', status: s.check || st !== undefined ? status : status === 'UP' ? 'no check' : status, values: v });
        }
        rows.push({ pxname: be.name, svname: 'BACKEND', kind: 'backend', status: up > 0 || be.servers.length === 0 ? 'UP' : 'DOWN', values: values(`be/${be.name}`) });
      }
      const droppedLogs = totals.get('proc')?.get(DROPPED_LOGS) ?? 0;
      return { generation: meta.generation, workers: meta.workers, uptimeMs: Date.now() - meta.startedAt, rows, droppedLogs };
    },
  };
}
