// The stick tables of the whole proxy, held by the master: one table per `stick-table` line,
// kept across reloads of both kinds (same name and key type: entries kept) and worker
// replacements. Workers track over IPC (src/worker/stick-client.ts); the runtime API reads here.
import { createTable, getOrCreate, lookup, purge, redefine, snapshot, track, update, type StickTable, type StickTableAccess } from '../stick/table.ts';
import { tableKey } from '../stick/keys.ts';
import type { StickSnapshot, StickTableDef, StickTrackEvents, StickUpdate } from '../stick/types.ts';
import type { StickAnswer, StickOp } from '../ipc/messages.ts';

export interface StickTables extends StickTableAccess {
  /** Tables of a configuration about to serve: new ones created, changed ones redefined. */
  prepare(defs: readonly StickTableDef[] | undefined): void;
  /** The configuration serving now: tables it no longer declares go. */
  keepOnly(defs: readonly StickTableDef[] | undefined): void;
  /** `owner`: the worker's pid, whose trackers are released if it dies holding them. */
  track(owner: number, table: string, rawKey: string, ev: StickTrackEvents): StickSnapshot | undefined;
  update(owner: number, table: string, rawKey: string, u: StickUpdate): void;
  /** A worker's batch, in order: the answers to its tracks. */
  apply(owner: number, ops: readonly StickOp[]): StickAnswer[];
  /** A worker is gone: the trackers it held end (conn_cur down, the entries may expire). */
  forget(owner: number): void;
}

export function createStickTables(now: () => number = Date.now): StickTables {
  const tables = new Map<string, StickTable>();
  // Trackers held per worker: `table\0key` → count.
  const held = new Map<number, Map<string, number>>();
  const hold = (owner: number, id: string, n: number): void => {
    const m = held.get(owner) ?? new Map<string, number>();
    held.set(owner, m);
    const v = (m.get(id) ?? 0) + n;
    if (v <= 0) m.delete(id);
    else m.set(id, v);
  };
  return {
    prepare(defs) {
      for (const def of defs ?? []) {
        const t = tables.get(def.name);
        if (t === undefined || t.def.type !== def.type || t.def.len !== def.len) tables.set(def.name, createTable(def));
        else tables.set(def.name, redefine(t, def));
      }
    },
    keepOnly(defs) {
      const names = new Set((defs ?? []).map((d) => d.name));
      for (const name of [...tables.keys()]) if (!names.has(name)) tables.delete(name);
    },
    track(owner, table, rawKey, ev) {
      const t = tables.get(table);
      const key = t === undefined ? undefined : tableKey(t.def, rawKey);
      if (t === undefined || key === undefined) return undefined;
      const at = now();
      const e = track(t, key, at, ev);
      if (e !== undefined && ev.conn) hold(owner, `${table}\0${key}`, 1);
      return e === undefined ? undefined : snapshot(t, e, at);
    },
    update(owner, table, rawKey, u) {
      const t = tables.get(table);
      const key = t === undefined ? undefined : tableKey(t.def, rawKey);
      if (t === undefined || key === undefined) return;
      if (u.release === true) hold(owner, `${table}\0${key}`, -1);
      // A stored server creates its entry (stick on|store-request); the rest only changes one there.
      if (u.serverId !== undefined) getOrCreate(t, key, now());
      if (lookup(t, key, now()) !== undefined) update(t, key, now(), u);
    },
    apply(owner, ops) {
      const answers: StickAnswer[] = [];
      for (const o of ops) {
        if (o.op === 'update') {
          this.update(owner, o.table, o.key, o.update);
          continue;
        }
        if (o.op === 'lookup') {
          answers.push(lookupAnswer(tables.get(o.table), o.requestId, o.key, o.create, now()));
          continue;
        }
        const entry = this.track(owner, o.table, o.key, o.events);
        answers.push(entry === undefined ? { requestId: o.requestId } : { requestId: o.requestId, entry });
      }
      return answers;
    },
    forget(owner) {
      const m = held.get(owner);
      held.delete(owner);
      for (const [id, n] of m ?? []) {
        const [table, key] = id.split('\0') as [string, string];
        const t = tables.get(table);
        for (let i = 0; i < n && t !== undefined; i++) update(t, key, now(), { release: true });
      }
    },
    get(name) {
      const t = tables.get(name);
      if (t !== undefined) purge(t, now());
      return t;
    },
    all: () => [...tables.values()],
    key(name, raw) {
      const t = tables.get(name);
      return t === undefined ? undefined : tableKey(t.def, raw);
    },
  };
}

/** A fetch's look-up of an untracked key: the entry if there (or created), and the table's fill. */
function lookupAnswer(t: StickTable | undefined, requestId: number, rawKey: string, create: boolean, at: number): StickAnswer {
  const key = t === undefined ? undefined : tableKey(t.def, rawKey);
  if (t === undefined) return { requestId };
  const e = key === undefined ? undefined : create ? getOrCreate(t, key, at) : lookup(t, key, at);
  const fill = { used: t.entries.size, size: t.def.size };
  return e === undefined ? { requestId, ...fill } : { requestId, entry: snapshot(t, e, at), ...fill };
}
