// Counters live in the master so that they outlive generations: workers send deltas, the master
// sums them; gauges (current sessions) are the sum of the last value each live worker reported,
// maxima the highest any worker ever reported, and rates the events of the last second. Field
// names are the stat table's (src/admin/stat-fields.ts); src/master/stat-rows.ts builds the rows.
import type { CounterDeltas, Gauges } from '../ipc/messages.ts';
import { GAUGE_COMBINE, type ProcessCounter } from '../admin/stat-fields.ts';
import { createRates } from './rates.ts';

const DROPPED_LOGS: ProcessCounter = 'dropped_logs';

/** Which counter each rate counts (HAProxy's `rate`: sessions, `req_rate`: requests, `conn_rate`: connections). */
const RATES = [
  ['stot', 'rate'],
  ['req_tot', 'req_rate'],
  ['conn_tot', 'conn_rate'],
] as const;

export interface CounterStore {
  add(pid: number, deltas: CounterDeltas, gauges: Gauges): void;
  forget(pid: number): void;
  /** Object `obj`'s values (`fe/NAME`, `be/NAME`, `srv/BACKEND/SERVER`), combined over workers. */
  values(obj: string): Record<string, number>;
  droppedLogs(): number;
  /** `clear counters`: the maxima (and rate maxima); `all`: every counter too. */
  clear(all: boolean): void;
}

export function createCounterStore(now: () => number = Date.now): CounterStore {
  const totals = new Map<string, Map<string, number>>();
  const gaugesByPid = new Map<number, Gauges>();
  /** The highest `max` values (`smax`…) and latest `latest` times ever reported, by object. */
  const kept = new Map<string, Map<string, number>>();
  const rates = createRates(now);

  const keep = (obj: string, field: string, n: number): void => {
    let m = kept.get(obj);
    if (m === undefined) kept.set(obj, (m = new Map()));
    if (n > (m.get(field) ?? -Infinity)) m.set(field, n);
  };

  return {
    add(pid, deltas, gauges) {
      for (const [obj, fields] of Object.entries(deltas)) {
        let m = totals.get(obj);
        if (m === undefined) totals.set(obj, (m = new Map()));
        for (const [field, n] of Object.entries(fields)) m.set(field, (m.get(field) ?? 0) + n);
        for (const [counter, rate] of RATES) if (fields[counter] !== undefined) rates.add(obj, rate, fields[counter]);
      }
      for (const [obj, fields] of Object.entries(gauges)) {
        for (const [field, n] of Object.entries(fields)) {
          const how = GAUGE_COMBINE.get(field);
          if (how === 'max' || how === 'latest') keep(obj, field, n);
        }
      }
      gaugesByPid.set(pid, gauges);
    },
    forget(pid) {
      gaugesByPid.delete(pid);
    },
    values(obj) {
      const out: Record<string, number> = {};
      for (const [field, n] of totals.get(obj) ?? []) out[field] = n;
      for (const [field, n] of kept.get(obj) ?? []) out[field] = n;
      for (const g of gaugesByPid.values()) {
        for (const [field, n] of Object.entries(g[obj] ?? {})) {
          const how = GAUGE_COMBINE.get(field);
          if (how === 'gauge') out[field] = (out[field] ?? 0) + n;
          // An average cannot be summed over workers: the live workers' highest is shown.
          else if (how === 'avg') out[field] = Math.max(out[field] ?? 0, n);
        }
      }
      for (const [, rate] of RATES) {
        const r = rates.read(obj, rate);
        if (r !== undefined) {
          out[rate] = r.now;
          out[`${rate}_max`] = r.max;
        }
      }
      return out;
    },
    droppedLogs: () => totals.get('proc')?.get(DROPPED_LOGS) ?? 0,
    clear(all) {
      kept.clear();
      rates.clearMaxima();
      if (all) {
        const dropped = totals.get('proc');
        totals.clear();
        // DroppedLogs is `show info`'s, not a proxy counter.
        if (dropped !== undefined) totals.set('proc', dropped);
      }
    },
  };
}
