// `bind` lines: listening addresses and their TLS settings. The same key means the same kernel
// socket across reloads, so addresses are normalised here (`*` → 0.0.0.0, IPv6 in brackets).
import { isIP } from 'node:net';
import type { BindDraft } from '../draft.ts';
import { emptyTlsOptions } from '../draft.ts';
import type { Parsed } from '../units.ts';
import { applyTlsOption } from './tls.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { HAPROXY_BIND_OPTION } from './haproxy-names.ts';
import { skipUnimplemented, type UnimplementedOptions } from './unimplemented.ts';
import { FRONTEND_ONLY } from './types.ts';

export interface ListenAddress {
  host: string;
  port: number;
  key: string;
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
  let rest = text;
  const family = /^(ipv4|ipv6|tcp|tcp4|tcp6)@/.exec(rest);
  if (family !== null) rest = rest.slice(family[0].length);
  if (rest.startsWith('/') || /^[a-z0-9]+@/.test(rest)) {
    return { ok: false, error: `bind address '${text}': only TCP addresses are supported (no unix, abns or fd sockets)` };
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

/** Parse a bind address list: `*:80`, `:::443`, `127.0.0.1:8000-8002`, `:80,:8080`. */
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
const IGNORED_WITH_VALUE = new Set(['name', 'id', 'process', 'thread', 'backlog', 'nice', 'mss', 'interface', 'level', 'severity-output', 'mode', 'uid', 'gid', 'user', 'group', 'tcp-ut']);
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
  implemented: ['ssl', 'crt', 'alpn', 'verify', 'ca-file', 'crl-file', 'npn', 'maxconn', 'ciphers', 'ciphersuites', 'curves', 'ssl-min-ver', 'ssl-max-ver', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'strict-sni', 'prefer-client-ciphers'],
};

/** Apply the options after the address; returns false when the line is invalid. */
export function applyBindOptions(ctx: ProxyContext, binds: BindDraft[], words: readonly string[]): boolean {
  const template: Omit<BindDraft, 'key' | 'host' | 'port'> = { ssl: false, crts: [], tls: emptyTlsOptions(), loc: ctx.loc };
  for (let i = 0; i < words.length; ) {
    const w = words[i] as string;
    const value = words[i + 1];
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
      i += 2;
      continue;
    }
    if (w === 'crt-list') {
      ctx.error("'crt-list' is not supported: list the certificates with one 'crt FILE' each");
      return false;
    }
    if (w === 'accept-proxy' || w === 'accept-netscaler-cip') {
      // Ignoring it would misread every connection's first bytes.
      ctx.error(`'${w}' is not supported: handoff does not read the PROXY protocol`);
      return false;
    }
    if (w === 'verify') {
      if (value !== 'none') {
        ctx.error(`'verify ${value ?? ''}' is not supported: handoff does not authenticate client certificates`);
        return false;
      }
      i += 2;
      continue;
    }
    if (w === 'ca-file' || w === 'crl-file' || w === 'ca-ignore-err' || w === 'crt-ignore-err' || w === 'ca-sign-file' || w === 'ca-sign-pass' || w === 'ca-verify-file') {
      if (value === undefined) {
        ctx.error(`'${w}' expects a value`);
        return false;
      }
      ctx.warn(`'${w}' is ignored: handoff does not verify client certificates`);
      i += 2;
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
  if (template.ssl && template.crts.length === 0) {
    ctx.error("'ssl' on a bind line needs at least one 'crt FILE' (certificate and private key in one PEM)");
    return false;
  }
  if (!template.ssl && template.crts.length > 0) {
    ctx.warn("'crt' without 'ssl' on this bind line: the listener serves plain TCP and the certificate is unused");
  }
  for (const b of binds) Object.assign(b, structuredClone(template));
  return true;
}

function parseBind(ctx: ProxyContext): void {
  ctx.proxy.hasBindLine = true;
  const [addr, ...opts] = ctx.args;
  if (addr === undefined) return ctx.error("'bind' expects an address such as *:80 or 127.0.0.1:8443");
  const parsed = parseBindAddresses(addr);
  if (!parsed.ok) return ctx.error(parsed.error);
  const binds: BindDraft[] = parsed.value.map((a) => ({ ...a, ssl: false, crts: [], tls: emptyTlsOptions(), loc: ctx.loc }));
  if (!applyBindOptions(ctx, binds, opts)) return;
  ctx.proxy.binds.push(...binds);
}

export const proxyKeywords: ProxyKeyword[] = [{ name: 'bind', sections: FRONTEND_ONLY, strictSections: true, parse: parseBind }];
