// The pattern references of a configuration, as HAProxy's runtime API names them: one per map or
// ACL pattern file (`map(FILE)`, `acl … -f FILE`), shared by every use of that file, numbered in
// the order of the configuration lines that first use them. The master lists and changes them
// (`show map`, `add acl` …); every worker applies the same change to its copy of the config.
import type { Config, MapFile, MatchMethod, PatternFile, SampleType } from './model.ts';
import { checkPatterns } from './patterns.ts';
import { sampleFileUses } from './sample-files.ts';

export interface PatternRef {
  /** HAProxy's `#ID`. */
  id: number;
  path: string;
  /** Used by a map converter / by an ACL. */
  map: boolean;
  acl: boolean;
  /** `map at file 'h.cfg' line 15`, newest use first, as HAProxy lists them. */
  usedBy: string[];
  /** How the first use compares a sample with the keys. */
  match: MatchMethod;
  ignoreCase: boolean;
  /** The output type of map values (a map's first use). */
  output?: SampleType;
  /** Every copy of the file's contents in the configuration: all change together. */
  holders: (MapFile | PatternFile)[];
}

/** The file's entries as its first holder has them: `[key, value]` (value empty for ACL patterns). */
export function refEntries(ref: PatternRef): [string, string][] {
  const map = ref.holders.find((h): h is MapFile => 'entries' in h);
  if (map !== undefined) return map.entries.map(([k, v]) => [k, v]);
  const first = ref.holders[0] as PatternFile | undefined;
  return (first?.patterns ?? []).map((p) => [p.text, '']);
}

type Building = PatternRef & { firstLine: number; fileRank: number; uses: { by: string; rank: number; line: number }[] };

export function patternRefs(config: Config): PatternRef[] {
  const byPath = new Map<string, Building>();
  const fileRanks = new Map<string, number>();
  for (const use of sampleFileUses(config)) {
    const path = use.holder.path;
    const rank = fileRanks.get(use.loc.file) ?? fileRanks.size;
    fileRanks.set(use.loc.file, rank);
    let ref = byPath.get(path);
    const isMap = use.map !== undefined;
    if (ref === undefined) {
      const match = (isMap ? (use.map?.match === 'regm' ? 'reg' : use.map?.match) : use.match) as MatchMethod;
      ref = { id: 0, path, map: false, acl: false, usedBy: [], uses: [], match, ignoreCase: use.ignoreCase === true, holders: [], firstLine: use.loc.line, fileRank: rank };
      if (isMap) ref.output = use.map?.output as SampleType;
      byPath.set(path, ref);
    }
    if (isMap) ref.map = true;
    else ref.acl = true;
    ref.holders.push(use.holder);
    const by = `${isMap ? 'map' : 'acl'} at file '${use.loc.file}' line ${use.loc.line}`;
    if (!ref.uses.some((u) => u.by === by)) ref.uses.push({ by, rank, line: use.loc.line });
    if (rank < ref.fileRank || (rank === ref.fileRank && use.loc.line < ref.firstLine)) {
      ref.fileRank = rank;
      ref.firstLine = use.loc.line;
    }
  }
  const refs = [...byPath.values()].sort((a, b) => a.fileRank - b.fileRank || a.firstLine - b.firstLine);
  // HAProxy lists the uses newest first, in the order it parsed the lines.
  return refs.map(({ firstLine: _l, fileRank: _r, uses, ...ref }, id) => ({ ...ref, id, usedBy: uses.sort((a, b) => b.rank - a.rank || b.line - a.line).map((u) => u.by) }));
}

/** Give every holder of `ref` these entries, and move their revision so compiled lookups rebuild. */
export function setRefEntries(ref: PatternRef, entries: readonly [string, string][]): void {
  for (const h of ref.holders) {
    if ('entries' in h) h.entries = entries.map(([k, v]) => [k, v]);
    else h.patterns = entries.map(([k]) => ({ text: k, line: 0 }));
    h.rev = (h.rev ?? 0) + 1;
  }
}

/** Apply entries to the ref of `path` in `config` (a worker's copy); false when it has none. */
export function applyRefEntries(config: Config, path: string, entries: readonly [string, string][]): boolean {
  const ref = patternRefs(config).find((r) => r.path === path);
  if (ref === undefined) return false;
  setRefEntries(ref, entries);
  return true;
}

/** Why `key` (and `value`, for a map) cannot be an entry of `ref`, in HAProxy's words; undefined when it can. */
export function entryProblem(ref: PatternRef, key: string, value: string | undefined): string | undefined {
  const keyErr = checkPatterns(ref.match, [key], ref.ignoreCase);
  if (keyErr !== undefined) return keyErr;
  if (value === undefined || !ref.map) return undefined;
  if (ref.output === 'int' && !/^[+-]?\d+$/.test(value)) return `'${value}' is not a valid integer`;
  if (ref.output === 'ip' && checkPatterns('ip', [value], false) !== undefined) return `'${value}' is not a valid IPv4 or IPv6 address`;
  return undefined;
}
