// The stick tables of the whole proxy, held by the master: one table per `stick-table` line,
// kept across reloads of both kinds (same name and key type: entries kept) and worker
// replacements. Workers track over IPC (src/worker/stick-client.ts); the runtime API reads here.
import { createTable, lookup, redefine, snapshot, track, update, type StickTable, type StickTableAccess } from '../stick/table.ts';
import { tableKey } from '../stick/keys.ts';
import type { StickSnapshot, StickTableDef, StickTrackEvents, StickUpdate } from '../stick/types.ts';

export interface StickTables extends StickTableAccess {
  /** Tables of a configuration about to serve: new ones created, changed ones redefined. */
  prepare(defs: readonly StickTableDef[] | undefined): void;
  /** The configuration serving now: tables it no longer declares go. */
  keepOnly(defs: readonly StickTableDef[] | undefined): void;
  track(table: string, rawKey: string, ev: StickTrackEvents): StickSnapshot | undefined;
  update(table: string, rawKey: string, u: StickUpdate): void;
}

export function createStickTables(now: () => number = Date.now): StickTables {
  const tables = new Map<string, StickTable>();
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
    track(table, rawKey, ev) {
      const t = tables.get(table);
      const key = t === undefined ? undefined : tableKey(t.def, rawKey);
      if (t === undefined || key === undefined) return undefined;
      const at = now();
      const e = track(t, key, at, ev);
      return e === undefined ? undefined : snapshot(t, e, at);
    },
    update(table, rawKey, u) {
      const t = tables.get(table);
      const key = t === undefined ? undefined : tableKey(t.def, rawKey);
      if (t !== undefined && key !== undefined && lookup(t, key, now()) !== undefined) update(t, key, now(), u);
    },
    get: (name) => tables.get(name),
    all: () => [...tables.values()],
    key(name, raw) {
      const t = tables.get(name);
      return t === undefined ? undefined : tableKey(t.def, raw);
    },
  };
}
