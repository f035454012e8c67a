// Converters (configuration.txt 7.3.1), compiled once per configuration: each takes a value and
// returns the converted one, or undefined when the conversion fails (the sample is then absent).
// Map converters look the value up in the map file's entries, read by the master at load.
import type { Converter, MapFile, MatchMethod, SampleType } from '../config/model.ts';
import { mapConverter } from '../config/sample.ts';
import { maskWord, parseIpPattern, parseIpv4Strict, parseIpv6, parseMask } from '../config/patterns.ts';
import { compileLookup, toBool, toInt, toStr, type SampleValue } from './match.ts';
import type { SampleContext } from './sample.ts';

export type Convert = (v: SampleValue, ctx: SampleContext) => SampleValue | undefined;

/** HAProxy's answer to a division by zero; kept as text, beyond a double's exact integers. */
const INT64_MAX = '9223372036854775807';

function str(f: (s: string) => SampleValue | undefined): Convert {
  return (v) => f(toStr(v));
}

function int(f: (n: number) => SampleValue | undefined): Convert {
  return (v) => {
    const n = toInt(v);
    return n === undefined ? undefined : f(n);
  };
}

/** An integer argument or a variable read at each use. */
function operand(arg: string): (ctx: SampleContext) => number | undefined {
  if (/^[+-]?\d+$/.test(arg)) {
    const n = Number(arg);
    return () => n;
  }
  return (ctx) => {
    const v = arg.startsWith('sess.') ? ctx.conn.vars?.get(arg) : ctx.vars?.get(arg);
    return v === undefined ? undefined : toInt(v);
  };
}

function arith(arg: string, op: (a: number, b: number) => SampleValue): Convert {
  const b = operand(arg);
  return (v, ctx) => {
    const a = toInt(v);
    const n = b(ctx);
    return a === undefined || n === undefined ? undefined : op(a, n);
  };
}

/** Which items `index` and `count` select among `n` (HAProxy's word/field indexing), or undefined. */
function selectRange(n: number, index: number, count: number): { from: number; to: number } | undefined {
  let from: number;
  let to: number;
  if (index > 0) {
    from = index - 1;
    to = count === 0 ? n - 1 : Math.min(n - 1, from + count - 1);
  } else {
    to = n + index;
    from = count === 0 ? 0 : Math.max(0, to - count + 1);
  }
  return from >= n || to < 0 || from > to ? undefined : { from, to };
}

/**
 * `word` (delimiters at the ends and repeated ones do not make empty words) and `field` (every
 * delimiter separates): the selected items with the original text between them.
 */
function splitter(args: readonly string[], words: boolean): Convert {
  const index = Number(args[0]);
  const delims = args[1] ?? '';
  const count = args[2] === undefined || args[2] === '' ? 1 : Number(args[2]);
  return str((s) => {
    const starts: number[] = [];
    const ends: number[] = [];
    let start = 0;
    for (let i = 0; i <= s.length; i++) {
      if (i < s.length && !delims.includes(s[i] as string)) continue;
      if (!words || i > start) {
        starts.push(start);
        ends.push(i);
      }
      start = i + 1;
    }
    const r = selectRange(starts.length, index, count);
    return r === undefined ? undefined : s.slice(starts[r.from], ends[r.to]);
  });
}

/** `regsub(regex, subst, flags)`: `\N` in the substitution is group N. */
function regsub(args: readonly string[]): Convert {
  const flags = args[2] ?? '';
  const re = new RegExp(args[0] ?? '', (flags.includes('g') ? 'g' : '') + (flags.includes('i') ? 'i' : ''));
  const subst = (args[1] ?? '').replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
  return str((s) => s.replace(re, subst));
}

function hostOnly(s: string): string {
  const h = s.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

function portOnly(s: string): number {
  const close = s.lastIndexOf(']');
  const colon = s.lastIndexOf(':');
  if (colon === -1 || colon < close) return 0;
  return /^\d+$/.test(s.slice(colon + 1)) ? Number(s.slice(colon + 1)) : 0;
}

function urlDecode(args: readonly string[]): Convert {
  const inForm = args[0] !== undefined && args[0] !== '' && Number(args[0]) !== 0;
  return str((s) => {
    const q = inForm ? 0 : s.indexOf('?');
    const plus = (t: string): string => t.replace(/\+/g, ' ');
    const text = q === -1 ? s : s.slice(0, q) + plus(s.slice(q));
    try {
      return decodeURIComponent(text);
    } catch {
      return undefined;
    }
  });
}

function ipmask(args: readonly string[]): Convert {
  const m4 = parseMask(args[0] ?? '32', 4);
  const bits4 = m4.ok ? m4.value : 32;
  const m6 = args[1] === undefined || args[1] === '' ? undefined : parseMask(args[1], 6);
  const bits6 = m6 !== undefined && m6.ok ? m6.value : undefined;
  return (v) => {
    const s = toStr(v);
    const a4 = parseIpv4Strict(s);
    if (a4 !== undefined) {
      const n = (a4 & maskWord(bits4)) >>> 0;
      return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    }
    const a6 = parseIpv6(s);
    if (a6 === undefined || bits6 === undefined) return undefined;
    const w = a6.map((x, i) => (x & maskWord(bits6 - 32 * i)) >>> 0);
    return w.flatMap((x) => [(x >>> 16).toString(16), (x & 0xffff).toString(16)]).join(':');
  };
}

function concat(args: readonly string[]): Convert {
  const [start = '', name = '', end = ''] = args;
  return (v, ctx) => {
    const value = name === '' ? undefined : name.startsWith('sess.') ? ctx.conn.vars?.get(name) : ctx.vars?.get(name);
    return `${toStr(v)}${start}${value === undefined ? '' : toStr(value)}${end}`;
  };
}

/** `ltrim(CHARS)` / `rtrim(CHARS)`: drop those characters from the start / the end. */
function trim(chars: string, left: boolean): Convert {
  return str((s) => {
    let a = 0;
    let b = s.length;
    if (left) while (a < b && chars.includes(s[a] as string)) a++;
    else while (b > a && chars.includes(s[b - 1] as string)) b--;
    return s.slice(a, b);
  });
}

type Builder = (args: readonly string[]) => Convert;

const BUILDERS: Record<string, Builder> = {
  lower: () => str((s) => s.toLowerCase()),
  upper: () => str((s) => s.toUpperCase()),
  length: () => str((s) => Buffer.byteLength(s)),
  word: (a) => splitter(a, true),
  field: (a) => splitter(a, false),
  regsub,
  ltrim: (a) => trim(a[0] ?? '', true),
  rtrim: (a) => trim(a[0] ?? '', false),
  host_only: () => str(hostOnly),
  port_only: () => str(portOnly),
  url_dec: urlDecode,
  concat,
  bool: () => int((n) => n !== 0),
  not: () => int((n) => n === 0),
  even: () => int((n) => n % 2 === 0),
  odd: () => int((n) => n % 2 !== 0),
  neg: () => int((n) => -n),
  cpl: () => int((n) => ~n),
  add: (a) => arith(a[0] ?? '0', (x, y) => x + y),
  sub: (a) => arith(a[0] ?? '0', (x, y) => x - y),
  mul: (a) => arith(a[0] ?? '1', (x, y) => x * y),
  div: (a) => arith(a[0] ?? '1', (x, y) => (y === 0 ? INT64_MAX : Math.trunc(x / y))),
  mod: (a) => arith(a[0] ?? '1', (x, y) => (y === 0 ? 0 : x % y)),
  and: (a) => arith(a[0] ?? '0', (x, y) => Number(BigInt.asIntN(64, BigInt(x) & BigInt(y)))),
  or: (a) => arith(a[0] ?? '0', (x, y) => Number(BigInt.asIntN(64, BigInt(x) | BigInt(y)))),
  xor: (a) => arith(a[0] ?? '0', (x, y) => Number(BigInt.asIntN(64, BigInt(x) ^ BigInt(y)))),
  iif: (a) => ((t, f) => (v: SampleValue) => (toBool(v) ? t : f))(a[0] ?? '', a[1] ?? ''),
  ipmask,
  hex: () => str((s) => Buffer.from(s, 'latin1').toString('hex').toUpperCase()),
  base64: () => str((s) => Buffer.from(s, 'latin1').toString('base64')),
  b64dec: () => str((s) => Buffer.from(s, 'base64').toString('latin1')),
};

/** A value of a map file, as its output type reads it; undefined when it is not one. */
function mapValue(text: string, output: SampleType): SampleValue | undefined {
  if (output === 'int') return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
  if (output === 'ip') return parseIpPattern(text).ok ? text : undefined;
  return text;
}

/** A map lookup that rebuilds itself when the runtime API changes the map (`add map` …). */
function mapLookup(conv: Converter): Convert {
  const map = conv.map;
  if (map === undefined) throw new Error(`internal error: converter '${conv.name}' is not a map converter`);
  let rev = map.rev;
  let fn = buildMapLookup(conv, map);
  return (v, ctx) => {
    if (map.rev !== rev) {
      rev = map.rev;
      fn = buildMapLookup(conv, map);
    }
    return fn(v, ctx);
  };
}

function buildMapLookup(conv: Converter, map: MapFile): Convert {
  const kind = mapConverter(conv.name);
  if (kind === undefined) throw new Error(`internal error: converter '${conv.name}' is not a map converter`);
  const keys = map.entries.map((e) => e[0]);
  const values = map.entries.map((e) => mapValue(e[1], kind.output));
  const match = (kind.match === 'regm' ? 'reg' : kind.match) as MatchMethod;
  const lookup = compileLookup(match, keys, false);
  const fallback = conv.args[1] === undefined ? undefined : mapValue(conv.args[1], kind.output);
  if (kind.match === 'regm') {
    const res = keys.map((k) => new RegExp(k));
    return (v) => {
      const i = lookup(v);
      if (i < 0) return fallback;
      // map_regm: back-references in the value (`\1`) are the groups the key matched.
      const m = (res[i] as RegExp).exec(toStr(v));
      return toStr(values[i] ?? '').replace(/\\(\d)/g, (_, d: string) => m?.[Number(d)] ?? '');
    };
  }
  return (v) => {
    const i = lookup(v);
    return i < 0 ? fallback : values[i];
  };
}

/** Compile one checked converter. */
export function compileConverter(conv: Converter): Convert {
  if (conv.map !== undefined) return mapLookup(conv);
  const build = BUILDERS[conv.name];
  if (build === undefined) throw new Error(`internal error: converter '${conv.name}' has no implementation; the configuration check should have refused it`);
  return build(conv.args);
}
