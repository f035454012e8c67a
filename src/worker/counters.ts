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
  /** The averaged times, kept apart from `stats` (one property write per request, no key built): into `stats` at each report. */
  readonly times: Record<TimeField, TimeAverage>;
}

/** HAProxy's sliding average of one time over its last samples, and its maximum. */
export interface TimeAverage {
  n: number;
  avg: number;
  max: number;
}

const TIME_FIELDS: readonly TimeField[] = ['qtime', 'ctime', 'rtime', 'ttime'];

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
export function observeTime(t: TimeAverage, ms: number): void {
  const n = t.n < TIME_SAMPLES ? t.n + 1 : TIME_SAMPLES;
  t.n = n;
  t.avg += (ms - t.avg) / n;
  if (ms > t.max) t.max = ms;
}

/** One exchange's queue, connect, response and total times (ms) into an object's averages. */
export function observeTimes(obj: CounterObject<string>, qtime: number, ctime: number, rtime: number, ttime: number): void {
  const t = obj.times;
  observeTime(t.qtime, qtime);
  observeTime(t.ctime, ctime);
  observeTime(t.rtime, rtime);
  observeTime(t.ttime, ttime);
}

/** The averages observed so far into the reported gauges (`rtime`, `rtime_max`…; none before a first sample). */
function publishTimes(obj: CounterObject<string>): void {
  for (const f of TIME_FIELDS) {
    const t = obj.times[f];
    if (t.n === 0) continue;
    obj.stats[f] = t.avg;
    obj.stats[`${f}_max`] = t.max;
  }
}

/** A session was given to this server or backend now (`lastsess`, `lbtot`). */
export function countPick(obj: CounterObject<'lbtot'>, now: number): void {
  obj.values.lbtot++;
  obj.stats.lastsess = now;
}

/** An object whose `scur` and `qcur` keep their maxima (`smax`, `qmax`) as they are set. A class,
 * not an object literal with accessors: V8 keeps a literal with getters in dictionary mode, and
 * these objects are touched several times per request. */
class Tracked<F extends string> implements CounterObject<F> {
  readonly key: string;
  readonly values: Record<F, number>;
  readonly stats: Record<string, number> = {};
  readonly times: Record<TimeField, TimeAverage> = { qtime: { n: 0, avg: 0, max: 0 }, ctime: { n: 0, avg: 0, max: 0 }, rtime: { n: 0, avg: 0, max: 0 }, ttime: { n: 0, avg: 0, max: 0 } };
  private current = 0;
  private queued = 0;

  constructor(key: string, values: Record<F, number>) {
    this.key = key;
    this.values = values;
  }

  get scur(): number {
    return this.current;
  }

  set scur(n: number) {
    this.current = n;
    if (n > (this.stats.smax ?? 0)) this.stats.smax = n;
  }

  get qcur(): number {
    return this.queued;
  }

  set qcur(n: number) {
    this.queued = n;
    if (n > (this.stats.qmax ?? 0)) this.stats.qmax = n;
  }
}

export function createCounterRegistry(): CounterRegistry {
  const objects = new Map<string, { obj: CounterObject<string>; gauges: readonly string[] }>();
  const reported = new Map<string, Record<string, number>>();

  function make<F extends string>(key: string, fields: readonly F[], kind: StatKind | undefined): CounterObject<F> {
    const existing = objects.get(key);
    if (existing !== undefined) return existing.obj as CounterObject<F>;
    // Built in one go (fromEntries): assigned one by one, 20+ fields put the object in dictionary mode.
    const values = Object.fromEntries(fields.map((f) => [f, 0])) as Record<F, number>;
    const obj = new Tracked(key, values);
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
        publishTimes(obj);
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
        for (const t of TIME_FIELDS) {
          obj.times[t].max = 0;
          if (st[`${t}_max`] !== undefined) st[`${t}_max`] = 0;
        }
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
