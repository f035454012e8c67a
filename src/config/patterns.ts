// ACL patterns as HAProxy parses them (configuration.txt 7.1.2–7.1.6): integers and ranges with
// their operators, IPv4/IPv6 addresses and networks, regexes; and the two file formats read at
// load (pattern files, map files). Pure functions shared by the config check and the worker.
import type { MatchMethod } from './model.ts';
import type { Parsed } from './units.ts';

/** An IP network: v4 as one 32-bit word, v6 as four; `bits` is the prefix length. */
export interface IpNet {
  v6: boolean;
  words: number[];
  bits: number;
}

/** An inclusive integer range; an open bound is ±Infinity. */
export interface IntRange {
  min: number;
  max: number;
}

/** Dotted IPv4 with HAProxy's abbreviated form: `10.12` is 10.12.0.0. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    let n = 0;
    if (p !== undefined) {
      if (!/^\d{1,3}$/.test(p)) return undefined;
      n = Number(p);
      if (n > 255) return undefined;
    }
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Strict dotted-quad IPv4 (as connections report it): four decimal octets. */
export function parseIpv4Strict(text: string): number | undefined {
  let v = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 46) {
      if (octet < 0 || dots === 3) return undefined;
      v = v * 256 + octet;
      octet = -1;
      dots++;
    } else if (ch >= 48 && ch <= 57) {
      octet = (octet < 0 ? 0 : octet * 10) + (ch - 48);
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || octet < 0) return undefined;
  return (v * 256 + octet) >>> 0;
}

/** IPv6 text (with `::` and an optional embedded IPv4 tail) as four 32-bit words. */
export function parseIpv6(text: string): number[] | undefined {
  if (text.length < 2 || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4Strict(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push((((all[i] as number) << 16) | (all[i + 1] as number)) >>> 0);
  return words;
}

/** A mask: CIDR bits, or dotted IPv4 / IPv6 form (contiguous). */
export function parseMask(text: string, family: 4 | 6): Parsed<number> {
  const max = family === 4 ? 32 : 128;
  if (/^\d{1,3}$/.test(text)) {
    const bits = Number(text);
    return bits <= max ? { ok: true, value: bits } : { ok: false, error: `mask /${text} is larger than ${max} bits` };
  }
  const words = family === 4 ? (() => { const v = parseIpv4Strict(text); return v === undefined ? undefined : [v]; })() : parseIpv6(text);
  if (words === undefined) return { ok: false, error: `invalid mask '${text}'` };
  let bits = 0;
  let ended = false;
  for (const w of words) {
    for (let b = 31; b >= 0; b--) {
      const set = ((w >>> b) & 1) === 1;
      if (set && ended) return { ok: false, error: `mask '${text}' is not contiguous` };
      if (set) bits++;
      else ended = true;
    }
  }
  return { ok: true, value: bits };
}

/** An address or network pattern: `192.168.0.0/16`, `10.12/8`, `2001:db8::/32`, `::1`. */
export function parseIpPattern(text: string): Parsed<IpNet> {
  const bad: Parsed<IpNet> = { ok: false, error: `'${text}' is not a valid IPv4 or IPv6 address` };
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const maskText = slash === -1 ? undefined : text.slice(slash + 1);
  const v4 = parseIpv4(addr);
  if (v4 !== undefined) {
    const bits = maskText === undefined ? 32 : parseMask(maskText, 4);
    if (typeof bits !== 'number' && !bits.ok) return bad;
    const b = typeof bits === 'number' ? bits : bits.value;
    return { ok: true, value: { v6: false, words: [b === 0 ? 0 : (v4 & maskWord(b)) >>> 0], bits: b } };
  }
  const v6 = parseIpv6(addr);
  if (v6 === undefined) return bad;
  // configuration.txt 7.1.6: only bit counts are accepted for IPv6 netmasks.
  if (maskText !== undefined && !/^\d{1,3}$/.test(maskText)) return bad;
  const b = maskText === undefined ? 128 : Number(maskText);
  if (b > 128) return bad;
  return { ok: true, value: { v6: true, words: v6.map((w, i) => (w & maskWord(Math.max(0, Math.min(32, b - 32 * i)))) >>> 0), bits: b } };
}

/** The top `bits` bits of a 32-bit word set (0 ≤ bits ≤ 32). */
export function maskWord(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parse an integer or range: `80`, `1024:65535`, `:1023`, `1024:`. */
export function parseIntRange(text: string): Parsed<IntRange> {
  const bad: Parsed<IntRange> = { ok: false, error: `'${text}' is not a valid number${text.includes(':') ? ' range' : ''}` };
  const num = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);
  const colon = text.indexOf(':');
  if (colon === -1) {
    const n = num(text);
    return n === undefined ? bad : { ok: true, value: { min: n, max: n } };
  }
  const lo = text.slice(0, colon);
  const hi = text.slice(colon + 1);
  const min = lo === '' ? -Infinity : num(lo);
  const max = hi === '' ? Infinity : num(hi);
  if (min === undefined || max === undefined || (lo === '' && hi === '') || min > max) return bad;
  return { ok: true, value: { min, max } };
}

const INT_OPERATORS = new Set(['eq', 'ge', 'gt', 'le', 'lt']);

/**
 * Integer patterns with their operators: an operator applies to the values after it (HAProxy's
 * compatibility layer, acl.c), and an operator with no value after it is ignored.
 */
export function parseIntPatterns(words: readonly string[]): Parsed<IntRange[]> {
  const out: IntRange[] = [];
  let op = 'eq';
  for (const w of words) {
    if (INT_OPERATORS.has(w)) {
      op = w;
      continue;
    }
    const r = parseIntRange(w);
    if (!r.ok) return r;
    const { min, max } = r.value;
    if (op !== 'eq' && min !== max) return { ok: false, error: `'${op} ${w}': an operator cannot apply to a range` };
    out.push(op === 'eq' ? r.value : op === 'ge' ? { min, max: Infinity } : op === 'gt' ? { min: min + 1, max: Infinity } : op === 'le' ? { min: -Infinity, max } : { min: -Infinity, max: max - 1 });
  }
  return { ok: true, value: out };
}

/** A regex as JavaScript compiles it; PCRE-only syntax is reported rather than misread. */
export function checkRegex(text: string, ignoreCase: boolean): string | undefined {
  try {
    new RegExp(text, ignoreCase ? 'i' : '');
    return undefined;
  } catch (err) {
    return `regex '${text}' is invalid (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
}

/** Patterns as the match method reads them: checked here, compiled by the worker. */
export function checkPatterns(match: MatchMethod, patterns: readonly string[], ignoreCase: boolean): string | undefined {
  switch (match) {
    case 'int':
    case 'len': {
      const r = parseIntPatterns(patterns);
      return r.ok ? undefined : r.error;
    }
    case 'ip':
      for (const p of patterns) {
        const r = parseIpPattern(p);
        if (!r.ok) return r.error;
      }
      return undefined;
    case 'reg':
      for (const p of patterns) {
        const e = checkRegex(p, ignoreCase);
        if (e !== undefined) return e;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** A pattern file: one pattern per line, leading blanks stripped, `#` lines and empty lines skipped. */
export function readPatternLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] as string).replace(/^[ \t]+/, '').replace(/[\r\n]+$/, '');
    if (t === '' || t.startsWith('#')) continue;
    out.push({ text: t.replace(/[ \t]+$/, ''), line: i + 1 });
  }
  return out;
}

/** A map file: the key is the first word, the value what follows the blanks after it (trailing blanks dropped). */
export function readMapLines(text: string): { key: string; value: string; line: number }[] {
  return readPatternLines(text).map((l) => {
    const m = /^(\S+)[ \t]*(.*)$/.exec(l.text) as RegExpExecArray;
    return { key: m[1] as string, value: m[2] as string, line: l.line };
  });
}
