// Stick counters in a worker: the `track-scN` action (one round trip to the master, the rule list
// resumes after it), `sc-inc-gpc0(N)` / `sc-set-gpt0(N)`, the end of a tracker (conn_cur, bytes,
// HTTP errors), and the `sc_*` / `src_*` / `table_*` fetches over the entries tracked.
import type { HttpRule } from '../config/model.ts';
import { STICK_DATA, type StickDataName, type StickSnapshot, type StickTrackEvents } from '../stick/types.ts';
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
  for (const [i, e] of st.slots.entries()) {
    if (e === undefined) continue;
    const release = st.connSlots?.[i] === true ? {} : { release: true as const };
    st.client.update(e.table, e.key, { ...release, bytesIn, bytesOut, ...(httpError ? { httpErr: 1 } : {}) });
  }
  st.slots = [];
}

/** The slot a `sc_*` fetch reads: counter N, in table T when given. */
function slotEntry(x: SampleContext, n: string | undefined, table: string | undefined): StickSnapshot | undefined {
  const e = x.stick?.slots[Number(n)];
  return e !== undefined && (table === undefined || table === '' || e.table === table) ? e : undefined;
}

/** The client's address as a table key (an IPv4 client of a dual-stack socket as IPv4). */
function clientKey(x: SampleContext): string {
  return x.conn.clientIp.startsWith('::ffff:') ? x.conn.clientIp.slice(7) : x.conn.clientIp;
}

/** The table a `src_*([T])` / `table_*([T])` fetch reads: T, else the proxy whose rules run. */
function tableOf(x: SampleContext, table: string | undefined): string | undefined {
  return table === undefined || table === '' ? x.stick?.proxy : table;
}

/** The master's look-up of the client's address in `table`; undefined (and asked for) when not done yet. */
function looked(x: SampleContext, table: string, create: boolean): { entry?: StickSnapshot; used?: number; size?: number } | undefined {
  const st = x.stick;
  const a = st?.lookups?.get(table);
  if (a !== undefined || st === undefined) return a;
  st.needs ??= new Map();
  st.needs.set(table, create || st.needs.get(table) === true);
  return undefined;
}

/** `src_*([T])`: the entry of the client's address, tracked or else looked up in the master's table. */
function srcEntry(x: SampleContext, table: string | undefined, create: boolean): StickSnapshot | undefined {
  const ip = clientKey(x);
  const t = tableOf(x, table);
  if (t === undefined) return undefined;
  const e = x.stick?.slots.find((s) => s !== undefined && s.key === ip && s.table === t);
  if (e !== undefined) return e;
  const a = looked(x, t, create);
  // HAProxy: an address not in the table reads 0 (the fetch fails only without the table).
  if (a === undefined || a.size === undefined) return undefined;
  return a.entry ?? { table: t, key: ip, data: absentData(), used: a.used ?? 0, size: a.size };
}

function absentData(): Partial<Record<StickDataName, number>> {
  return Object.fromEntries(STICK_DATA.map((n) => [n, 0]));
}

/** `table_cnt([T])` / `table_avl([T])`: from a tracked entry of the table, else a look-up. */
function tableFill(x: SampleContext, table: string | undefined, cnt: boolean): number | undefined {
  const t = tableOf(x, table);
  if (t === undefined) return undefined;
  const e = x.stick?.slots.find((s) => s !== undefined && s.table === t) ?? looked(x, t, false);
  if (e?.used === undefined || e.size === undefined) return undefined;
  return cnt ? e.used : e.size - e.used;
}

/** Look up what the last evaluation needed (the rule is evaluated again after); undefined: nothing. */
export function lookUpNeeded(x: SampleContext): Promise<void> | undefined {
  const st = x.stick;
  const needs = st?.needs;
  if (st === undefined || needs === undefined || needs.size === 0) return undefined;
  st.needs = undefined;
  const key = clientKey(x);
  const lookups = (st.lookups ??= new Map());
  return Promise.all([...needs].map(([table, create]) =>
    st.client.lookup(table, key, create).then((a) => {
      // No answer (master busy or gone): as not found, so the rule is not asked for again.
      lookups.set(table, a ?? { requestId: 0 });
    }))).then(() => undefined);
}

/** Forget what an evaluation outside the rule lists asked for (use_backend and the like do not look up). */
export function clearNeeds(x: SampleContext): void {
  if (x.stick !== undefined) x.stick.needs = undefined;
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
  if (fetch === 'table_cnt' || fetch === 'table_avl') return (x) => tableFill(x, args[0], fetch === 'table_cnt');
  const sc = fetch.startsWith('sc_') ? fetch.slice(3) : undefined;
  if (sc !== undefined && STICK_FETCH.has(sc)) return (x) => readData(x, slotEntry(x, args[0], args[1]), sc);
  const src = fetch.startsWith('src_') ? fetch.slice(4) : undefined;
  // HAProxy's src_inc_gpc* / src_clr_gpc* create the entry when the address is not in the table.
  const create = src !== undefined && /^(inc|clr)_gpc/.test(src);
  if (src !== undefined && STICK_FETCH.has(src)) return (x) => readData(x, srcEntry(x, args[0], create), src);
  return undefined;
}
