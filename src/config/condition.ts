// ACLs and `if` / `unless` conditions. handoff evaluates a small set of fetches (ssl_fc, path,
// path_beg, path_end, hdr(host), method); anything else is an error rather than a rule that would
// silently match differently from HAProxy.
import type { Condition, ConditionTerm, Predicate } from './model.ts';
import type { Parsed } from './units.ts';

type ValueFetch = 'path' | 'path_beg' | 'path_end' | 'hdr_host' | 'method';

const VALUE_FETCHES: Record<string, ValueFetch> = {
  path: 'path',
  path_beg: 'path_beg',
  path_end: 'path_end',
  'hdr(host)': 'hdr_host',
  'req.hdr(host)': 'hdr_host',
  hdr_host: 'hdr_host',
  method: 'method',
};

const MATCH_METHODS: Record<string, Record<string, ValueFetch>> = {
  path: { str: 'path', beg: 'path_beg', end: 'path_end' },
  hdr_host: { str: 'hdr_host' },
  method: { str: 'method' },
};

const SUPPORTED = 'ssl_fc, path, path_beg, path_end, hdr(host), method';

/** HAProxy's predefined ACLs that map onto supported predicates. */
const PREDEFINED: Record<string, Predicate> = {
  TRUE: { fetch: 'always_true' },
  FALSE: { fetch: 'always_false' },
  METH_GET: { fetch: 'method', values: ['GET', 'HEAD'] },
  METH_HEAD: { fetch: 'method', values: ['HEAD'] },
  METH_POST: { fetch: 'method', values: ['POST'] },
  METH_PUT: { fetch: 'method', values: ['PUT'] },
  METH_DELETE: { fetch: 'method', values: ['DELETE'] },
  METH_OPTIONS: { fetch: 'method', values: ['OPTIONS'] },
  METH_TRACE: { fetch: 'method', values: ['TRACE'] },
  METH_CONNECT: { fetch: 'method', values: ['CONNECT'] },
};

/** Parse `FETCH [flags] [values…]` (an `acl` line after its name, or the inside of `{ … }`). */
export function parsePredicate(words: readonly string[]): Parsed<Predicate> {
  const [fetchWord, ...rest] = words;
  if (fetchWord === undefined) return { ok: false, error: 'missing fetch method in ACL' };
  const fetchName = fetchWord.toLowerCase() === 'hdr(host)' || fetchWord.toLowerCase() === 'req.hdr(host)' ? fetchWord.toLowerCase() : fetchWord;
  if (fetchName === 'ssl_fc') {
    if (rest.length > 0) return { ok: false, error: "'ssl_fc' is a boolean fetch and takes no values" };
    return { ok: true, value: { fetch: 'ssl_fc' } };
  }
  const initial = VALUE_FETCHES[fetchName];
  if (initial === undefined) {
    return { ok: false, error: `unsupported ACL fetch '${fetchWord}' (handoff evaluates ${SUPPORTED})` };
  }
  let fetch: ValueFetch = initial;
  const values: string[] = [];
  let ignoreCase = false;
  let i = 0;
  // Flags come before the values; `--` ends them.
  while (i < rest.length) {
    const w = rest[i] as string;
    if (w === '--') {
      i++;
      break;
    }
    if (w === '-i') {
      ignoreCase = true;
      i++;
      continue;
    }
    if (w === '-m') {
      const how = rest[i + 1];
      const base: Record<string, ValueFetch> | undefined = fetch === 'path_beg' || fetch === 'path_end' ? undefined : MATCH_METHODS[fetch];
      const mapped: ValueFetch | undefined = how === undefined || base === undefined ? undefined : base[how];
      if (mapped === undefined) return { ok: false, error: `match method '-m ${how ?? ''}' is not supported with '${fetchWord}'` };
      fetch = mapped;
      i += 2;
      continue;
    }
    if (w.startsWith('-') && w.length > 1 && /^-[a-z]$/.test(w)) {
      return { ok: false, error: `ACL flag '${w}' is not supported (handoff supports -i and -m str|beg|end)` };
    }
    break;
  }
  values.push(...rest.slice(i));
  if (values.length === 0) return { ok: false, error: `ACL fetch '${fetchWord}' needs at least one value to match` };
  return { ok: true, value: ignoreCase ? { fetch, values, ignoreCase } : { fetch, values } };
}

interface Term {
  negate: boolean;
  /** Alternatives: a named ACL defined on several lines matches if any definition matches. */
  preds: Predicate[];
}

const MAX_GROUPS = 256;

/** Expand AND-of-ORs into the model's OR-of-ANDs (negated alternatives become ANDed negations). */
function expand(terms: Term[]): ConditionTerm[][] {
  let acc: ConditionTerm[][] = [[]];
  for (const t of terms) {
    if (t.negate) acc = acc.map((g) => [...g, ...t.preds.map((p) => ({ negate: true, predicate: structuredClone(p) }))]);
    else acc = acc.flatMap((g) => t.preds.map((p) => [...g, { negate: false, predicate: structuredClone(p) }]));
  }
  return acc;
}

/**
 * Parse the words after `if` / `unless`. `acls` holds the proxy's named ACLs declared so far
 * (HAProxy requires an ACL to be declared before a rule uses it).
 */
export function parseCondition(keyword: 'if' | 'unless', words: readonly string[], acls: Readonly<Record<string, Predicate[]>>): Parsed<Condition> {
  if (words.length === 0) return { ok: false, error: `missing condition after '${keyword}'` };
  const groups: ConditionTerm[][] = [];
  let terms: Term[] = [];
  const closeGroup = (): string | undefined => {
    if (terms.length === 0) return "'||' needs a condition on both sides";
    groups.push(...expand(terms));
    terms = [];
    return groups.length > MAX_GROUPS ? `condition expands to more than ${MAX_GROUPS} alternatives` : undefined;
  };
  let i = 0;
  while (i < words.length) {
    let w = words[i] as string;
    if (w === '||' || w === 'or') {
      const err = closeGroup();
      if (err !== undefined) return { ok: false, error: err };
      i++;
      continue;
    }
    let negate = false;
    while (w.startsWith('!')) {
      negate = !negate;
      w = w.slice(1);
    }
    if (w === '') {
      // A lone `!` applies to the next word.
      i++;
      const next = words[i];
      if (next === undefined) return { ok: false, error: "'!' must be followed by an ACL" };
      w = next;
      while (w.startsWith('!')) {
        negate = !negate;
        w = w.slice(1);
      }
    }
    if (w === '{') {
      const end = words.indexOf('}', i + 1);
      if (end === -1) return { ok: false, error: "missing closing '}' in anonymous ACL (braces must be separate words)" };
      const pred = parsePredicate(words.slice(i + 1, end));
      if (!pred.ok) return pred;
      terms.push({ negate, preds: [pred.value] });
      i = end + 1;
      continue;
    }
    if (w.startsWith('{')) return { ok: false, error: `'${w}': put a space after '{' in an anonymous ACL` };
    const named = acls[w];
    const predefined = PREDEFINED[w];
    if (named !== undefined) terms.push({ negate, preds: named });
    else if (predefined !== undefined) terms.push({ negate, preds: [predefined] });
    else return { ok: false, error: `no such ACL: '${w}' (declare it with 'acl ${w} …' before the rule that uses it)` };
    i++;
  }
  const err = closeGroup();
  if (err !== undefined) return { ok: false, error: err };
  return { ok: true, value: { unless: keyword === 'unless', anyOf: groups } };
}

/** Split a rule's words at `if` / `unless`: the words before, and the parsed condition if any. */
export function splitCondition(
  words: readonly string[],
  acls: Readonly<Record<string, Predicate[]>>,
): Parsed<{ head: string[]; cond?: Condition }> {
  const idx = words.findIndex((w) => w === 'if' || w === 'unless');
  if (idx === -1) return { ok: true, value: { head: [...words] } };
  const cond = parseCondition(words[idx] as 'if' | 'unless', words.slice(idx + 1), acls);
  if (!cond.ok) return cond;
  return { ok: true, value: { head: words.slice(0, idx), cond: cond.value } };
}

/** Add one `acl NAME …` definition; same-fetch definitions merge their values. */
export function addAcl(acls: Record<string, Predicate[]>, name: string, pred: Predicate): void {
  const list = acls[name] ?? [];
  const same = 'values' in pred ? list.find((p) => p.fetch === pred.fetch && 'values' in p && p.ignoreCase === pred.ignoreCase) : undefined;
  if (same !== undefined && 'values' in same && 'values' in pred) same.values.push(...pred.values);
  else list.push(structuredClone(pred));
  acls[name] = list;
}
