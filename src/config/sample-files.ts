// The files samples name: ACL pattern files (`-f`, `-M`) and map files (`map*` converters). The
// parser leaves them empty with the config line that names them; load.ts reads each file once
// and this module fills every use of it, checking each line as the match method reads it, so a
// bad pattern is an error at PATTERNFILE:LINE before anything runs.
import { isAbsolute, resolve } from 'node:path';
import { diagnostic } from './diagnostics.ts';
import type { Config, Converter, Diagnostic, Location, MapFile, MatchMethod, PatternFile, Predicate } from './model.ts';
import { checkPatterns, readMapLines, readPatternLines } from './patterns.ts';
import { mapConverter } from './sample.ts';

type FileHolder = MapFile | PatternFile;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isPredicate(v: Record<string, unknown>): v is Predicate & Record<string, unknown> {
  return isObject(v.sample) && typeof v.match === 'string' && Array.isArray(v.patterns);
}

function isConverter(v: Record<string, unknown>): v is Converter & Record<string, unknown> {
  return typeof v.name === 'string' && Array.isArray(v.args) && isObject(v.map);
}

/** Give the files named inside `value` (a predicate, a condition, a template) the line that names them. */
export function locateSampleFiles(value: unknown, loc: Location): void {
  walk(value, (holder) => {
    if (holder.loc.line === 0) holder.loc = { ...loc };
  });
  locateUserlists(value, loc);
}

/** `http_auth(L)`: the userlist named, with the line naming it, until resolved at load. */
function locateUserlists(value: unknown, loc: Location): void {
  if (Array.isArray(value)) {
    for (const v of value) locateUserlists(v, loc);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.fetch === 'string' && isObject(value.userlist) && isObject(value.userlist.loc) && value.userlist.loc.line === 0) value.userlist.loc = { ...loc };
  for (const v of Object.values(value)) locateUserlists(v, loc);
}

/** The line of the nearest rule (or section) around a value, for files the parser could not place. */
function ownLoc(value: Record<string, unknown>, outer: Location | undefined): Location | undefined {
  const loc = value.loc;
  return isObject(loc) && typeof loc.file === 'string' && typeof loc.line === 'number' && loc.line > 0 ? { file: loc.file, line: loc.line } : outer;
}

function walk(value: unknown, visit: (holder: FileHolder, owner: Predicate | Converter, outer: Location | undefined) => void, outer?: Location): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit, outer);
    return;
  }
  if (!isObject(value)) return;
  const here = isPredicate(value) || isConverter(value) ? outer : ownLoc(value, outer);
  if (isPredicate(value)) for (const f of value.files ?? []) visit(f, value, here);
  if (isConverter(value) && value.map !== undefined) visit(value.map, value, here);
  for (const [k, v] of Object.entries(value)) if (k !== 'map' && k !== 'files') walk(v, visit, here);
}

/** What a file's lines must be, for the match and output type of its use. */
export interface SampleFileUse {
  holder: FileHolder;
  /** The pattern files of a predicate: its match and case. */
  match?: MatchMethod;
  ignoreCase?: boolean;
  /** Map converters: the key match and the output type of the values. */
  map?: { match: string; output: string };
  loc: Location;
}

/** Every use of a pattern or map file in `config`, in the order the configuration holds them. */
export function sampleFileUses(config: Config): SampleFileUse[] {
  const out: SampleFileUse[] = [];
  walk(config, (holder, owner, outer) => {
    if (holder.loc.line === 0 && outer !== undefined) holder.loc = outer;
    if ('sample' in owner) out.push({ holder, match: owner.match, ignoreCase: owner.ignoreCase === true, loc: holder.loc });
    else {
      const kind = mapConverter(owner.name);
      if (kind !== undefined) out.push({ holder, map: { match: kind.match, output: kind.output }, loc: holder.loc });
    }
  });
  return out;
}

function checkLine(use: SampleFileUse, key: string, value: string): string | undefined {
  if (use.match !== undefined) return checkPatterns(use.match, [key], use.ignoreCase === true);
  const m = use.map;
  if (m === undefined) return undefined;
  const keyMatch = (m.match === 'regm' ? 'reg' : m.match) as MatchMethod;
  const err = checkPatterns(keyMatch, [key], false);
  if (err !== undefined) return err;
  if (m.output === 'int' && !/^[+-]?\d+$/.test(value)) return `value '${value}' is not an integer (map_*_int)`;
  if (m.output === 'ip' && checkPatterns('ip', [value], false) !== undefined) return `value '${value}' is not an IP address (map_*_ip)`;
  return undefined;
}

/**
 * Read every pattern and map file the configuration names (`read` returns the text or throws) and
 * fill them in. Relative paths resolve against `baseDir`, as errorfiles do.
 */
export async function loadSampleFiles(config: Config, baseDir: string, read: (path: string) => Promise<string>, ioMessage: (err: unknown) => string): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const cache = new Map<string, Promise<string | Error>>();
  const reported = new Set<string>();
  for (const use of sampleFileUses(config)) {
    const path = isAbsolute(use.holder.path) ? use.holder.path : resolve(baseDir, use.holder.path);
    use.holder.path = path;
    let pending = cache.get(path);
    if (pending === undefined) {
      pending = read(path).catch((err: unknown) => new Error(ioMessage(err)));
      cache.set(path, pending);
    }
    const text = await pending;
    const what = use.map !== undefined || ('map' in use.holder && use.holder.map === true) ? 'map file' : 'pattern file';
    if (text instanceof Error) {
      const key = `${use.loc.file}:${use.loc.line}:${path}`;
      if (!reported.has(key)) diags.push(diagnostic('error', use.loc, `cannot read ${what} '${path}': ${text.message}`));
      reported.add(key);
      continue;
    }
    fill(use, path, text, diags, reported);
  }
  diags.push(...resolveUserlists(config));
  return diags;
}

/** `http_auth(L)` and `http_auth_group(L)` get their userlist, or an error at the line that names it. */
function resolveUserlists(config: Config): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const visit = (value: unknown, loc: Location | undefined): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, loc);
      return;
    }
    if (!isObject(value)) return;
    const here = isObject(value.loc) && typeof value.loc.line === 'number' && value.loc.line > 0 ? (value.loc as unknown as Location) : loc;
    if ((value.fetch === 'http_auth' || value.fetch === 'http_auth_group') && Array.isArray(value.args)) {
      const name = String(value.args[0]);
      const list = config.userlists?.[name];
      const named = isObject(value.userlist) && isObject(value.userlist.loc) && Number(value.userlist.loc.line) > 0 ? (value.userlist.loc as unknown as Location) : here;
      if (list === undefined) diags.push(diagnostic('error', named ?? { file: config.file, line: 0 }, `sample fetch '${String(value.fetch)}': no userlist named '${name}'`));
      else value.userlist = structuredClone(list);
      return;
    }
    for (const [k, v] of Object.entries(value)) if (k !== 'userlists') visit(v, here);
  };
  visit({ frontends: config.frontends, backends: config.backends }, undefined);
  return diags;
}

function fill(use: SampleFileUse, path: string, text: string, diags: Diagnostic[], reported: Set<string>): void {
  const lines = readMapLines(text);
  const asMap = use.map !== undefined || ('map' in use.holder && use.holder.map === true);
  for (const l of asMap ? lines : readPatternLines(text).map((p) => ({ key: p.text, value: '', line: p.line }))) {
    const err = checkLine(use, l.key, l.value);
    const message = `${err ?? ''} (used at ${use.loc.file}:${use.loc.line})`;
    if (err !== undefined && !reported.has(`${path}:${l.line}:${message}`)) diags.push(diagnostic('error', { file: path, line: l.line }, message));
    reported.add(`${path}:${l.line}:${message}`);
  }
  const holder = use.holder;
  if ('entries' in holder) holder.entries = lines.map((l) => [l.key, l.value]);
  else holder.patterns = asMap ? lines.map((l) => ({ text: l.key, line: l.line })) : readPatternLines(text);
}
