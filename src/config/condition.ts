// ACLs and `if` / `unless` conditions (configuration.txt 7.1, 7.2, 7.4): `acl NAME CRITERION
// [flags] [--] [operator] [patterns…]` over any sample expression of sample.ts, anonymous ACLs
// `{ … }`, named ACLs (several lines of one name OR together) and HAProxy's predefined ACLs.
import type { Condition, ConditionTerm, MatchMethod, PatternFile, Predicate, Sample, SampleType } from './model.ts';
import type { Parsed } from './units.ts';
import { parseSampleAt, scopeProblem, type SampleWhere } from './sample.ts';
import { checkPatterns } from './patterns.ts';

const MATCHES: readonly MatchMethod[] = ['found', 'bool', 'int', 'ip', 'str', 'beg', 'end', 'sub', 'reg', 'dom', 'dir', 'len'];

/** The match a type implies without `-m` (configuration.txt 7.1, the default matching table). */
function defaultMatch(type: SampleType): MatchMethod {
  return type === 'bool' ? 'bool' : type === 'int' ? 'int' : type === 'ip' ? 'ip' : 'str';
}

/** Which `-m` methods a sample type accepts (the compatibility matrix of 7.1). */
function matchAllowed(match: MatchMethod, type: SampleType): boolean {
  if (match === 'bool') return type !== 'ip';
  if (match === 'ip') return type === 'ip' || type === 'str';
  return true;
}

export interface PredicateParse {
  /** One predicate per stretch of `-i`: `-i` applies to what follows it only. */
  predicates: Predicate[];
  warnings: string[];
}

interface FlagState {
  match?: MatchMethod;
  ignoreCase: boolean;
  mapFiles: boolean;
  /** Patterns and files gathered since the last `-i`. */
  groups: { ignoreCase: boolean; patterns: string[]; files: PatternFile[] }[];
}

function current(st: FlagState): FlagState['groups'][number] {
  let g = st.groups[st.groups.length - 1];
  if (g === undefined || g.ignoreCase !== st.ignoreCase) {
    g = { ignoreCase: st.ignoreCase, patterns: [], files: [] };
    st.groups.push(g);
  }
  return g;
}

/** Read the flags; returns the index of the first pattern, or an error. */
function readFlags(words: readonly string[], st: FlagState): Parsed<{ next: number; ended: boolean }> {
  let i = 0;
  while (i < words.length) {
    const w = words[i] as string;
    if (w === '--') return { ok: true, value: { next: i + 1, ended: true } };
    if (w === '-i') st.ignoreCase = true;
    else if (w === '-n' || w === '-u') {
      // -n: handoff never resolves names in IP patterns; -u: an id for the runtime API, which edits no ACL.
    } else if (w === '-M') st.mapFiles = true;
    else if (w === '-m') {
      const how = words[i + 1];
      if (how === 'bin') return { ok: false, error: "match method '-m bin' (hexadecimal blocks) is not supported by handoff" };
      if (how === undefined || !(MATCHES as readonly string[]).includes(how)) return { ok: false, error: `'-m' expects a match method (${MATCHES.join(', ')}), got '${how ?? ''}'` };
      if (st.groups.some((g) => g.files.length > 0)) return { ok: false, error: "'-m' must come before '-f'" };
      st.match = how as MatchMethod;
      i++;
    } else if (w === '-f') {
      const file = words[i + 1];
      if (file === undefined) return { ok: false, error: "'-f' expects a file name" };
      current(st).files.push({ path: file, patterns: [], loc: { file: '', line: 0 }, ...(st.mapFiles ? { map: true } : {}) });
      i++;
    } else if (/^-[a-zA-Z]$/.test(w)) return { ok: false, error: `unknown ACL flag '${w}' (flags: -i -f -m -n -u -M --)` };
    else return { ok: true, value: { next: i, ended: false } };
    i++;
  }
  return { ok: true, value: { next: i, ended: false } };
}

/** Parse `CRITERION [flags] [values…]` (an `acl` line after its name, or the inside of `{ … }`). */
export function parsePredicate(words: readonly string[]): Parsed<PredicateParse> {
  const [criterion, ...rest] = words;
  if (criterion === undefined) return { ok: false, error: 'missing fetch method in ACL' };
  const parsed = parseSampleAt(criterion, 0, true);
  if (!parsed.ok) return parsed;
  if (parsed.value.end !== criterion.length) return { ok: false, error: `unexpected '${criterion.slice(parsed.value.end)}' after '${criterion.slice(0, parsed.value.end)}' (converters are separated by commas, without spaces)` };
  const { sample, derivedMatch } = parsed.value;
  const st: FlagState = { ignoreCase: false, mapFiles: false, groups: [] };
  const flags = readFlags(rest, st);
  if (!flags.ok) return flags;
  const match = st.match ?? derivedMatch ?? defaultMatch(sample.type);
  if (!matchAllowed(match, sample.type)) return { ok: false, error: `matching method '${match}' cannot be used with fetch '${criterion}' (a ${sample.type} sample)` };
  const values = rest.slice(flags.value.next);
  if (values.length > 0) current(st).patterns.push(...values);
  const warnings: string[] = [];
  const groups = st.groups.filter((g) => g.patterns.length > 0 || g.files.length > 0);
  if (groups.length === 0 && match !== 'bool' && match !== 'found' && !flags.value.ended) {
    warnings.push(`no pattern to match '${criterion}' against: this ACL never matches (use '-m found' to test for presence, or '--' if this is intended)`);
  }
  for (const g of groups) {
    const err = checkPatterns(match, g.patterns, g.ignoreCase);
    if (err !== undefined) return { ok: false, error: err };
  }
  const predicates = (groups.length === 0 ? [{ ignoreCase: false, patterns: [], files: [] }] : groups).map((g) => predicate(sample, match, g));
  return { ok: true, value: { predicates, warnings } };
}

function predicate(sample: Sample, match: MatchMethod, g: FlagState['groups'][number]): Predicate {
  const p: Predicate = { sample: structuredClone(sample), match, patterns: g.patterns };
  if (g.ignoreCase) p.ignoreCase = true;
  if (g.files.length > 0) p.files = g.files;
  return p;
}

/** HAProxy's predefined ACLs (configuration.txt 7.4), as the ACL lines they stand for. */
const PREDEFINED: Record<string, string[]> = {
  TRUE: ['always_true'],
  FALSE: ['always_false'],
  HTTP: ['req.proto_http'],
  'HTTP_1.0': ['req.ver', '1.0'],
  'HTTP_1.1': ['req.ver', '1.1'],
  'HTTP_2.0': ['req.ver', '2.0'],
  HTTP_CONTENT: ['req.hdr_val(content-length)', 'gt', '0'],
  HTTP_URL_ABS: ['url_reg', '^[^/:]*://'],
  HTTP_URL_SLASH: ['url_beg', '/'],
  HTTP_URL_STAR: ['url', '*'],
  LOCALHOST: ['src', '127.0.0.1/8', '::1'],
  METH_CONNECT: ['method', 'CONNECT'],
  METH_DELETE: ['method', 'DELETE'],
  METH_GET: ['method', 'GET', 'HEAD'],
  METH_HEAD: ['method', 'HEAD'],
  METH_OPTIONS: ['method', 'OPTIONS'],
  METH_POST: ['method', 'POST'],
  METH_PUT: ['method', 'PUT'],
  METH_TRACE: ['method', 'TRACE'],
  REQ_CONTENT: ['req.len', 'gt', '0'],
  WAIT_END: ['wait_end'],
};

/** Predefined ACLs handoff cannot evaluate: they inspect raw TCP content. */
const PREDEFINED_REFUSED: Record<string, string> = {
  RDP_COOKIE: 'req.rdp_cookie_cnt gt 0',
};

function predefined(name: string): Parsed<Predicate[]> | undefined {
  const refused = PREDEFINED_REFUSED[name];
  if (refused !== undefined) return { ok: false, error: `predefined ACL '${name}' (${refused}) is not supported: handoff does not inspect TCP content before forwarding it` };
  const words = PREDEFINED[name];
  if (words === undefined) return undefined;
  const p = parsePredicate(words);
  return p.ok ? { ok: true, value: p.value.predicates } : p;
}

/** A named ACL's definitions; an ACL whose definition failed is present with none (reported once, at its line). */
export type AclTable = Readonly<Record<string, Predicate[]>>;

interface Term {
  negate: boolean;
  preds: Predicate[];
  acl?: string;
}

export interface ConditionParse {
  cond: Condition;
  /** Terms that never match where they are used (HAProxy warns, and so do we). */
  warnings: string[];
}

const FALSE_PREDICATE: Predicate = { sample: { fetch: 'always_false', args: [], convs: [], type: 'bool' }, match: 'bool', patterns: [] };

/** A term's predicates, with those that cannot be evaluated `where` replaced by never-matching ones. */
function placeTerm(t: Term, where: SampleWhere, warnings: string[]): ConditionTerm {
  const anyOf = t.preds.map((p) => {
    const problem = scopeProblem(p.sample, where);
    if (problem === undefined || !problem.never) return structuredClone(p);
    warnings.push(`${t.acl === undefined ? 'anonymous acl' : `acl '${t.acl}'`} will never match in ${where} rules: ${problem.message}`);
    return structuredClone(FALSE_PREDICATE);
  });
  return t.acl === undefined ? { negate: t.negate, anyOf } : { negate: t.negate, anyOf, acl: t.acl };
}

/** The term at `words[i]`: `[!]NAME` or `[!]{ … }`; returns it and the index after it. */
function readTerm(words: readonly string[], i: number, acls: AclTable): Parsed<{ term: Term; next: number }> {
  let w = words[i] as string;
  let negate = false;
  for (;;) {
    while (w.startsWith('!')) {
      negate = !negate;
      w = w.slice(1);
    }
    if (w !== '') break;
    // A lone `!` applies to the next word.
    i++;
    const next = words[i];
    if (next === undefined) return { ok: false, error: "'!' must be followed by an ACL" };
    w = next;
  }
  if (w === '{') {
    const end = words.indexOf('}', i + 1);
    if (end === -1) return { ok: false, error: "missing closing '}' in anonymous ACL (braces must be separate words)" };
    const pred = parsePredicate(words.slice(i + 1, end));
    if (!pred.ok) return { ok: false, error: `anonymous ACL: ${pred.error}` };
    return { ok: true, value: { term: { negate, preds: pred.value.predicates }, next: end + 1 } };
  }
  if (w.startsWith('{')) return { ok: false, error: `'${w}': put a space after '{' in an anonymous ACL` };
  const named = acls[w];
  if (named !== undefined) return { ok: true, value: { term: { negate, preds: named, acl: w }, next: i + 1 } };
  const pre = predefined(w);
  if (pre === undefined) return { ok: false, error: `no such ACL: '${w}' (declare it with 'acl ${w} …' before the rule that uses it)` };
  if (!pre.ok) return pre;
  return { ok: true, value: { term: { negate, preds: pre.value, acl: w }, next: i + 1 } };
}

/**
 * Parse the words after `if` / `unless`. `acls` holds the proxy's named ACLs declared so far
 * (HAProxy requires an ACL to be declared before a rule uses it); `where` is the rule's phase.
 */
export function parseCondition(keyword: 'if' | 'unless', words: readonly string[], acls: AclTable, where: SampleWhere = 'request'): Parsed<ConditionParse> {
  if (words.length === 0) return { ok: false, error: `missing condition after '${keyword}'` };
  const warnings: string[] = [];
  const groups: ConditionTerm[][] = [];
  let terms: ConditionTerm[] = [];
  let i = 0;
  while (i <= words.length) {
    const w = words[i];
    if (w === undefined || w === '||' || w === 'or') {
      if (terms.length === 0) return { ok: false, error: "'||' needs a condition on both sides" };
      groups.push(terms);
      terms = [];
      i++;
      continue;
    }
    const t = readTerm(words, i, acls);
    if (!t.ok) return t;
    terms.push(placeTerm(t.value.term, where, warnings));
    i = t.value.next;
  }
  return { ok: true, value: { cond: { unless: keyword === 'unless', anyOf: groups }, warnings: [...new Set(warnings)] } };
}

/** Split a rule's words at `if` / `unless`: the words before, and the parsed condition if any. */
export function splitCondition(
  words: readonly string[],
  acls: AclTable,
  where: SampleWhere = 'request',
): Parsed<{ head: string[]; cond?: Condition; warnings?: string[] }> {
  const idx = words.findIndex((w) => w === 'if' || w === 'unless');
  if (idx === -1) return { ok: true, value: { head: [...words] } };
  const parsed = parseCondition(words[idx] as 'if' | 'unless', words.slice(idx + 1), acls, where);
  if (!parsed.ok) return parsed;
  const { cond, warnings } = parsed.value;
  return { ok: true, value: warnings.length === 0 ? { head: words.slice(0, idx), cond } : { head: words.slice(0, idx), cond, warnings } };
}

/** Add one `acl NAME …` definition: definitions of one name OR together. */
export function addAcl(acls: Record<string, Predicate[]>, name: string, preds: readonly Predicate[]): void {
  const list = acls[name] ?? [];
  list.push(...preds.map((p) => structuredClone(p)));
  acls[name] = list;
}

/** Record an ACL whose definition failed: its uses are not reported again. */
export function addFailedAcl(acls: Record<string, Predicate[]>, name: string): void {
  acls[name] ??= [];
}

/** Every predicate of a condition. */
export function conditionPredicates(cond: Condition): Predicate[] {
  return cond.anyOf.flatMap((g) => g.flatMap((t) => t.anyOf));
}

/** The first problem evaluating a condition `where` (tcp mode: HTTP fetches), if any. */
export function conditionProblem(cond: Condition, where: SampleWhere): string | undefined {
  for (const p of conditionPredicates(cond)) {
    const problem = scopeProblem(p.sample, where);
    if (problem !== undefined && !problem.never) return problem.message;
  }
  return undefined;
}
