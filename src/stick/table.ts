// One stick table: entries by key in least-recently-touched order (a Map re-inserted on touch),
// expiry `expire` ms after the last touch of an entry nobody tracks, and at `size` the oldest
// untracked entry evicted for a new one (none when `nopurge`: the new key is not stored).
import { newFreqCtr, readFreqCtr, updateFreqCtr, type FreqCtr } from './freq-ctr.ts';
import type { StickDataName, StickSnapshot, StickTableDef, StickTrackEvents, StickUpdate } from './types.ts';

export interface StickEntry {
  key: string;
  /** Trackers holding it now (`use=` in `show table`). */
  use: number;
  /** When it expires if untracked (ms), Infinity without `expire`. */
  expireAt: number;
  values: Partial<Record<StickDataName, number>>;
  rates: Partial<Record<StickDataName, FreqCtr>>;
  /** `server_key`: the stored server's name (HAProxy 2.6 `srvkey name`), beside `server_id`. */
  serverKey?: string;
  /** A serial for the `0x…:` column of `show table`. */
  id: number;
}

export interface StickTable {
  def: StickTableDef;
  entries: Map<string, StickEntry>;
  serial: number;
}

export function createTable(def: StickTableDef): StickTable {
  return { def, entries: new Map(), serial: 0 };
}

/** The same table under a new definition (a reload): entries kept, over-size oldest dropped. */
export function redefine(t: StickTable, def: StickTableDef): StickTable {
  const next: StickTable = { def, entries: t.entries, serial: t.serial };
  while (next.entries.size > def.size) {
    const first = next.entries.keys().next().value as string;
    next.entries.delete(first);
  }
  return next;
}

/** Drop expired untracked entries from the oldest end. */
export function purge(t: StickTable, now: number): void {
  for (const e of t.entries.values()) {
    if (e.expireAt > now) break;
    if (e.use === 0) t.entries.delete(e.key);
  }
}

function touch(t: StickTable, e: StickEntry, now: number): void {
  t.entries.delete(e.key);
  t.entries.set(e.key, e);
  e.expireAt = t.def.expireMs === undefined ? Infinity : now + t.def.expireMs;
}

/** Make room for one more entry: false when full of tracked entries, or `nopurge`. */
function makeRoom(t: StickTable): boolean {
  if (t.entries.size < t.def.size) return true;
  if (t.def.nopurge) return false;
  for (const e of t.entries.values()) {
    if (e.use === 0) {
      t.entries.delete(e.key);
      return true;
    }
  }
  return false;
}

/** The entry of `key`, created (with zeroed data) when absent; undefined when there is no room. */
export function getOrCreate(t: StickTable, key: string, now: number): StickEntry | undefined {
  purge(t, now);
  const found = t.entries.get(key);
  if (found !== undefined) return found;
  if (!makeRoom(t)) return undefined;
  const e: StickEntry = { key, use: 0, expireAt: now, values: {}, rates: {}, id: ++t.serial };
  for (const s of t.def.store) {
    if (s.periodMs !== undefined) e.rates[s.name] = newFreqCtr(now);
    else e.values[s.name] = 0;
  }
  touch(t, e, now);
  return e;
}

export function lookup(t: StickTable, key: string, now: number): StickEntry | undefined {
  purge(t, now);
  return t.entries.get(key);
}

function periodOf(t: StickTable, name: StickDataName): number {
  return t.def.store.find((s) => s.name === name)?.periodMs ?? 1000;
}

/** Add `n` to a counter and to its rate, for those the table stores. */
function count(t: StickTable, e: StickEntry, now: number, cnt: StickDataName | undefined, rate: StickDataName | undefined, n: number): void {
  if (cnt !== undefined && e.values[cnt] !== undefined) e.values[cnt] = (e.values[cnt] ?? 0) + n;
  const r = rate === undefined ? undefined : e.rates[rate];
  if (r !== undefined && rate !== undefined) updateFreqCtr(r, now, periodOf(t, rate), n);
}

/** A tracker starts on `key`: its events counted, the entry held until `release`. */
export function track(t: StickTable, key: string, now: number, ev: StickTrackEvents): StickEntry | undefined {
  const e = getOrCreate(t, key, now);
  if (e === undefined) return undefined;
  if (ev.conn) {
    e.use++;
    count(t, e, now, 'conn_cur', undefined, 1);
    count(t, e, now, 'conn_cnt', 'conn_rate', 1);
  }
  if (ev.sess) count(t, e, now, 'sess_cnt', 'sess_rate', 1);
  if (ev.httpReq) count(t, e, now, 'http_req_cnt', 'http_req_rate', 1);
  touch(t, e, now);
  return e;
}

/** Apply what a worker reports of a tracked entry (absent entries are not created for it). */
export function update(t: StickTable, key: string, now: number, u: StickUpdate): void {
  const e = t.entries.get(key);
  if (e === undefined) return;
  if (u.release === true) {
    e.use = Math.max(0, e.use - 1);
    if (e.values.conn_cur !== undefined) e.values.conn_cur = Math.max(0, e.values.conn_cur - 1);
  }
  if (u.httpErr !== undefined) count(t, e, now, 'http_err_cnt', 'http_err_rate', u.httpErr);
  if (u.bytesIn !== undefined) count(t, e, now, 'bytes_in_cnt', 'bytes_in_rate', u.bytesIn);
  if (u.bytesOut !== undefined) count(t, e, now, 'bytes_out_cnt', 'bytes_out_rate', u.bytesOut);
  if (u.gpc0 !== undefined) count(t, e, now, 'gpc0', 'gpc0_rate', u.gpc0);
  if (u.gpc1 !== undefined) count(t, e, now, 'gpc1', 'gpc1_rate', u.gpc1);
  if (u.setGpc0 !== undefined && e.values.gpc0 !== undefined) e.values.gpc0 = u.setGpc0;
  if (u.setGpc1 !== undefined && e.values.gpc1 !== undefined) e.values.gpc1 = u.setGpc1;
  if (u.setGpt0 !== undefined && e.values.gpt0 !== undefined) e.values.gpt0 = u.setGpt0;
  if (u.serverId !== undefined && e.values.server_id !== undefined) {
    e.values.server_id = u.serverId;
    if (u.serverKey !== undefined) e.serverKey = u.serverKey;
    else delete e.serverKey;
  }
  touch(t, e, now);
}

/** Every stored value of an entry at `now` (rates read over their window). */
export function entryData(t: StickTable, e: StickEntry, now: number): Partial<Record<StickDataName, number>> {
  const out: Partial<Record<StickDataName, number>> = {};
  for (const s of t.def.store) {
    const r = e.rates[s.name];
    out[s.name] = r !== undefined ? readFreqCtr(r, now, s.periodMs ?? 1000) : (e.values[s.name] ?? 0);
  }
  return out;
}

export function snapshot(t: StickTable, e: StickEntry, now: number): StickSnapshot {
  const snap: StickSnapshot = { table: t.def.name, key: e.key, data: entryData(t, e, now), used: t.entries.size, size: t.def.size };
  if (e.serverKey !== undefined) snap.serverKey = e.serverKey;
  return snap;
}

/** `set table … data.NAME V`: a counter set, a rate restarted at V; false when not stored. */
export function setData(t: StickTable, e: StickEntry, name: StickDataName, value: number, now: number): boolean {
  const s = t.def.store.find((x) => x.name === name);
  if (s === undefined) return false;
  if (s.periodMs !== undefined) e.rates[name] = { tick: now, curr: value, prev: 0 };
  else e.values[name] = value;
  touch(t, e, now);
  return true;
}

/** What the runtime API reads and changes of the tables (the master's StickTables). */
export interface StickTableAccess {
  all(): StickTable[];
  get(name: string): StickTable | undefined;
  /** A raw key as table `name` stores it; undefined when it cannot be one. */
  key(name: string, raw: string): string | undefined;
}
