// Maps and ACL files at runtime (`show map`, `add map`, `del acl` …): the master changes its copy
// of the serving configuration (so a worker forked later gets the change with its `init`) and
// sends the file's new entries to every worker, which rebuild their lookups on the next request.
// As in HAProxy, a reload reads the files again: runtime changes last until the next reload.
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/model.ts';
import { entryProblem, patternRefs, refEntries, setRefEntries, type PatternRef } from '../config/pattern-refs.ts';
import type { MasterToWorker } from '../ipc/messages.ts';
import { compileLookup } from '../worker/match.ts';
import type { AdminTarget, PatternChange, PatternEntry, PatternKind, PatternMatch, PatternRefSummary } from '../admin/target.ts';

export interface PatternStoreDeps {
  current(): { generation: number; config: Config } | undefined;
  broadcast(msg: MasterToWorker): void;
}

type PatternApi = Pick<AdminTarget, 'patternRefs' | 'patternEntries' | 'patternLookup' | 'changePatterns'>;

/** An entry's identifier looks like HAProxy's (a pointer); it only has to be unique and stable. */
const ENTRY_BASE = 0x55d0_0000_0000;

function unknown(kind: PatternKind): string {
  return kind === 'map' ? 'Unknown map identifier. Please use #<id> or <file>.' : 'Unknown ACL identifier. Please use #<id> or <file>.';
}

/** HAProxy indexes exact strings (case-sensitive), prefixes and addresses in trees. */
function indexKind(ref: PatternRef): 'tree' | 'list' {
  return (ref.match === 'str' || ref.match === 'beg') && !ref.ignoreCase ? 'tree' : ref.match === 'ip' ? 'tree' : 'list';
}

export function createPatternStore(deps: PatternStoreDeps): PatternApi {
  let config: Config | undefined;
  let generation = -1;
  let refs: PatternRef[] = [];
  /** Entry identifiers by file, parallel to its entries; new ones for added entries. */
  const ids = new Map<string, number[]>();
  let nextId = 1;

  const refresh = (): { generation: number; config: Config } | undefined => {
    const cur = deps.current();
    if (cur !== undefined && (cur.config !== config || cur.generation !== generation)) {
      config = cur.config;
      generation = cur.generation;
      refs = patternRefs(cur.config);
      ids.clear();
    }
    return cur;
  };

  const find = (kind: PatternKind, name: string): PatternRef | undefined => {
    const cur = refresh();
    if (cur === undefined) return undefined;
    const ofKind = refs.filter((r) => (kind === 'map' ? r.map : r.acl));
    if (name.startsWith('#')) return /^#\d+$/.test(name) ? ofKind.find((r) => r.id === Number(name.slice(1))) : undefined;
    const path = resolve(dirname(cur.config.file), name);
    return ofKind.find((r) => r.path === name || r.path === path);
  };

  const entriesOf = (ref: PatternRef): { entries: [string, string][]; ids: number[] } => {
    const entries = refEntries(ref);
    let own = ids.get(ref.path);
    if (own === undefined || own.length !== entries.length) {
      own = entries.map(() => nextId++);
      ids.set(ref.path, own);
    }
    return { entries, ids: own };
  };

  const commit = (ref: PatternRef, entries: [string, string][], own: number[]): void => {
    setRefEntries(ref, entries);
    ids.set(ref.path, own);
    deps.broadcast({ type: 'pattern-ref', generation, path: ref.path, entries });
  };

  return {
    patternRefs(kind) {
      refresh();
      return refs
        .filter((r) => (kind === 'map' ? r.map : r.acl))
        .map((r): PatternRefSummary => ({
          id: r.id,
          path: r.path,
          description: `pattern loaded from file '${r.path}' used by ${r.usedBy.join(', by ')}`,
          entries: refEntries(r).length,
        }));
    },
    patternEntries(kind, name) {
      const ref = find(kind, name);
      if (ref === undefined) return unknown(kind);
      const { entries, ids: own } = entriesOf(ref);
      return entries.map(([key, value], i): PatternEntry => ({ ref: `0x${(ENTRY_BASE + (own[i] as number) * 0x90).toString(16)}`, key, value }));
    },
    patternLookup(kind, name, sample) {
      const ref = find(kind, name);
      if (ref === undefined) return unknown(kind);
      const entries = refEntries(ref);
      const i = compileLookup(ref.match, entries.map((e) => e[0]), ref.ignoreCase)(sample);
      const out: PatternMatch = { match: ref.match, ignoreCase: ref.ignoreCase, idx: indexKind(ref), ...(ref.output !== undefined ? { output: ref.output } : {}) };
      const hit = entries[i];
      if (hit !== undefined) out.entry = { key: hit[0], value: hit[1] };
      return out;
    },
    changePatterns(kind, name, change) {
      const ref = find(kind, name);
      if (ref === undefined) return unknown(kind);
      const { entries, ids: own } = entriesOf(ref);
      return applyChange(ref, change, entries, own, () => nextId++, (e, o) => commit(ref, e, o));
    },
  };
}

/** One change to a file's entries, in HAProxy's words when it is refused. */
function applyChange(
  ref: PatternRef,
  change: PatternChange,
  entries: [string, string][],
  own: number[],
  newId: () => number,
  commit: (entries: [string, string][], own: number[]) => void,
): string | null {
  if (change.op === 'clear') {
    commit([], []);
    return null;
  }
  const { key } = change;
  if (change.op === 'add') {
    const problem = entryProblem(ref, key, change.value);
    if (problem !== undefined) return `${problem}.`;
    commit([...entries, [key, change.value ?? '']], [...own, newId()]);
    return null;
  }
  // `#0x…` names one entry by its identifier; otherwise every entry with that key.
  const byId = /^#0x[0-9a-f]+$/i.test(key) ? (Number.parseInt(key.slice(3), 16) - ENTRY_BASE) / 0x90 : undefined;
  if (key.startsWith('#0x') && byId === undefined) return 'Malformed identifier. Please use #<id> or <file>.';
  const hit = (i: number): boolean => (byId !== undefined ? own[i] === byId : entries[i]?.[0] === key);
  const hits = entries.map((_, i) => i).filter(hit);
  if (change.op === 'set') {
    if (hits.length === 0) return 'entry not found.';
    const problem = entryProblem(ref, entries[hits[0] as number]?.[0] ?? key, change.value);
    if (problem !== undefined) return `${problem}.`;
    commit(entries.map(([k, v], i) => [k, hits.includes(i) ? (change.value ?? '') : v]), own);
    return null;
  }
  if (hits.length === 0) return 'Key not found.';
  commit(entries.filter((_, i) => !hits.includes(i)), own.filter((_, i) => !hits.includes(i)));
  return null;
}
