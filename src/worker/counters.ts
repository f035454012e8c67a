// Per-object counters kept cumulative in the worker; the report to the master carries deltas since
// the previous report, so a worker that dies loses at most ~1 s. Which fields an object has is the
// stat table's word (src/admin/stat-fields.ts): a counter is added there, once.
import type { CounterDeltas, Gauges } from '../ipc/messages.ts';
import { counterFields, PROCESS_COUNTERS, type CounterField, type GaugeField, type ProcessCounter, type StatKind } from '../admin/stat-fields.ts';

export const FRONTEND_FIELDS = counterFields('frontend');
export const BACKEND_FIELDS = counterFields('backend');
export const SERVER_FIELDS = counterFields('server');

/** Whole-process counters (object `proc`): log lines dropped by a failing or blocked target. */
export const PROCESS_FIELDS = PROCESS_COUNTERS;

export type FrontendField = CounterField<'frontend'>;
export type ProcessField = ProcessCounter;
export type BackendField = CounterField<'backend'>;
export type ServerField = CounterField<'server'>;

/** Cumulative counters plus the `scur` gauge of one object. */
export interface CounterObject<F extends string> {
  key: string;
  values: Record<F, number>;
  scur: number;
}

export interface CounterRegistry {
  frontend(name: string): CounterObject<FrontendField>;
  backend(name: string): CounterObject<BackendField>;
  server(backend: string, server: string): CounterObject<ServerField>;
  proc(): CounterObject<ProcessField>;
  /** Deltas since the previous call (only non-zero fields) and the current gauges. */
  take(): { deltas: CounterDeltas; gauges: Gauges };
}

export function createCounterRegistry(): CounterRegistry {
  const objects = new Map<string, CounterObject<string>>();
  const reported = new Map<string, Record<string, number>>();

  function make<F extends string>(key: string, fields: readonly F[]): CounterObject<F> {
    const existing = objects.get(key);
    if (existing !== undefined) return existing as CounterObject<F>;
    const values = {} as Record<F, number>;
    for (const f of fields) values[f] = 0;
    const obj: CounterObject<F> = { key, values, scur: 0 };
    objects.set(key, obj as CounterObject<string>);
    reported.set(key, { ...values });
    return obj;
  }

  return {
    frontend: (name) => make(`fe/${name}`, FRONTEND_FIELDS),
    backend: (name) => make(`be/${name}`, BACKEND_FIELDS),
    server: (backend, server) => make(`srv/${backend}/${server}`, SERVER_FIELDS),
    proc: () => make('proc', PROCESS_FIELDS),
    take() {
      const deltas: CounterDeltas = {};
      const gauges: Gauges = {};
      for (const [key, obj] of objects) {
        const last = reported.get(key) as Record<string, number>;
        let entry: Record<string, number> | undefined;
        for (const field in obj.values) {
          const now = obj.values[field] as number;
          const d = now - (last[field] ?? 0);
          if (d !== 0) {
            entry ??= deltas[key] = {};
            entry[field] = d;
            last[field] = now;
          }
        }
        const current: Record<GaugeField<StatKind>, number> = { scur: obj.scur };
        gauges[key] = current;
      }
      return { deltas, gauges };
    },
  };
}

type StatusField = Extract<FrontendField, `hrsp_${string}`>;

/** Count a response status into `hrsp_*`. */
export function countStatus(values: Record<StatusField, number>, status: number): void {
  if (status >= 100 && status < 200) values.hrsp_1xx++;
  else if (status < 300 && status >= 200) values.hrsp_2xx++;
  else if (status < 400 && status >= 300) values.hrsp_3xx++;
  else if (status < 500 && status >= 400) values.hrsp_4xx++;
  else if (status < 600 && status >= 500) values.hrsp_5xx++;
  else values.hrsp_other++;
}
