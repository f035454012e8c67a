// The sample fetches (configuration.txt 7.3.2–7.3.6) over what a worker has of a request: the
// connection, the request head as rules left it, the response head in response rules. Each fetch
// is compiled once per configuration into a function of the context; multi-valued fetches (header
// values, cookies, query parameters) also visit every occurrence for ACLs.
import { hostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { distinguishedName, peerCertificate, serialOf, sha1Of, verifyResult } from './client-cert.ts';
import { cryptoModule } from '../config/lazy-builtins.ts';
import type { Sample, Userlist } from '../config/model.ts';
import { verifyCrypt } from '../auth/crypt.ts';
import { fetchDef } from '../config/sample.ts';
import { leadingInt, type SampleValue } from './match.ts';
import { parseIpv4Strict, parseIpv6 } from '../config/patterns.ts';
import type { SampleContext } from './sample.ts';
import { destinationAddress, isUnixClient } from './client-address.ts';
import { AS_LOGGED } from '../config/template.ts';
import { stickFetch } from './stick-actions.ts';
import { CONTENT_FETCHES } from './content-fetches.ts';
import { single } from './fetch-single.ts';

/** Visit one raw value; returning true stops the iteration (a match was found). */
export type Visit = (v: SampleValue, ctx: SampleContext) => boolean;

export interface CompiledFetch {
  /** The value as a sample (the last header occurrence, the first parameter…), undefined when absent. */
  one(ctx: SampleContext): SampleValue | undefined;
  /** ACL use: every occurrence, until `visit` returns true; returns whether it did. */
  each(ctx: SampleContext, visit: Visit): boolean;
}

/** Hop-by-hop headers are not in the forwarded list; conditions still see them as received. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

type HeaderSide = 'req' | 'res' | 'dir';

function headersOf(ctx: SampleContext, side: HeaderSide, hop: boolean): readonly string[] | undefined {
  const res = side === 'res' || (side === 'dir' && ctx.resHeaders !== undefined);
  if (res) return ctx.resHeaders;
  if (hop) return ctx.head?.headers;
  return ctx.head === undefined ? undefined : ctx.upstreamHeaders;
}

/** A header name equals `lower` (already lower-case), ignoring ASCII case, without allocating. */
function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Converts a raw header value to the fetch's type; undefined skips it. */
type As = (v: string) => SampleValue | undefined;

/**
 * Visit each value of header `name` (every header when empty), comma-separated values apart unless
 * `full`, in order, converted by `as`; stops when `visit` returns true, and says whether it did.
 * Everything is passed in, so a request allocates no closure for it.
 */
function eachHeaderValue(headers: readonly string[], name: string, full: boolean, as: As, visit: Visit, ctx: SampleContext): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i] as string;
    if (name !== '' && !sameName(k, name)) continue;
    const value = headers[i + 1] as string;
    if (full || !value.includes(',')) {
      const v = as(value);
      if (v !== undefined && visit(v, ctx)) return true;
      continue;
    }
    let start = 0;
    let quoted = false;
    for (let j = 0; j <= value.length; j++) {
      const ch = value.charCodeAt(j);
      if (ch === 34) quoted = !quoted;
      if (j === value.length || (ch === 44 && !quoted)) {
        const v = as(value.slice(start, j).trim());
        if (v !== undefined && visit(v, ctx)) return true;
        start = j + 1;
      }
    }
  }
  return false;
}

/** The values of a header, in order (for a negative `occ`). */
function headerValues(headers: readonly string[], name: string, full: boolean, ctx: SampleContext): string[] {
  const out: string[] = [];
  eachHeaderValue(headers, name, full, asString, (v) => (out.push(v as string), false), ctx);
  return out;
}

/** The last value of a header, without building the list. */
function lastHeaderValue(headers: readonly string[], name: string, full: boolean): string | undefined {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const k = headers[i] as string;
    if (name !== '' && !sameName(k, name)) continue;
    const value = headers[i + 1] as string;
    if (full) return value;
    let quoted = false;
    for (let j = value.length - 1; j >= 0; j--) {
      const ch = value.charCodeAt(j);
      if (ch === 34) quoted = !quoted;
      if (ch === 44 && !quoted) return value.slice(j + 1).trim();
    }
    return value.trim();
  }
  return undefined;
}

function nthHeaderValue(headers: readonly string[], name: string, full: boolean, n: number, ctx: SampleContext): string | undefined {
  if (n === -1 || n === 0) return lastHeaderValue(headers, name, full);
  if (n < 0) {
    const all = headerValues(headers, name, full, ctx);
    return all[all.length + n];
  }
  let seen = 0;
  let found: string | undefined;
  eachHeaderValue(headers, name, full, asString, (v) => (++seen === n ? ((found = v as string), true) : false), ctx);
  return found;
}

/** A header fetch: `hdr`, `fhdr`, `hdr_val`, `hdr_ip` on either side, with `occ` as HAProxy reads it. */
function headerFetch(side: HeaderSide, full: boolean, args: readonly string[], as: As): CompiledFetch {
  const name = (args[0] ?? '').toLowerCase();
  const hop = HOP_BY_HOP.has(name);
  const occ = args[1] === undefined || args[1] === '' ? undefined : Number(args[1]);
  const one = (ctx: SampleContext): SampleValue | undefined => {
    const h = headersOf(ctx, side, hop);
    const v = h === undefined ? undefined : nthHeaderValue(h, name, full, occ ?? -1, ctx);
    return v === undefined ? undefined : as(v);
  };
  if (occ !== undefined) return single(one);
  return {
    one,
    each(ctx, visit) {
      const h = headersOf(ctx, side, hop);
      return h !== undefined && eachHeaderValue(h, name, full, as, visit, ctx);
    },
  };
}

function countValues(headers: readonly string[], name: string, full: boolean): number {
  let n = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i] as string;
    if (name !== '' && !sameName(k, name)) continue;
    n++;
    if (full) continue;
    const value = headers[i + 1] as string;
    let quoted = false;
    for (let j = 0; j < value.length; j++) {
      const ch = value.charCodeAt(j);
      if (ch === 34) quoted = !quoted;
      else if (ch === 44 && !quoted) n++;
    }
  }
  return n;
}

function headerCount(side: HeaderSide, full: boolean, args: readonly string[]): CompiledFetch {
  const name = (args[0] ?? '').toLowerCase();
  const hop = HOP_BY_HOP.has(name);
  return single((ctx) => {
    const h = headersOf(ctx, side, hop);
    return h === undefined ? undefined : countValues(h, name, full);
  });
}

/** `1.2.3.4`, `1.2.3.4:80` or an IPv6 address (RFC 7239 forms, as req.hdr_ip). */
function headerIp(v: string): string | undefined {
  let s = v;
  if (s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']') === -1 ? s.length : s.indexOf(']'));
  if (parseIpv4Strict(s) !== undefined || parseIpv6(s) !== undefined) return s;
  const colon = s.lastIndexOf(':');
  if (colon > 0 && /^\d{1,5}$/.test(s.slice(colon + 1)) && parseIpv4Strict(s.slice(0, colon)) !== undefined) return s.slice(0, colon);
  return undefined;
}

const asString = (v: string): string => v;
const asInt = (v: string): number => leadingInt(v) ?? 0;

/** The query string of the request (after `?`), undefined without one. */
function queryOf(ctx: SampleContext): string | undefined {
  const uri = ctx.head?.uri;
  if (uri === undefined) return undefined;
  const q = uri.indexOf('?');
  return q === -1 ? undefined : uri.slice(q + 1);
}

/** Each `name=value` of the query string (`&`, `;` or `delim` separate), name case-sensitive; '' matches any. */
function eachParam(query: string, name: string, delim: string, as: As, visit: Visit, ctx: SampleContext): boolean {
  let start = 0;
  for (let i = 0; i <= query.length; i++) {
    const ch = query[i];
    if (i < query.length && ch !== '&' && ch !== ';' && ch !== delim) continue;
    const part = query.slice(start, i);
    start = i + 1;
    const eq = part.indexOf('=');
    if (eq === -1 || (name !== '' && part.slice(0, eq) !== name)) continue;
    const v = as(part.slice(eq + 1));
    if (v !== undefined && visit(v, ctx)) return true;
  }
  return false;
}

function paramFetch(args: readonly string[], as: As): CompiledFetch {
  const name = args[0] ?? '';
  const delim = args[1] === undefined || args[1] === '' ? '&' : (args[1][0] as string);
  return {
    one(ctx) {
      const q = queryOf(ctx);
      let found: SampleValue | undefined;
      if (q !== undefined) eachParam(q, name, delim, as, (v) => ((found = v), true), ctx);
      return found;
    },
    each(ctx, visit) {
      const q = queryOf(ctx);
      return q !== undefined && eachParam(q, name, delim, as, visit, ctx);
    },
  };
}

/** Each cookie value of `name` in the Cookie headers ('' : every cookie), converted by `as`. */
function eachCookie(headers: readonly string[], name: string, as: As, visit: Visit, ctx: SampleContext): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i] as string;
    if (!sameName(k, 'cookie')) continue;
    for (const part of (headers[i + 1] as string).split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1 || (name !== '' && part.slice(0, eq).trim() !== name)) continue;
      const v = as(part.slice(eq + 1).trim());
      if (v !== undefined && visit(v, ctx)) return true;
    }
  }
  return false;
}

function cookieFetch(args: readonly string[], as: As): CompiledFetch {
  const name = args[0] ?? '';
  return {
    one(ctx) {
      if (ctx.head === undefined) return undefined;
      let found: SampleValue | undefined;
      // The last occurrence of a named cookie, the first cookie without a name.
      eachCookie(ctx.upstreamHeaders, name, as, (v) => ((found = v), name === ''), ctx);
      return found;
    },
    each(ctx, visit) {
      return ctx.head !== undefined && eachCookie(ctx.upstreamHeaders, name, as, visit, ctx);
    },
  };
}

/** `res.cook(NAME)`: the value of cookie NAME in the response's Set-Cookie headers (the pair
 * before the first `;` of each); the last occurrence, the first cookie without a name. */
function setCookieFetch(args: readonly string[]): CompiledFetch {
  const name = args[0] ?? '';
  const each = (ctx: SampleContext, visit: Visit): boolean => {
    const h = ctx.resHeaders;
    if (h === undefined) return false;
    for (let i = 0; i < h.length; i += 2) {
      if (!sameName(h[i] as string, 'set-cookie')) continue;
      const pair = (h[i + 1] as string).split(';', 1)[0] as string;
      const eq = pair.indexOf('=');
      if (eq === -1 || (name !== '' && pair.slice(0, eq).trim() !== name)) continue;
      if (visit(asString(pair.slice(eq + 1).trim()) as SampleValue, ctx)) return true;
    }
    return false;
  };
  return {
    one(ctx) {
      let found: SampleValue | undefined;
      each(ctx, (v) => ((found = v), name === ''));
      return found;
    },
    each,
  };
}

/** The absolute-form target as received, when rules have not rewritten the URI since. */
function urlOf(ctx: SampleContext): string | undefined {
  const head = ctx.head;
  if (head === undefined) return undefined;
  const t = head.target;
  return t !== head.uri && t[0] !== '/' && t.endsWith(head.uri) ? t : head.uri;
}

/** Host and port of an absolute-form URL. */
function urlAuthority(ctx: SampleContext): { host: string; port: number } | undefined {
  const u = urlOf(ctx);
  const m = u === undefined ? null : /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?/.exec(u);
  if (m === null) return undefined;
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  return { host, port: m[2] === undefined ? 80 : Number(m[2]) };
}

function localAddress(ctx: SampleContext): string | undefined {
  return destinationAddress(ctx.conn.socket)?.ip;
}

function sni(ctx: SampleContext): string | undefined {
  if (!ctx.ssl) return undefined;
  const name = (ctx.conn.socket as TLSSocket).servername;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function clientCert(ctx: SampleContext): X509Certificate | undefined {
  return ctx.ssl ? peerCertificate(ctx.conn.socket as TLSSocket) : undefined;
}

/** `ssl_c_s_dn([entry[,occ[,format]]])`, `ssl_c_i_dn(…)`. */
function dnFetch(which: 'subject' | 'issuer', a: readonly string[]): CompiledFetch {
  const [entry, occ, format] = a;
  const n = occ === undefined || occ === '' ? 0 : Number(occ);
  return single((ctx) => ((c) => (c === undefined ? undefined : distinguishedName(c[which], entry, n, format)))(clientCert(ctx)));
}

/** A client certificate was presented (only binds that ask for one get one). */
function hasClientCert(ctx: SampleContext): boolean | undefined {
  if (!ctx.ssl) return undefined;
  const cert = (ctx.conn.socket as TLSSocket).getPeerCertificate?.();
  return cert !== undefined && cert !== null && Object.keys(cert).length > 0;
}

/** The user of a valid `Authorization: Basic` header for the userlist, else undefined. */
function authenticatedUser(ctx: SampleContext, list: Userlist | undefined): string | undefined {
  if (list === undefined || ctx.head === undefined) return undefined;
  const h = lastHeaderValue(ctx.upstreamHeaders, 'authorization', true);
  const m = h === undefined ? null : /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(h);
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const name = decoded.slice(0, colon);
  const user = list.users.find((u) => u.name === name);
  const pw = user?.password;
  if (pw === undefined) return undefined;
  const given = decoded.slice(colon + 1);
  const ok = pw.kind === 'insecure' ? safeEqual(given, pw.value) : verifyCrypt(given, pw.value);
  return ok ? name : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && cryptoModule().timingSafeEqual(x, y);
}

function getVar(ctx: SampleContext, name: string): SampleValue | undefined {
  return name.startsWith('sess.') ? ctx.conn.vars?.get(name) : ctx.vars?.get(name);
}

type Builder = (args: readonly string[], sample: Sample) => CompiledFetch;

const HOST = hostname();

const BUILDERS: Record<string, Builder> = {
  always_true: () => single(() => true),
  always_false: () => single(() => false),
  str: (a) => ((v) => single(() => v))(a[0] ?? ''),
  int: (a) => ((v) => single(() => v))(Number(a[0])),
  bool: (a) => ((v) => single(() => v))(Number(a[0]) !== 0),
  ipv4: (a) => ((v) => single(() => v))(a[0] ?? ''),
  ipv6: (a) => ((v) => single(() => v))(a[0] ?? ''),
  hostname: () => single(() => HOST),
  var: (a) => ((name) => single((ctx) => getVar(ctx, name)))(a[0] ?? ''),
  nbsrv: (a) => ((name) => single((ctx) => ctx.nbsrv(name)))(a[0] ?? ''),
  // A unix-socket client has no address (HAProxy: not found); `%ci`/`%cp` show it as logged.
  src: (a) => single((ctx) => (a[0] !== AS_LOGGED && isUnixClient(ctx.conn.clientIp) ? undefined : ctx.conn.clientIp)),
  src_port: (a) => single((ctx) => (a[0] !== AS_LOGGED && isUnixClient(ctx.conn.clientIp) ? undefined : ctx.conn.clientPort)),
  dst: (a) => single((ctx) => (a[0] === AS_LOGGED && isUnixClient(ctx.conn.clientIp) ? ctx.conn.clientIp : localAddress(ctx))),
  dst_port: (a) => single((ctx) => (a[0] === AS_LOGGED && isUnixClient(ctx.conn.clientIp) ? ctx.conn.clientPort : destinationAddress(ctx.conn.socket)?.port)),
  ssl_fc: () => single((ctx) => ctx.ssl),
  ssl_fc_sni: () => single(sni),
  ssl_fc_has_sni: () => single((ctx) => ctx.ssl && sni(ctx) !== undefined),
  ssl_fc_has_crt: () => single(hasClientCert),
  ssl_c_used: () => single((ctx) => (ctx.ssl ? clientCert(ctx) !== undefined : undefined)),
  ssl_c_verify: () => single((ctx) => (ctx.ssl ? verifyResult(ctx.conn.socket as TLSSocket) : undefined)),
  ssl_c_s_dn: (a) => dnFetch('subject', a),
  ssl_c_i_dn: (a) => dnFetch('issuer', a),
  ssl_c_serial: () => single((ctx) => ((c) => (c === undefined ? undefined : serialOf(c)))(clientCert(ctx))),
  ssl_c_sha1: () => single((ctx) => ((c) => (c === undefined ? undefined : sha1Of(c)))(clientCert(ctx))),
  ssl_fc_protocol: () => single((ctx) => (ctx.ssl ? ((ctx.conn.socket as TLSSocket).getProtocol?.() ?? undefined) : undefined)),
  method: () => single((ctx) => (ctx.head === undefined ? undefined : ctx.method)),
  path: () => single((ctx) => (ctx.head === undefined ? undefined : ctx.path)),
  pathq: () => single((ctx) => ctx.head?.uri),
  url: () => single(urlOf),
  query: () => single(queryOf),
  base: () => single((ctx) => (ctx.head === undefined ? undefined : `${firstHost(ctx)}${ctx.path}`)),
  url_ip: () => single((ctx) => ((a) => (a !== undefined && headerIp(a.host) !== undefined ? a.host : undefined))(urlAuthority(ctx))),
  url_port: () => single((ctx) => urlAuthority(ctx)?.port),
  url_param: (a) => paramFetch(a, asString),
  urlp_val: (a) => paramFetch(a, asInt),
  'req.ver': () => single((ctx) => (ctx.head === undefined ? undefined : ctx.head.minor === 0 ? '1.0' : '1.1')),
  'req.proto_http': () => single((ctx) => ctx.head !== undefined),
  'req.hdr': (a) => headerFetch('req', false, a, asString),
  'req.fhdr': (a) => headerFetch('req', true, a, asString),
  'req.hdr_cnt': (a) => headerCount('req', false, a),
  'req.fhdr_cnt': (a) => headerCount('req', true, a),
  'req.hdr_val': (a) => headerFetch('req', false, a, asInt),
  'req.hdr_ip': (a) => headerFetch('req', false, a, headerIp),
  'req.cook': (a) => cookieFetch(a, asString),
  'req.cook_val': (a) => cookieFetch(a, asInt),
  'req.cook_cnt': (a) => single((ctx) => {
    let n = 0;
    if (ctx.head !== undefined) eachCookie(ctx.upstreamHeaders, a[0] ?? '', asString, () => (n++, false), ctx);
    return n;
  }),
  http_auth: (_, s) => ((list) => single((ctx) => authenticatedUser(ctx, list) !== undefined))(s.userlist),
  http_auth_group: (_, s) => ((list) => single((ctx) => authenticatedUser(ctx, list)))(s.userlist),
  status: () => single((ctx) => (ctx.resHeaders === undefined ? undefined : ctx.status)),
  'res.comp': () => single((ctx) => (ctx.resHeaders === undefined ? undefined : ctx.compressing !== undefined)),
  'res.comp_algo': () => single((ctx) => (ctx.resHeaders === undefined ? undefined : ctx.compressing)),
  'res.hdr': (a) => headerFetch('res', false, a, asString),
  'res.cook': (a) => setCookieFetch(a),
  'res.fhdr': (a) => headerFetch('res', true, a, asString),
  'res.hdr_cnt': (a) => headerCount('res', false, a),
  'res.fhdr_cnt': (a) => headerCount('res', true, a),
  'res.hdr_val': (a) => headerFetch('res', false, a, asInt),
  'res.hdr_ip': (a) => headerFetch('res', false, a, headerIp),
  hdr: (a) => headerFetch('dir', false, a, asString),
  fhdr: (a) => headerFetch('dir', true, a, asString),
  hdr_cnt: (a) => headerCount('dir', false, a),
  fhdr_cnt: (a) => headerCount('dir', true, a),
  hdr_val: (a) => headerFetch('dir', false, a, asInt),
  hdr_ip: (a) => headerFetch('dir', false, a, headerIp),
  ...CONTENT_FETCHES,
};

/** The first Host header (`base` is it and the path). */
function firstHost(ctx: SampleContext): string {
  const h = ctx.upstreamHeaders;
  for (let i = 0; i < h.length; i += 2) if (sameName(h[i] as string, 'host')) return h[i + 1] as string;
  return '';
}

/** Compile the fetch of a checked sample. */
export function compileFetch(sample: Sample): CompiledFetch {
  const stick = stickFetch(sample.fetch, sample.args);
  if (stick !== undefined) return single(stick);
  const build = BUILDERS[sample.fetch];
  if (build === undefined || fetchDef(sample.fetch) === undefined) throw new Error(`internal error: sample fetch '${sample.fetch}' has no implementation; the configuration check should have refused it`);
  return build(sample.args, sample);
}
