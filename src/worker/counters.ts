// Per-object counters kept cumulative in the worker; the report to the master carries deltas since
// the previous report, so a worker that dies loses at most ~1 s. Which fields an object has is the
// stat table's word (src/admin/stat-fields.ts): a counter is added there, once.
import type { CounterDeltas, Gauges } from '../ipc/messages.ts';
import { counterFields, gaugeFields, PROCESS_COUNTERS, type CounterField, type ProcessCounter, type StatKind } from '../admin/stat-fields.ts';

export const FRONTEND_FIELDS = counterFields('frontend');
export const BACKEND_FIELDS = counterFields('backend');
export const SERVER_FIELDS = counterFields('server');

/** Whole-process counters (object `proc`): log lines dropped by a failing or blocked target. */
export const PROCESS_FIELDS = PROCESS_COUNTERS;

export type FrontendField = CounterField<'frontend'>;
export type ProcessField = ProcessCounter;
export type BackendField = CounterField<'backend'>;
export type ServerField = CounterField<'server'>;

/** A time HAProxy averages over the last 1024 requests (`qtime`…), with its `_max`. */
export type TimeField = 'qtime' | 'ctime' | 'rtime' | 'ttime';

/** Cumulative counters plus the gauges of one object (`scur`, `qcur`; their maxima follow them). */
export interface CounterObject<F extends string> {
  key: string;
  values: Record<F, number>;
  scur: number;
  qcur: number;
  /** The other gauges this object reports (`smax`, `qmax`, `rtime`, `rtime_max`, `lastsess`…). */
  stats: Record<string, number>;
}

export interface CounterRegistry {
  frontend(name: string): CounterObject<FrontendField>;
  backend(name: string): CounterObject<BackendField>;
  server(backend: string, server: string): CounterObject<ServerField>;
  proc(): CounterObject<ProcessField>;
  /** Deltas since the previous call (only non-zero fields) and the current gauges. */
  take(): { deltas: CounterDeltas; gauges: Gauges };
  /** `clear counters`: the maxima start again from the current values. */
  clearMaxima(): void;
}

/** HAProxy's sliding average over the last N samples (N = 1024, fewer before there were as many). */
const TIME_SAMPLES = 1024;

/** One request's time (ms) into the object's average and maximum. */
export function observeTime(obj: CounterObject<string>, field: TimeField, ms: number): void {
  const st = obj.stats;
  const n = Math.min((st[`${field}_n`] ?? 0) + 1, TIME_SAMPLES);
  st[`${field}_n`] = n;
  const avg = st[field] ?? 0;
  st[field] = avg + (ms - avg) / n;
  if (ms > (st[`${field}_max`] ?? 0)) st[`${field}_max`] = ms;
}

/** A session was given to this server or backend now (`lastsess`, `lbtot`). */
export function countPick(obj: CounterObject<'lbtot'>, now: number): void {
  obj.values.lbtot++;
  obj.stats.lastsess = now;
}

/** An object whose `scur` and `qcur` keep their maxima (`smax`, `qmax`) as they are set. */
function tracked<F extends string>(key: string, values: Record<F, number>): CounterObject<F> {
  let scur = 0;
  let qcur = 0;
  const stats: Record<string, number> = {};
  return {
    key,
    values,
    stats,
    get scur() {
      return scur;
    },
    set scur(n: number) {
      scur = n;
      if (n > (stats.smax ?? 0)) stats.smax = n;
    },
    get qcur() {
      return qcur;
    },
    set qcur(n: number) {
      qcur = n;
      if (n > (stats.qmax ?? 0)) stats.qmax = n;
    },
  };
}

export function createCounterRegistry(): CounterRegistry {
  const objects = new Map<string, { obj: CounterObject<string>; gauges: readonly string[] }>();
  const reported = new Map<string, Record<string, number>>();

  function make<F extends string>(key: string, fields: readonly F[], kind: StatKind | undefined): CounterObject<F> {
    const existing = objects.get(key);
    if (existing !== undefined) return existing.obj as CounterObject<F>;
    const values = {} as Record<F, number>;
    for (const f of fields) values[f] = 0;
    const obj = tracked(key, values);
    objects.set(key, { obj: obj as CounterObject<string>, gauges: kind === undefined ? [] : gaugeFields(kind) });
    reported.set(key, { ...values });
    return obj;
  }

  return {
    frontend: (name) => make(`fe/${name}`, FRONTEND_FIELDS, 'frontend'),
    backend: (name) => make(`be/${name}`, BACKEND_FIELDS, 'backend'),
    server: (backend, server) => make(`srv/${backend}/${server}`, SERVER_FIELDS, 'server'),
    proc: () => make('proc', PROCESS_FIELDS, undefined),
    take() {
      const deltas: CounterDeltas = {};
      const gauges: Gauges = {};
      for (const [key, { obj, gauges: names }] of objects) {
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
        const current: Record<string, number> = {};
        for (const name of names) {
          const v = name === 'scur' ? obj.scur : name === 'qcur' ? obj.qcur : obj.stats[name];
          if (v !== undefined) current[name] = v;
        }
        gauges[key] = current;
      }
      return { deltas, gauges };
    },
    clearMaxima() {
      for (const { obj } of objects.values()) {
        const st = obj.stats;
        st.smax = obj.scur;
        st.qmax = obj.qcur;
        for (const t of ['qtime', 'ctime', 'rtime', 'ttime'] as const) if (st[`${t}_max`] !== undefined) st[`${t}_max`] = 0;
      }
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
