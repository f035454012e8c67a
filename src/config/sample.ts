// HAProxy's sample expressions, `fetch(args),conv(args),conv…` (configuration.txt 7.3): the table
// of fetches and converters handoff evaluates, and the parser that turns the text into the model's
// `Sample`. Everything is checked here (argument counts and types, integers, regexes, converter
// input types), so the worker only compiles what is known to be valid.
import type { Converter, MatchMethod, Sample, SampleType } from './model.ts';
import type { Parsed } from './units.ts';
import { HAPROXY_CONVERTERS, HAPROXY_FETCHES } from './sample-names.ts';
import { checkRegex, parseIpPattern, parseMask } from './patterns.ts';

export type { Sample, SampleType };

/**
 * Where a fetch's data exists: `conn` (the connection: also in tcp mode), `internal` (constants,
 * variables, server states: anywhere), `req` / `res` (the HTTP request / response), `dir` (the
 * request in request rules, the response in response rules: `hdr`, `hdr_cnt`…).
 */
export type FetchScope = 'conn' | 'internal' | 'req' | 'res' | 'dir';

/** Argument kinds, checked at parse: `int` an integer, `var` a variable name, `backend` a name checked later. */
type ArgKind = 'str' | 'int' | 'var' | 'backend' | 'regex';

interface FetchDef {
  type: SampleType;
  scope: FetchScope;
  /** Argument kinds; the first `min` are mandatory. */
  args: readonly ArgKind[];
  min: number;
  /** In an ACL, every occurrence is tried (header values, cookies…). */
  multi?: boolean;
  /** Fetches handoff refuses, with the reason (a config error where they are used). */
  refused?: string;
}

function f(type: SampleType, scope: FetchScope, args: readonly ArgKind[] = [], min = 0, multi = false): FetchDef {
  return multi ? { type, scope, args, min, multi } : { type, scope, args, min };
}

const HDR: readonly ArgKind[] = ['str', 'int'];

/** Canonical fetch name → definition. */
const FETCHES: Record<string, FetchDef> = {
  always_true: f('bool', 'internal'),
  always_false: f('bool', 'internal'),
  str: f('str', 'internal', ['str'], 1),
  int: f('int', 'internal', ['int'], 1),
  bool: f('bool', 'internal', ['int'], 1),
  ipv4: f('ip', 'internal', ['str'], 1),
  ipv6: f('ip', 'internal', ['str'], 1),
  var: f('str', 'internal', ['var'], 1),
  nbsrv: f('int', 'internal', ['backend'], 1),
  hostname: f('str', 'internal'),
  src: f('ip', 'conn'),
  src_port: f('int', 'conn'),
  dst: f('ip', 'conn'),
  dst_port: f('int', 'conn'),
  ssl_fc: f('bool', 'conn'),
  ssl_fc_sni: f('str', 'conn'),
  ssl_fc_has_sni: f('bool', 'conn'),
  ssl_fc_has_crt: f('bool', 'conn'),
  ssl_fc_protocol: f('str', 'conn'),
  ssl_c_used: f('bool', 'conn'),
  ssl_c_verify: f('int', 'conn'),
  ssl_c_s_dn: f('str', 'conn', ['str', 'int', 'str']),
  ssl_c_i_dn: f('str', 'conn', ['str', 'int', 'str']),
  ssl_c_serial: f('str', 'conn'),
  ssl_c_sha1: f('str', 'conn'),
  // The bytes `tcp-request inspect-delay` holds (src/worker/content-fetches.ts); none in http mode.
  'req.ssl_sni': f('str', 'conn'),
  'req.ssl_hello_type': f('int', 'conn'),
  'req.len': f('int', 'conn'),
  'req.payload': f('str', 'conn', ['int', 'int'], 2),
  wait_end: f('bool', 'internal'),
  http_auth: f('bool', 'req', ['str'], 1),
  http_auth_group: f('str', 'req', ['str'], 1),
  method: f('meth', 'req'),
  path: f('str', 'req'),
  pathq: f('str', 'req'),
  url: f('str', 'req'),
  base: f('str', 'req'),
  query: f('str', 'req'),
  url_ip: f('ip', 'req'),
  url_port: f('int', 'req'),
  url_param: f('str', 'req', ['str', 'str'], 0, true),
  urlp_val: f('int', 'req', ['str', 'str'], 0, true),
  'req.ver': f('str', 'req'),
  'req.proto_http': f('bool', 'req'),
  'req.hdr': f('str', 'req', HDR, 0, true),
  'req.fhdr': f('str', 'req', HDR, 0, true),
  'req.hdr_cnt': f('int', 'req', ['str']),
  'req.fhdr_cnt': f('int', 'req', ['str']),
  'req.hdr_val': f('int', 'req', HDR, 0, true),
  'req.hdr_ip': f('ip', 'req', HDR, 0, true),
  'req.cook': f('str', 'req', ['str'], 0, true),
  'req.cook_cnt': f('int', 'req', ['str']),
  'req.cook_val': f('int', 'req', ['str'], 0, true),
  status: f('int', 'res'),
  'res.comp': f('bool', 'res'),
  'res.comp_algo': f('str', 'res'),
  'res.hdr': f('str', 'res', HDR, 0, true),
  'res.cook': f('str', 'res', ['str'], 0, true),
  'res.fhdr': f('str', 'res', HDR, 0, true),
  'res.hdr_cnt': f('int', 'res', ['str']),
  'res.fhdr_cnt': f('int', 'res', ['str']),
  'res.hdr_val': f('int', 'res', HDR, 0, true),
  'res.hdr_ip': f('ip', 'res', HDR, 0, true),
  hdr: f('str', 'dir', HDR, 0, true),
  fhdr: f('str', 'dir', HDR, 0, true),
  hdr_cnt: f('int', 'dir', ['str']),
  fhdr_cnt: f('int', 'dir', ['str']),
  hdr_val: f('int', 'dir', HDR, 0, true),
  hdr_ip: f('ip', 'dir', HDR, 0, true),
};

/** Stick-counter fetches (`sc_X(N[,T])`, `scN_X([T])`, `src_X([T])`, `table_cnt([T])`), read from the tracked entries. */
export const SC_FETCHES = [
  'http_req_rate', 'http_req_cnt', 'http_err_rate', 'http_err_cnt', 'conn_cur', 'conn_cnt', 'conn_rate',
  'sess_cnt', 'sess_rate', 'bytes_in_rate', 'bytes_out_rate', 'kbytes_in', 'kbytes_out', 'get_gpc0', 'get_gpc1', 'gpc0_rate', 'gpc1_rate',
  'get_gpt0', 'inc_gpc0', 'inc_gpc1', 'clr_gpc0', 'clr_gpc1', 'trackers',
] as const;
for (const n of SC_FETCHES) {
  FETCHES[`sc_${n}`] = f('int', 'internal', ['int', 'str'], 1);
  FETCHES[`src_${n}`] = f('int', 'internal', ['str']);
}
FETCHES.sc_tracked = f('bool', 'internal', ['int', 'str'], 1);
FETCHES.table_cnt = f('int', 'internal', ['str']);
FETCHES.table_avl = f('int', 'internal', ['str']);

/** HAProxy's other spellings of the same fetch. */
const ALIASES: Record<string, string> = {
  req_ssl_sni: 'req.ssl_sni',
  req_len: 'req.len',
  req_ssl_hello_type: 'req.ssl_hello_type',
  payload: 'req.payload',
  urlp: 'url_param',
  req_ver: 'req.ver',
  req_proto_http: 'req.proto_http',
  cook: 'req.cook',
  cook_cnt: 'req.cook_cnt',
  cook_val: 'req.cook_val',
  shdr: 'res.hdr',
  scook: 'res.cook',
  shdr_cnt: 'res.hdr_cnt',
  shdr_val: 'res.hdr_val',
  shdr_ip: 'res.hdr_ip',
  meth: 'method',
};

const SUFFIXES: readonly MatchMethod[] = ['beg', 'dir', 'dom', 'end', 'len', 'reg', 'sub'];

/** ACL-only derivatives (`hdr_beg` = `hdr -m beg`): name → fetch and match. */
const DERIVATIVES: Record<string, { fetch: string; match: MatchMethod }> = (() => {
  const out: Record<string, { fetch: string; match: MatchMethod }> = {};
  const bases: Record<string, string> = { hdr: 'hdr', shdr: 'res.hdr', path: 'path', url: 'url', base: 'base', urlp: 'url_param', cook: 'req.cook' };
  for (const [prefix, fetch] of Object.entries(bases)) for (const m of SUFFIXES) out[`${prefix}_${m}`] = { fetch, match: m };
  out.ssl_fc_sni_end = { fetch: 'ssl_fc_sni', match: 'end' };
  out.ssl_fc_sni_reg = { fetch: 'ssl_fc_sni', match: 'reg' };
  return out;
})();

interface ConvDef {
  /** Input types accepted (after HAProxy's implicit casts). */
  input: 'str' | 'int' | 'ip' | 'bool' | 'any';
  /** Output type; `map` converters compute theirs from the name. */
  output: SampleType;
  args: readonly ArgKind[];
  min: number;
}

function c(input: ConvDef['input'], output: SampleType, args: readonly ArgKind[] = [], min = 0): ConvDef {
  return { input, output, args, min };
}

const INT_ARG: readonly ArgKind[] = ['str'];

const CONVERTERS: Record<string, ConvDef> = {
  lower: c('str', 'str'),
  upper: c('str', 'str'),
  length: c('str', 'int'),
  word: c('str', 'str', ['int', 'str', 'int'], 2),
  field: c('str', 'str', ['int', 'str', 'int'], 2),
  regsub: c('str', 'str', ['regex', 'str', 'str'], 2),
  ltrim: c('str', 'str', ['str'], 1),
  rtrim: c('str', 'str', ['str'], 1),
  host_only: c('str', 'str'),
  port_only: c('str', 'int'),
  url_dec: c('str', 'str', ['int']),
  concat: c('str', 'str', ['str', 'var', 'str']),
  bool: c('int', 'bool'),
  not: c('int', 'bool'),
  even: c('int', 'bool'),
  odd: c('int', 'bool'),
  neg: c('int', 'int'),
  cpl: c('int', 'int'),
  add: c('int', 'int', INT_ARG, 1),
  sub: c('int', 'int', INT_ARG, 1),
  mul: c('int', 'int', INT_ARG, 1),
  div: c('int', 'int', INT_ARG, 1),
  mod: c('int', 'int', INT_ARG, 1),
  and: c('int', 'int', INT_ARG, 1),
  or: c('int', 'int', INT_ARG, 1),
  xor: c('int', 'int', INT_ARG, 1),
  iif: c('bool', 'str', ['str', 'str'], 2),
  ipmask: c('ip', 'ip', ['str', 'str'], 1),
  hex: c('str', 'str'),
  base64: c('str', 'str'),
  b64dec: c('str', 'str'),
};

/** `map`, `map_<match>`, `map_<match>_<output>` (configuration.txt, `map`). */
const MAP_MATCHES: Record<string, SampleType> = { str: 'str', beg: 'str', sub: 'str', dir: 'str', dom: 'str', end: 'str', reg: 'str', regm: 'str', int: 'int', ip: 'ip' };

/** The match and output type of a `map*` converter name, or undefined when it is not one. */
export function mapConverter(name: string): { match: string; input: SampleType; output: SampleType } | undefined {
  if (name === 'map') return { match: 'str', input: 'str', output: 'str' };
  const m = /^map_([a-z]+?)(?:_(str|int|ip))?$/.exec(name);
  if (m === null) return undefined;
  const input = MAP_MATCHES[m[1] as string];
  if (input === undefined) return undefined;
  return { match: m[1] as string, input, output: (m[2] ?? 'str') as SampleType };
}

/** HAProxy's implicit casts between sample types (sample.c's cast matrix, for the types handoff has). */
export function castable(from: SampleType, to: SampleType | 'any'): boolean {
  if (to === 'any' || from === to) return true;
  if (to === 'str') return true;
  if (from === 'meth') return false;
  if (to === 'int' || to === 'bool') return from !== 'ip';
  if (to === 'ip') return from === 'str' || from === 'int';
  return to === 'meth' && from === 'str';
}

/** The definition of a canonical fetch name. */
export function fetchDef(name: string): { type: SampleType; scope: FetchScope; multi: boolean } | undefined {
  const d = FETCHES[name];
  return d === undefined ? undefined : { type: d.type, scope: d.scope, multi: d.multi === true };
}

/** A fetch word's ACL derivative: `hdr_beg` → `{fetch: 'hdr', match: 'beg'}`. */
export function derivative(name: string): { fetch: string; match: MatchMethod } | undefined {
  return DERIVATIVES[name];
}

/** Split `name(args)` at `pos`: the name, the raw argument strings and where it ends. */
function readCall(text: string, pos: number): Parsed<{ name: string; args: string[] | undefined; end: number }> {
  const m = /^[A-Za-z0-9_.]+/.exec(text.slice(pos));
  if (m === null) return { ok: false, error: `expected a fetch or converter name at '${text.slice(pos)}'` };
  const name = m[0];
  let i = pos + name.length;
  if (text[i] !== '(') return { ok: true, value: { name, args: undefined, end: i } };
  const args = readArgs(text, i + 1);
  if (!args.ok) return { ok: false, error: `${name}: ${args.error}` };
  i = args.value.end;
  return { ok: true, value: { name, args: args.value.args, end: i } };
}

/**
 * Arguments up to the closing parenthesis, as HAProxy 2.6 reads them: commas separate, quotes
 * group (a `,` or `)` inside them is text), backslashes are kept for the argument (a regex's
 * `\.`); the first `)` outside quotes ends the list: parentheses do not nest.
 */
function readArgs(text: string, start: number): Parsed<{ args: string[]; end: number }> {
  const args: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = start; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[++i] as string;
      cur += quote !== '' && next === quote ? next : ch + next;
      continue;
    }
    if (quote !== '') {
      if (ch === quote) quote = '';
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ')') {
      args.push(cur);
      return { ok: true, value: { args: args.length === 1 && args[0] === '' ? [] : args, end: i + 1 } };
    } else if (ch === ',') {
      args.push(cur);
      cur = '';
    } else cur += ch;
  }
  return { ok: false, error: "missing closing ')'" };
}

function checkArgs(what: string, kinds: readonly ArgKind[], min: number, args: readonly string[]): string | undefined {
  if (args.length < min) return `${what} expects ${min === kinds.length ? '' : 'at least '}${min} argument${min === 1 ? '' : 's'}`;
  if (args.length > kinds.length) return `${what} expects at most ${kinds.length} argument${kinds.length === 1 ? '' : 's'}, got ${args.length}`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const k = kinds[i] as ArgKind;
    if (k === 'int' && a !== '' && !/^[+-]?\d+$/.test(a)) return `${what}: argument ${i + 1} must be an integer, got '${a}'`;
    if (k === 'var' && a !== '') {
      const v = checkVarName(a);
      if (v !== undefined) return `${what}: ${v}`;
    }
    if (k === 'backend' && a === '') return `${what}: argument ${i + 1} must name a backend`;
    if (k === 'regex') {
      const r = checkRegex(a, false);
      if (r !== undefined) return `${what}: ${r}`;
    }
  }
  return undefined;
}

/** `txn.x`, `req.x`, `res.x`, `sess.x` (handoff has no process-wide variables). */
export function checkVarName(name: string): string | undefined {
  const m = /^(proc|sess|txn|req|res)\.([A-Za-z0-9._]+)$/.exec(name);
  if (m === null) return `invalid variable name '${name}' (expected txn.NAME, req.NAME, res.NAME or sess.NAME)`;
  if (m[1] === 'proc') return `variable '${name}': process-wide variables (proc.) are not supported by handoff (each worker process would hold its own)`;
  return undefined;
}

function unknownFetch(name: string): string {
  if (HAPROXY_FETCHES.has(name) || /^(sc\d*|src)_/.test(name)) return `sample fetch '${name}' is not supported by handoff`;
  return `unknown sample fetch '${name}'`;
}

/** A fetch word, alias resolved, with its args checked. */
/** `sc0_http_req_rate([T])` is `sc_http_req_rate(0[,T])`. */
function scNumbered(name: string, args: string[] | undefined): { name: string; args: string[] | undefined } {
  const sc = /^sc([0-2])_(.+)$/.exec(name);
  if (sc === null || FETCHES[`sc_${sc[2]}`] === undefined) return { name, args };
  return { name: `sc_${sc[2]}`, args: [sc[1] as string, ...(args ?? [])] };
}

function parseFetch(name: string, args: string[] | undefined): Parsed<{ fetch: string; def: FetchDef }> {
  const canonical = ALIASES[name] ?? name;
  const def = FETCHES[canonical];
  if (def === undefined) return { ok: false, error: unknownFetch(name) };
  if (def.refused !== undefined) return { ok: false, error: `sample fetch '${name}' is not supported: ${def.refused}` };
  const err = checkArgs(`sample fetch '${name}'`, def.args, def.min, args ?? []);
  if (err !== undefined) return { ok: false, error: err };
  return { ok: true, value: { fetch: canonical, def } };
}

/** One converter applied to a value of type `input`. */
function parseConverter(name: string, args: string[] | undefined, input: SampleType): Parsed<{ conv: Converter; output: SampleType }> {
  const map = mapConverter(name);
  if (map !== undefined) {
    const a = args ?? [];
    if (a.length < 1 || a.length > 2 || a[0] === '') return { ok: false, error: `converter '${name}' expects a map file and an optional default value` };
    if (!castable(input, map.input)) return { ok: false, error: `converter '${name}' cannot take a ${typeName(input)} input` };
    return { ok: true, value: { conv: { name, args: a, map: { path: a[0] as string, entries: [], loc: { file: '', line: 0 } } }, output: map.output } };
  }
  const def = CONVERTERS[name];
  if (def === undefined) {
    return { ok: false, error: HAPROXY_CONVERTERS.has(name) ? `converter '${name}' is not supported by handoff` : `unknown converter '${name}'` };
  }
  const err = checkArgs(`converter '${name}'`, def.args, def.min, args ?? []);
  if (err !== undefined) return { ok: false, error: err };
  if (!castable(input, def.input)) return { ok: false, error: `converter '${name}' cannot take a ${typeName(input)} input` };
  const extra = checkConverterArgs(name, args ?? []);
  if (extra !== undefined) return { ok: false, error: extra };
  return { ok: true, value: { conv: { name, args: args ?? [] }, output: def.output } };
}

/** What the argument kinds cannot say: arithmetic operands, masks, regsub flags. */
function checkConverterArgs(name: string, args: readonly string[]): string | undefined {
  const [a0, a1, a2] = args;
  if (['add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor'].includes(name) && a0 !== undefined && !/^[+-]?\d+$/.test(a0)) {
    const v = checkVarName(a0);
    if (v !== undefined) return `converter '${name}': '${a0}' is neither an integer nor a variable (${v})`;
  }
  if (name === 'ipmask') {
    if (a0 === undefined || !parseMask(a0, 4).ok) return `converter 'ipmask': invalid IPv4 mask '${a0 ?? ''}'`;
    if (a1 !== undefined && a1 !== '' && !parseMask(a1, 6).ok) return `converter 'ipmask': invalid IPv6 mask '${a1}'`;
  }
  if (name === 'regsub' && a2 !== undefined && !/^[gi]*$/.test(a2)) return `converter 'regsub': flags must be made of 'g' and 'i', got '${a2}'`;
  if ((name === 'word' || name === 'field') && a0 === '0') return `converter '${name}': the index starts at 1 (or -1 from the end)`;
  return undefined;
}

function typeName(t: SampleType): string {
  return t === 'str' ? 'string' : t === 'int' ? 'integer' : t === 'bool' ? 'boolean' : t === 'meth' ? 'method' : 'IP address';
}

export interface ParsedSample {
  sample: Sample;
  /** Index just after the expression in the text. */
  end: number;
  /** The fetch word was an ACL derivative (`hdr_beg`): its match, when no converter follows. */
  derivedMatch?: MatchMethod;
}

/**
 * Parse a sample expression starting at `pos`; stops at the first character that cannot continue
 * it (a space, `]` in a template). `acl` allows ACL derivatives such as `hdr_beg(host)`.
 */
export function parseSampleAt(text: string, pos: number, acl: boolean): Parsed<ParsedSample> {
  const read = readCall(text, pos);
  if (!read.ok) return read;
  const call = { value: { ...read.value, ...scNumbered(read.value.name, read.value.args) } };
  const der = acl ? DERIVATIVES[call.value.name] : undefined;
  const fetch = parseFetch(der?.fetch ?? call.value.name, call.value.args);
  if (!fetch.ok) return DERIVATIVES[call.value.name] !== undefined && !acl ? { ok: false, error: `'${call.value.name}' is an ACL keyword, not a sample fetch (use '${DERIVATIVES[call.value.name]?.fetch}' and a match)` } : fetch;
  const fixed = fixedArgs(fetch.value.fetch, call.value.args ?? []);
  if (!fixed.ok) return fixed;
  let type = fetch.value.def.type;
  const convs: Converter[] = [];
  let i = call.value.end;
  while (text[i] === ',') {
    const cc = readCall(text, i + 1);
    if (!cc.ok) return cc;
    const conv = parseConverter(cc.value.name, cc.value.args, type);
    if (!conv.ok) return conv;
    convs.push(conv.value.conv);
    type = conv.value.output;
    i = cc.value.end;
  }
  const sample: Sample = { fetch: fetch.value.fetch, args: fixed.value, convs, type };
  // The userlist is resolved once every section is read (sample-files.ts); until then, its name.
  if (sample.fetch === 'http_auth' || sample.fetch === 'http_auth_group') sample.userlist = { name: fixed.value[0] ?? '', users: [], groups: [], loc: { file: '', line: 0 } };
  // configuration.txt 7.1.3: after a converter, the derivative's match is ignored.
  return { ok: true, value: der !== undefined && convs.length === 0 ? { sample, end: i, derivedMatch: der.match } : { sample, end: i } };
}

/** Arguments that must be valid values: `ipv4(…)`, `ipv6(…)`, `bool(…)`. */
function fixedArgs(fetch: string, args: string[]): Parsed<string[]> {
  if (fetch === 'ipv4' || fetch === 'ipv6') {
    const ip = parseIpPattern(args[0] ?? '');
    if (!ip.ok || ip.value.v6 !== (fetch === 'ipv6') || ip.value.bits !== (ip.value.v6 ? 128 : 32)) return { ok: false, error: `sample fetch '${fetch}': '${args[0] ?? ''}' is not an ${fetch === 'ipv4' ? 'IPv4' : 'IPv6'} address` };
  }
  return { ok: true, value: args };
}

/** A whole word as a sample expression (an ACL criterion, `%[…]` contents). */
export function parseSample(text: string, acl = false): Parsed<ParsedSample> {
  const r = parseSampleAt(text, 0, acl);
  if (!r.ok) return r;
  if (r.value.end !== text.length) return { ok: false, error: `unexpected '${text.slice(r.value.end)}' after sample expression '${text.slice(0, r.value.end)}'` };
  return r;
}

/** Where a rule's condition or template is evaluated. */
export type SampleWhere = 'request' | 'response' | 'tcp';

/**
 * Why a sample cannot be evaluated at `where` (undefined when it can). `never`: HAProxy accepts it
 * but it never matches there (a request fetch in response rules, and the other way round).
 */
export function scopeProblem(sample: Sample, where: SampleWhere): { never: boolean; message: string } | undefined {
  const scope = FETCHES[sample.fetch]?.scope ?? 'internal';
  if (scope === 'conn' || scope === 'internal') return undefined;
  if (where === 'tcp') return { never: false, message: `sample fetch '${sample.fetch}' needs HTTP data, which a tcp-mode frontend does not parse (only the connection and, under tcp-request inspect-delay, its first bytes); use 'mode http'` };
  if (scope === 'dir' || (scope === 'req' && where === 'request') || (scope === 'res' && where === 'response')) return undefined;
  const needs = scope === 'req' ? 'HTTP request headers' : 'HTTP response';
  return { never: true, message: `sample fetch '${sample.fetch}' needs '${needs}', which is not available in ${where === 'request' ? 'request' : 'response'} rules` };
}

/** The map files a sample's converters name. */
export function sampleMaps(sample: Sample): NonNullable<Converter['map']>[] {
  const out: NonNullable<Converter['map']>[] = [];
  for (const conv of sample.convs) if (conv.map !== undefined) out.push(conv.map);
  return out;
}
