// `bind` lines: listening addresses and their TLS settings. The same key means the same kernel
// socket across reloads, so addresses are normalised here (`*` → 0.0.0.0, IPv6 in brackets,
// `/PATH` → `unix@PATH`).
import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { BindDraft } from '../draft.ts';
import { emptyTlsOptions } from '../draft.ts';
import type { UnixSocketFile } from '../model.ts';
import type { Parsed } from '../units.ts';
import { applyTlsOption } from './tls.ts';
import { applyClientVerifyOption } from './bind-verify.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { HAPROXY_BIND_OPTION } from './haproxy-names.ts';
import { skipUnimplemented, type UnimplementedOptions } from './unimplemented.ts';
import { FRONTEND_ONLY } from './types.ts';
import { applyUnixFileOption, MAX_UNIX_BIND_PATH, UNIX_FILE_OPTIONS, unixKey, type UnixFileSettings } from './unix-socket.ts';

export interface ListenAddress {
  /** '' and 0 for a unix socket. */
  host: string;
  port: number;
  key: string;
  /** A unix socket: its path as written (applyBindOptions joins `unix-bind prefix` and sets the file's settings). */
  unix?: UnixSocketFile;
}

/** Address families HAProxy has and handoff does not listen on, and why. */
const REFUSED_FAMILIES: Record<string, string> = {
  abns: 'abstract unix sockets (abns@) are not supported by handoff; use unix@PATH (a socket file)',
  fd: 'inherited file descriptors (fd@) are not supported by handoff: the master binds every listener itself',
  sockpair: 'socket pairs (sockpair@) are not supported by handoff: the master binds every listener itself',
  udp: 'dgram-type address not acceptable: a bind listens on a stream socket (TCP or unix)',
  udp4: 'dgram-type address not acceptable: a bind listens on a stream socket (TCP or unix)',
  udp6: 'dgram-type address not acceptable: a bind listens on a stream socket (TCP or unix)',
  uxdg: 'dgram-type address not acceptable: a bind listens on a stream socket (TCP or unix)',
  quic4: 'QUIC (HTTP/3) listeners are not supported by handoff',
  quic6: 'QUIC (HTTP/3) listeners are not supported by handoff',
};

/** `unix@PATH`, `uxst@PATH` or `/PATH`: a unix stream socket (its path normalised, as its key). */
function parseUnix(text: string): Parsed<ListenAddress[]> | undefined {
  const m = /^(?:unix|uxst)@(.*)$/.exec(text);
  const raw = m !== null ? (m[1] as string) : text.startsWith('/') ? text : undefined;
  if (raw === undefined) return undefined;
  if (raw === '') return { ok: false, error: `bind address '${text}': a unix socket needs a path, e.g. unix@/run/handoff/http.sock` };
  const path = posix.normalize(raw);
  return { ok: true, value: [{ host: '', port: 0, key: unixKey(path), unix: { path } }] };
}

const MAX_RANGE = 1024;

export function bindKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function validHostname(host: string): boolean {
  // All-numeric names are mistyped IPv4 addresses (`300.1.1.1`), not host names.
  if (/^[\d.]+$/.test(host)) return false;
  return /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
}

/** Parse one `ADDR:PORT[-PORT]` element of a bind line (comma-separated lists are split by the caller). */
function parseOne(text: string): Parsed<ListenAddress[]> {
  const unix = parseUnix(text);
  if (unix !== undefined) return unix;
  let rest = text;
  const family = /^(ipv4|ipv6|tcp|tcp4|tcp6)@/.exec(rest);
  if (family !== null) rest = rest.slice(family[0].length);
  const other = /^([a-z0-9]+)@/.exec(rest);
  if (other !== null || rest.startsWith('/')) {
    const why = REFUSED_FAMILIES[other?.[1] ?? ''] ?? 'unknown address family: handoff listens on TCP (ADDR:PORT, ipv4@, ipv6@) and unix sockets (unix@PATH or /PATH)';
    return { ok: false, error: `bind address '${text}': ${why}` };
  }
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (bracket !== null) {
    host = bracket[1] as string;
    portText = bracket[2] as string;
  } else {
    // As in HAProxy, the last colon separates the port: `:::443` is port 443 on `::`.
    const colon = rest.lastIndexOf(':');
    if (colon === -1) return { ok: false, error: `bind address '${text}' has no port (write '${text}:PORT' or '*:PORT')` };
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
  }
  if (host === '' || host === '*') host = family?.[1] === 'ipv6' || family?.[1] === 'tcp6' ? '::' : '0.0.0.0';
  if (isIP(host) === 0 && !validHostname(host)) return { ok: false, error: `invalid bind address '${host}' in '${text}'` };
  const range = /^(\d+)(?:-(\d+))?$/.exec(portText);
  if (range === null) return { ok: false, error: `invalid port '${portText}' in bind address '${text}'` };
  const from = Number(range[1]);
  const to = range[2] === undefined ? from : Number(range[2]);
  for (const p of [from, to]) {
    if (p < 1 || p > 65535) return { ok: false, error: `port ${p} out of range 1..65535 in bind address '${text}'` };
  }
  if (to < from) return { ok: false, error: `invalid port range '${portText}' in '${text}'` };
  if (to - from >= MAX_RANGE) return { ok: false, error: `port range '${portText}' is larger than ${MAX_RANGE} ports` };
  const hostNorm = host.toLowerCase();
  const out: ListenAddress[] = [];
  for (let p = from; p <= to; p++) out.push({ host: hostNorm, port: p, key: bindKey(hostNorm, p) });
  return { ok: true, value: out };
}

/** Parse a bind address list: `*:80`, `:::443`, `127.0.0.1:8000-8002`, `:80,:8080`, `unix@/run/x.sock`, `/run/x.sock`. */
export function parseBindAddresses(text: string): Parsed<ListenAddress[]> {
  const out: ListenAddress[] = [];
  for (const part of text.split(',')) {
    if (part === '') return { ok: false, error: `empty element in bind address list '${text}'` };
    const r = parseOne(part);
    if (!r.ok) return r;
    out.push(...r.value);
  }
  return { ok: true, value: out };
}

/** Bind options that take a value and are accepted without effect. */
const IGNORED_WITH_VALUE = new Set(['name', 'process', 'thread', 'backlog', 'nice', 'mss', 'interface', 'level', 'severity-output', 'tcp-ut']);
const IGNORED_FLAGS = new Set(['v4v6', 'v6only', 'defer-accept', 'tfo', 'no-alpn', 'allow-0rtt', 'no-ca-names']);
const WARN_FLAGS: Record<string, string> = {
  'expose-fd': 'is ignored: the master always hands its listeners to new workers',
};
const REFUSED_FLAGS: Record<string, string> = {
  transparent: 'is not supported by handoff: transparent proxying (binding foreign addresses)',
  'generate-certificates': 'is not supported by handoff: certificates generated on the fly',
};
const REFUSED_WITH_VALUE: Record<string, string> = {
  namespace: 'is not supported by handoff: network namespaces',
  proto: 'is not supported by handoff: forcing a multiplexer (h2) on the bind',
  shards: 'is not supported by handoff',
  'tls-ticket-keys': 'is not supported by handoff yet: TLS ticket keys from a file',
};
export const BIND_OPTIONS: UnimplementedOptions = {
  label: (w) => `'${w}'`,
  kind: 'bind option',
  ignoredWithValue: IGNORED_WITH_VALUE,
  ignoredFlags: IGNORED_FLAGS,
  warnedFlags: WARN_FLAGS,
  refusedFlags: REFUSED_FLAGS,
  refusedWithValue: REFUSED_WITH_VALUE,
  haproxy: HAPROXY_BIND_OPTION,
  implemented: ['id', ...UNIX_FILE_OPTIONS, 'ssl', 'crt', 'alpn', 'verify', 'ca-file', 'crl-file', 'npn', 'maxconn', 'ciphers', 'ciphersuites', 'curves', 'ssl-min-ver', 'ssl-max-ver', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'strict-sni', 'prefer-client-ciphers', 'accept-proxy', 'crt-list', 'ca-ignore-err', 'crt-ignore-err'],
};

/** What a bind line sets on its sockets beside TLS: `id`, and a unix socket file's settings. */
interface ListenerOptions {
  id?: number;
  file: UnixFileSettings;
}

/** `id N` or a unix file option (parsed on any bind, as HAProxy does; a TCP socket has no file).
 * Words consumed, null after an error, undefined when `w` is none of them. */
function applyListenerOption(ctx: ProxyContext, into: ListenerOptions, w: string, value: string | undefined): number | null | undefined {
  if (w === 'id') {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 2 ** 31 - 1) {
      ctx.error(`'id' : custom id has to be > 0, got '${value ?? ''}'`);
      return null;
    }
    into.id = Number(value);
    return 2;
  }
  const problem = applyUnixFileOption(into.file, w, value);
  if (problem === undefined) return undefined;
  if (problem !== null) {
    ctx.error(problem);
    return null;
  }
  return 2;
}

/** `unix-bind prefix` joined to each unix path (as HAProxy: plain concatenation), then its
 * settings under the line's own; the id on the one socket it may name. */
function finishListeners(ctx: ProxyContext, binds: BindDraft[], opts: ListenerOptions): boolean {
  if (opts.id !== undefined && binds.length > 1) {
    ctx.error("'id' can only be used with a single socket");
    return false;
  }
  const defaults = ctx.global.unixBind ?? {};
  for (const b of binds) {
    if (opts.id !== undefined) b.id = opts.id;
    if (b.unix === undefined) continue;
    const { prefix, ...settings } = defaults;
    const path = posix.normalize(`${prefix ?? ''}${b.unix.path}`);
    if (Buffer.byteLength(path) > MAX_UNIX_BIND_PATH) {
      ctx.error(`socket path 'unix@${path}' too long (max ${MAX_UNIX_BIND_PATH})`);
      return false;
    }
    b.unix = { path, ...settings, ...opts.file };
    b.key = unixKey(path);
  }
  return true;
}

/** Apply the options after the address; returns false when the line is invalid. */
export function applyBindOptions(ctx: ProxyContext, binds: BindDraft[], words: readonly string[]): boolean {
  const template: Omit<BindDraft, 'key' | 'host' | 'port'> = { ssl: false, crts: [], tls: emptyTlsOptions(), loc: ctx.loc };
  const listener: ListenerOptions = { file: {} };
  for (let i = 0; i < words.length; ) {
    const w = words[i] as string;
    const value = words[i + 1];
    const used = applyListenerOption(ctx, listener, w, value);
    if (used === null) return false;
    if (used !== undefined) {
      i += used;
      continue;
    }
    if (w === 'ssl') {
      template.ssl = true;
      i++;
      continue;
    }
    if (w === 'crt') {
      if (value === undefined) {
        ctx.error("'crt' expects a certificate file");
        return false;
      }
      template.crts.push({ path: value, loc: ctx.loc });
      i += 2;
      continue;
    }
    if (w === 'alpn') {
      if (value === undefined) {
        ctx.error("'alpn' expects a comma-separated protocol list such as h2,http/1.1");
        return false;
      }
      template.alpn = value.split(',').filter((p) => p !== '');
      if (template.alpn.includes('h2')) ctx.warn(`'alpn ${value}': HTTP/2 is not implemented by handoff yet; this bind negotiates http/1.1 only`);
      i += 2;
      continue;
    }
    if (w === 'crt-list') {
      if (value === undefined) {
        ctx.error("'crt-list' expects a file listing certificates (one 'CERT [[options]] [sni filters]' a line)");
        return false;
      }
      template.crtLists = [...(template.crtLists ?? []), { path: value, loc: ctx.loc, order: template.crts.length }];
      i += 2;
      continue;
    }
    if (w === 'accept-proxy') {
      template.acceptProxy = true;
      i++;
      continue;
    }
    if (w === 'accept-netscaler-cip') {
      // Ignoring it would misread every connection's first bytes.
      ctx.error(`'${w}' is not supported: handoff does not read NetScaler's Client IP insertion protocol (it reads the PROXY protocol: 'accept-proxy')`);
      return false;
    }
    const verify = applyClientVerifyOption(ctx, template, w, value);
    if (verify === null) return false;
    if (verify > 0) {
      i += verify;
      continue;
    }
    if (w === 'npn') {
      if (value === undefined) {
        ctx.error("'npn' expects a protocol list");
        return false;
      }
      ctx.warn("'npn' is ignored: NPN is obsolete, use 'alpn'");
      i += 2;
      continue;
    }
    if (w === 'maxconn') {
      if (value === undefined || !/^\d+$/.test(value)) {
        ctx.error("'maxconn' on a bind line expects an integer");
        return false;
      }
      // HAProxy: 0 or unset means the frontend's maxconn.
      template.maxconn = Number(value);
      i += 2;
      continue;
    }
    const tls = applyTlsOption(template.tls, words, i);
    if (tls !== undefined) {
      if ('error' in tls) {
        ctx.error(tls.error);
        return false;
      }
      if (tls.warning !== undefined) ctx.warn(tls.warning);
      i += tls.consumed;
      continue;
    }
    const skip = skipUnimplemented(ctx, BIND_OPTIONS, w, value);
    if (skip === null) return false;
    i += skip;
  }
  if (template.ssl && template.crts.length === 0 && (template.crtLists ?? []).length === 0) {
    ctx.error("'ssl' on a bind line needs at least one 'crt FILE' (certificate and private key in one PEM)");
    return false;
  }
  if (!template.ssl && template.crts.length > 0) {
    ctx.warn("'crt' without 'ssl' on this bind line: the listener serves plain TCP and the certificate is unused");
  }
  for (const b of binds) Object.assign(b, structuredClone(template));
  return finishListeners(ctx, binds, listener);
}

function parseBind(ctx: ProxyContext): void {
  ctx.proxy.hasBindLine = true;
  const [addr, ...opts] = ctx.args;
  if (addr === undefined) return ctx.error("'bind' expects an address such as *:80, 127.0.0.1:8443 or unix@/run/handoff/http.sock");
  const parsed = parseBindAddresses(addr);
  if (!parsed.ok) return ctx.error(parsed.error);
  const binds: BindDraft[] = parsed.value.map((a) => ({ ...a, ssl: false, crts: [], tls: emptyTlsOptions(), loc: ctx.loc }));
  if (!applyBindOptions(ctx, binds, opts)) return;
  ctx.proxy.binds.push(...binds);
}

export const proxyKeywords: ProxyKeyword[] = [{ name: 'bind', sections: FRONTEND_ONLY, strictSections: true, parse: parseBind }];
