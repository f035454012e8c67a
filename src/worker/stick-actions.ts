// Stick counters in a worker: the `track-scN` action (one round trip to the master, the rule list
// resumes after it), `sc-inc-gpc0(N)` / `sc-set-gpt0(N)`, the end of a tracker (conn_cur, bytes,
// HTTP errors), and the `sc_*` / `src_*` / `table_*` fetches over the entries tracked.
import type { HttpRule } from '../config/model.ts';
import type { StickDataName, StickSnapshot, StickTrackEvents } from '../stick/types.ts';
import { compileSample, type SampleContext, type SampleValue } from './sample.ts';
import { toStr } from './match.ts';
import { SC_FETCHES } from '../config/sample.ts';

const STICK_FETCH: ReadonlySet<string> = new Set(SC_FETCHES);

type TrackRule = Extract<HttpRule, { action: 'track-sc' }>;
type ScRule = Extract<HttpRule, { action: 'sc-inc-gpc' | 'sc-set-gpt0' }>;

/** HTTP tracking counts the tracker and the request it happens in (HAProxy's http-request track-sc). */
const HTTP_TRACK: StickTrackEvents = { conn: true, sess: false, httpReq: true };

/** Start tracking `rule`'s key; a promise when the rules must wait for the master, else undefined. */
export function startTracking(rule: TrackRule, x: SampleContext, ev: StickTrackEvents = HTTP_TRACK): Promise<void> | undefined {
  const st = x.stick;
  if (st === undefined || st.slots[rule.slot] !== undefined) return undefined;
  const v = compileSample(rule.key).value(x);
  if (v === undefined) return undefined;
  const key = toStr(v);
  return st.client.track(rule.table, key, ev).then((entry) => {
    if (entry !== undefined) st.slots[rule.slot] = entry;
  });
}

/** `sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`, `sc-set-gpt0(N) V`: applied to the copy and sent. */
export function applyScAction(rule: ScRule, x: SampleContext): void {
  const e = x.stick?.slots[rule.slot];
  if (e === undefined || x.stick === undefined) return;
  if (rule.action === 'sc-inc-gpc') {
    const name: StickDataName = rule.gpc === 0 ? 'gpc0' : 'gpc1';
    if (e.data[name] !== undefined) e.data[name] = (e.data[name] ?? 0) + 1;
    x.stick.client.update(e.table, e.key, rule.gpc === 0 ? { gpc0: 1 } : { gpc1: 1 });
    return;
  }
  const v = compileSample(rule.value).value(x);
  const n = typeof v === 'number' ? v : Number(v === undefined ? NaN : toStr(v));
  if (!Number.isFinite(n)) return;
  if (e.data.gpt0 !== undefined) e.data.gpt0 = n;
  x.stick.client.update(e.table, e.key, { setGpt0: n });
}

/** The trackers of a finished request or session: released, with its bytes and HTTP error. */
export function endTracking(x: SampleContext, bytesIn: number, bytesOut: number, httpError: boolean): void {
  const st = x.stick;
  if (st === undefined) return;
  for (const e of st.slots) {
    if (e === undefined) continue;
    st.client.update(e.table, e.key, { release: true, bytesIn, bytesOut, ...(httpError ? { httpErr: 1 } : {}) });
  }
  st.slots = [];
}

/** The slot a `sc_*` fetch reads: counter N, in table T when given. */
function slotEntry(x: SampleContext, n: string | undefined, table: string | undefined): StickSnapshot | undefined {
  const e = x.stick?.slots[Number(n)];
  return e !== undefined && (table === undefined || table === '' || e.table === table) ? e : undefined;
}

/** `src_*([T])`: an entry tracked with the client's address as key (no lookup of untracked keys). */
function srcEntry(x: SampleContext, table: string | undefined): StickSnapshot | undefined {
  const ip = x.conn.clientIp.startsWith('::ffff:') ? x.conn.clientIp.slice(7) : x.conn.clientIp;
  return x.stick?.slots.find((e) => e !== undefined && e.key === ip && (table === undefined || table === '' || e.table === table));
}

/** One sc/src fetch's value from an entry: counters as stored, gpc0/1 changed by inc/clr. */
function readData(x: SampleContext, e: StickSnapshot | undefined, what: string): SampleValue | undefined {
  if (e === undefined) return undefined;
  const d = e.data;
  switch (what) {
    case 'trackers': return 0;
    case 'kbytes_in': return Math.floor((d.bytes_in_cnt ?? 0) / 1024);
    case 'kbytes_out': return Math.floor((d.bytes_out_cnt ?? 0) / 1024);
    case 'get_gpc0': return d.gpc0;
    case 'get_gpc1': return d.gpc1;
    case 'get_gpt0': return d.gpt0;
    case 'inc_gpc0':
    case 'inc_gpc1':
    case 'clr_gpc0':
    case 'clr_gpc1': return changeGpc(x, e, what);
    default: return d[what as StickDataName] ?? 0;
  }
}

function changeGpc(x: SampleContext, e: StickSnapshot, what: 'inc_gpc0' | 'inc_gpc1' | 'clr_gpc0' | 'clr_gpc1'): number | undefined {
  const name: StickDataName = what.endsWith('0') ? 'gpc0' : 'gpc1';
  const before = e.data[name];
  if (before === undefined) return undefined;
  const inc = what.startsWith('inc');
  e.data[name] = inc ? before + 1 : 0;
  const u = inc ? (name === 'gpc0' ? { gpc0: 1 } : { gpc1: 1 }) : name === 'gpc0' ? { setGpc0: 0 } : { setGpc1: 0 };
  x.stick?.client.update(e.table, e.key, u);
  return inc ? before + 1 : before;
}

/** The fetch function of a stick fetch name, or undefined when the name is none. */
export function stickFetch(fetch: string, args: readonly string[]): ((x: SampleContext) => SampleValue | undefined) | undefined {
  if (fetch === 'sc_tracked') return (x) => slotEntry(x, args[0], args[1]) !== undefined;
  if (fetch === 'table_cnt' || fetch === 'table_avl') {
    return (x) => {
      const e = x.stick?.slots.find((s) => s !== undefined && (args[0] === undefined || s.table === args[0]));
      return e === undefined ? undefined : fetch === 'table_cnt' ? e.used : e.size - e.used;
    };
  }
  const sc = fetch.startsWith('sc_') ? fetch.slice(3) : undefined;
  if (sc !== undefined && STICK_FETCH.has(sc)) return (x) => readData(x, slotEntry(x, args[0], args[1]), sc);
  const src = fetch.startsWith('src_') ? fetch.slice(4) : undefined;
  if (src !== undefined && STICK_FETCH.has(src)) return (x) => readData(x, srcEntry(x, args[0]), src);
  return undefined;
}
