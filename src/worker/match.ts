// Pattern matching of samples (configuration.txt 7.1): one lookup per match method, compiled once
// from checked patterns, shared by ACLs (does any pattern match?) and map converters (which
// entry?). Values are plain JS values: strings (also IP addresses and methods), numbers, booleans.
import type { MatchMethod } from '../config/model.ts';
import { maskWord, parseIntPatterns, parseIntRange, parseIpPattern, parseIpv4Strict, parseIpv6, type IntRange } from '../config/patterns.ts';

export type SampleValue = string | number | boolean;

/** HAProxy's casts to string: booleans are `1`/`0`. */
export function toStr(v: SampleValue): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v ? '1' : '0';
}

/** To an integer as HAProxy casts a string: its leading digits, 0 when it starts with none. */
export function toInt(v: SampleValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return leadingInt(v) ?? 0;
}

/** The integer at the start of a string (`12abc` → 12), undefined when it starts with none. */
export function leadingInt(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43) {
    neg = s.charCodeAt(0) === 45;
    i = 1;
  }
  let n = 0;
  const start = i;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  if (i === start) return undefined;
  return neg ? -n : n;
}

export function toBool(v: SampleValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  const n = leadingInt(v);
  return n !== undefined && n !== 0;
}

/** Index of the entry that matches a value, -1 when none (for ACLs: whether any does). */
export type Lookup = (v: SampleValue) => number;

const NONE: Lookup = () => -1;

/** Compile the lookup of `match` over `keys` (already checked by the config). */
export function compileLookup(match: MatchMethod, keys: readonly string[], ignoreCase: boolean): Lookup {
  const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  switch (match) {
    case 'found':
      return () => 0;
    case 'bool':
      return (v) => (toBool(v) ? 0 : -1);
    case 'int':
      return rangeLookup(keys, (v) => toInt(v));
    case 'len':
      return rangeLookup(keys, (v) => toStr(v).length);
    case 'ip':
      return ipLookup(keys);
    case 'str': {
      const index = new Map<string, number>();
      keys.forEach((k, i) => {
        if (!index.has(fold(k))) index.set(fold(k), i);
      });
      return ignoreCase ? (v) => index.get(toStr(v).toLowerCase()) ?? -1 : (v) => index.get(toStr(v)) ?? -1;
    }
    case 'beg':
    case 'end':
    case 'sub':
      return stringLookup(match, keys.map(fold), ignoreCase);
    case 'reg': {
      const res = keys.map((k) => new RegExp(k, ignoreCase ? 'i' : ''));
      return (v) => {
        const s = toStr(v);
        for (let i = 0; i < res.length; i++) if ((res[i] as RegExp).test(s)) return i;
        return -1;
      };
    }
    case 'dom':
    case 'dir':
      return wordLookup(match === 'dom' ? DOM_DELIMS : '/', keys.map(fold), ignoreCase);
  }
  return NONE;
}

/**
 * `beg` keeps HAProxy's prefix tree: the longest matching key wins (`map_beg` with `/a` and
 * `/api` maps `/api/x` by `/api`, as HAProxy 2.6 answers); `end` and `sub` are lists: the first.
 */
function stringLookup(match: 'beg' | 'end' | 'sub', keys: readonly string[], ignoreCase: boolean): Lookup {
  const n = keys.length;
  if (match === 'beg') {
    return (v) => {
      const s = ignoreCase ? toStr(v).toLowerCase() : toStr(v);
      let best = -1;
      for (let i = 0; i < n; i++) {
        const k = keys[i] as string;
        if (s.startsWith(k) && (best === -1 || k.length > (keys[best] as string).length)) best = i;
      }
      return best;
    };
  }
  return (v) => {
    const s = ignoreCase ? toStr(v).toLowerCase() : toStr(v);
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string;
      if (match === 'end' ? s.endsWith(k) : s.includes(k)) return i;
    }
    return -1;
  };
}

const DOM_DELIMS = './:?';

/** `dom`/`dir`: the pattern delimited by the delimiters (or the ends) anywhere in the value. */
function wordLookup(delims: string, keys: readonly string[], ignoreCase: boolean): Lookup {
  // Leading and trailing delimiters in a pattern are ignored.
  const trimmed = keys.map((k) => {
    let a = 0;
    let b = k.length;
    while (a < b && delims.includes(k[a] as string)) a++;
    while (b > a && delims.includes(k[b - 1] as string)) b--;
    return k.slice(a, b);
  });
  return (v) => {
    const s = ignoreCase ? toStr(v).toLowerCase() : toStr(v);
    for (let i = 0; i < trimmed.length; i++) if (containsWord(s, trimmed[i] as string, delims)) return i;
    return -1;
  };
}

function containsWord(s: string, w: string, delims: string): boolean {
  if (w === '') return false;
  let from = 0;
  for (;;) {
    const at = s.indexOf(w, from);
    if (at === -1) return false;
    const before = at === 0 || delims.includes(s[at - 1] as string);
    const end = at + w.length;
    const after = end === s.length || delims.includes(s[end] as string);
    if (before && after) return true;
    from = at + 1;
  }
}

function rangeLookup(keys: readonly string[], read: (v: SampleValue) => number | undefined): Lookup {
  // For a map, each key is one range; for an ACL, operators apply to the values after them.
  const ranges: IntRange[] = [];
  const owner: number[] = [];
  let op: string[] = [];
  keys.forEach((k, i) => {
    if (['eq', 'ge', 'gt', 'le', 'lt'].includes(k)) {
      op = [k];
      return;
    }
    const parsed = op.length > 0 ? parseIntPatterns([...op, k]) : ((r) => (r.ok ? { ok: true as const, value: [r.value] } : r))(parseIntRange(k));
    if (!parsed.ok) return;
    for (const r of parsed.value) {
      ranges.push(r);
      owner.push(i);
    }
  });
  return (v) => {
    const n = read(v);
    if (n === undefined) return -1;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i] as IntRange;
      if (n >= r.min && n <= r.max) return owner[i] as number;
    }
    return -1;
  };
}

interface Net4 {
  net: number;
  mask: number;
  bits: number;
  index: number;
}
interface Net6 {
  words: number[];
  bits: number;
  index: number;
}

/** IP networks, most specific first (HAProxy keeps them in a longest-prefix tree). */
function ipLookup(keys: readonly string[]): Lookup {
  const v4: Net4[] = [];
  const v6: Net6[] = [];
  keys.forEach((k, index) => {
    const p = parseIpPattern(k);
    if (!p.ok) return;
    if (p.value.v6) v6.push({ words: p.value.words, bits: p.value.bits, index });
    else v4.push({ net: p.value.words[0] as number, mask: maskWord(p.value.bits), bits: p.value.bits, index });
  });
  const bySpecificity = (a: { bits: number; index: number }, b: { bits: number; index: number }): number => b.bits - a.bits || a.index - b.index;
  v4.sort(bySpecificity);
  v6.sort(bySpecificity);
  return (v) => {
    if (typeof v !== 'string') return -1;
    const a4 = parseIpv4Strict(v);
    if (a4 !== undefined) return match4(v4, a4) ?? match6(v6, [0, 0, 0xffff, a4]) ?? -1;
    const a6 = parseIpv6(v);
    if (a6 === undefined) return -1;
    // configuration.txt 7.1.6: an IPv4 pattern matches ::IPV4, ::ffff:IPV4 and 2002:IPV4::.
    const embedded = embeddedV4(a6);
    return match6(v6, a6) ?? (embedded === undefined ? undefined : match4(v4, embedded)) ?? -1;
  };
}

function match4(nets: readonly Net4[], a: number): number | undefined {
  for (const n of nets) if (((a & n.mask) >>> 0) === n.net) return n.index;
  return undefined;
}

function match6(nets: readonly Net6[], a: readonly number[]): number | undefined {
  for (const n of nets) {
    let ok = true;
    for (let i = 0; i < 4 && ok; i++) ok = (((a[i] as number) & maskWord(n.bits - 32 * i)) >>> 0) === n.words[i];
    if (ok) return n.index;
  }
  return undefined;
}

function embeddedV4(w: readonly number[]): number | undefined {
  const [w0, w1, w2, w3] = w as [number, number, number, number];
  if (w0 === 0 && w1 === 0 && (w2 === 0 || w2 === 0xffff)) return w3;
  if (w0 >>> 16 === 0x2002) return (((w0 & 0xffff) << 16) | (w1 >>> 16)) >>> 0;
  return undefined;
}
