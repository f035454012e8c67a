// `server` and `default-server`: the backend's pool and its health-check parameters.
import { isIP } from 'node:net';
import type { ServerParams } from '../draft.ts';
import { skipUnimplemented, type UnimplementedOptions } from './unimplemented.ts';
import { parseInteger, parseTime } from '../units.ts';
import type { Parsed } from '../units.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_ONLY, BACKEND_SIDE } from './types.ts';

export interface ServerAddress {
  host: string;
  port?: number;
}

/** `host:port`, `[v6]:port`, `v6:port` (last colon), or a bare host (port absent). */
export function parseServerAddress(text: string): Parsed<ServerAddress> {
  let rest = text;
  const family = /^(ipv4|ipv6)@/.exec(rest);
  if (family !== null) rest = rest.slice(family[0].length);
  if (rest.startsWith('/') || /^[a-z0-9]+@/.test(rest)) {
    return { ok: false, error: `server address '${text}': only TCP addresses are supported` };
  }
  let host = rest;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket !== null) {
    host = bracket[1] as string;
    portText = bracket[2];
  } else if (isIP(rest) === 6) {
    portText = undefined;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon !== -1) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  const badName = !/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(host) || /^[\d.]+$/.test(host);
  if (host === '' || (isIP(host) === 0 && badName)) {
    return { ok: false, error: `invalid server address '${text}'` };
  }
  if (portText === undefined || portText === '') return { ok: true, value: { host } };
  if (/^[+-]/.test(portText)) return { ok: false, error: `server address '${text}': port offsets are not supported; give an absolute port` };
  if (!/^\d+$/.test(portText)) return { ok: false, error: `invalid port '${portText}' in server address '${text}'` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, error: `port ${port} out of range 1..65535 in server address '${text}'` };
  return { ok: true, value: { host, port } };
}

const IGNORED_WITH_VALUE = new Set(['id', 'on-marked-down', 'on-marked-up', 'slowstart', 'minconn', 'maxqueue', 'resolve-prefer', 'resolve-opts', 'init-addr', 'pool-max-conn', 'pool-purge-delay', 'max-reuse', 'tfo']);
const WARN_WITH_VALUE: Record<string, string> = {
  cookie: 'is ignored: cookie persistence is not supported',
  port: "is ignored: health checks use the server's own port",
  addr: "is ignored: health checks use the server's own address",
  resolvers: 'is ignored: addresses are resolved by the system resolver on each connection',
  'agent-port': 'is ignored: agent checks are not supported',
  'agent-inter': 'is ignored: agent checks are not supported',
  'agent-send': 'is ignored: agent checks are not supported',
  sni: 'is ignored: TLS to servers is not supported',
  'ca-file': 'is ignored: TLS to servers is not supported',
  crt: 'is ignored: TLS to servers is not supported',
  ciphers: 'is ignored: TLS to servers is not supported',
  verify: 'is ignored: TLS to servers is not supported',
  'check-sni': 'is ignored: TLS to servers is not supported',
  alpn: 'is ignored: TLS to servers is not supported',
  'proxy-v2-options': 'is ignored: the PROXY protocol is not supported',
  track: 'is ignored: the server has its own health check',
  redir: 'is not supported; the server is used as a normal server',
  'ws': 'is ignored',
  'source': 'is ignored',
};
const IGNORED_FLAGS = new Set(['enabled', 'no-check', 'no-backup', 'non-stick', 'stick', 'no-agent-check', 'no-send-proxy', 'no-ssl', 'no-tls-tickets', 'tls-tickets', 'no-verifyhost', 'check-send-proxy', 'no-check-ssl']);
const WARN_FLAGS: Record<string, string> = {
  ssl: "is not supported: handoff connects to servers in clear text",
  'check-ssl': 'is not supported: health checks use clear text',
  'send-proxy': 'is not supported: the PROXY protocol header is not sent',
  'send-proxy-v2': 'is not supported: the PROXY protocol header is not sent',
  'agent-check': 'is not supported: agent checks are ignored',
  'force-sslv3': 'is ignored: TLS to servers is not supported',
  'force-tlsv10': 'is ignored: TLS to servers is not supported',
  'force-tlsv11': 'is ignored: TLS to servers is not supported',
  'force-tlsv12': 'is ignored: TLS to servers is not supported',
  'force-tlsv13': 'is ignored: TLS to servers is not supported',
  'no-sslv3': 'is ignored: TLS to servers is not supported',
  'no-tlsv10': 'is ignored: TLS to servers is not supported',
  'no-tlsv11': 'is ignored: TLS to servers is not supported',
  'no-tlsv12': 'is ignored: TLS to servers is not supported',
  'no-tlsv13': 'is ignored: TLS to servers is not supported',
};

const UNIMPLEMENTED: UnimplementedOptions = {
  label: (w) => `server option '${w}'`,
  kind: 'server option',
  ignoredWithValue: IGNORED_WITH_VALUE,
  warnedWithValue: WARN_WITH_VALUE,
  ignoredFlags: IGNORED_FLAGS,
  warnedFlags: WARN_FLAGS,
};

/** Apply `server`/`default-server` options to `params`; returns false when the line is invalid. */
export function applyServerOptions(ctx: ProxyContext, params: ServerParams, words: readonly string[]): boolean {
  for (let i = 0; i < words.length; ) {
    const w = words[i] as string;
    const value = words[i + 1];
    const fail = (msg: string): false => {
      ctx.error(msg);
      return false;
    };
    switch (w) {
      case 'check':
        params.check = true;
        i++;
        continue;
      case 'backup':
        params.backup = true;
        i++;
        continue;
      case 'disabled':
        params.disabled = true;
        i++;
        continue;
      case 'inter': {
        const t = parseTime(value);
        if (!t.ok) return fail(`'inter': ${t.error}`);
        if (t.value < 1) return fail("'inter' must be at least 1ms");
        params.inter = t.value;
        i += 2;
        continue;
      }
      case 'rise':
      case 'fall': {
        const n = parseInteger(value, 1, 1_000_000);
        if (!n.ok) return fail(`'${w}' ${n.error}`);
        params[w] = n.value;
        i += 2;
        continue;
      }
      case 'weight': {
        const n = parseInteger(value, 0, 256);
        if (!n.ok) return fail(`'weight' ${n.error} (weights are 0..256)`);
        params.weight = n.value;
        i += 2;
        continue;
      }
      case 'fastinter':
      case 'downinter': {
        const t = parseTime(value);
        if (!t.ok) return fail(`'${w}': ${t.error}`);
        if (t.value < 1) return fail(`'${w}' must be at least 1ms`);
        params[w] = t.value;
        i += 2;
        continue;
      }
      case 'observe': {
        if (value !== 'none' && value !== 'layer4' && value !== 'layer7') return fail(`'observe' expects none, layer4 or layer7, got '${value ?? ''}'`);
        if (value === 'layer7' && ctx.proxy.mode !== 'http') return fail("'observe layer7' needs 'mode http' (use 'observe layer4' in mode tcp)");
        params.observe = value;
        i += 2;
        continue;
      }
      case 'error-limit': {
        const n = parseInteger(value, 1, 1_000_000);
        if (!n.ok) return fail(`'error-limit' ${n.error} (consecutive errors, at least 1)`);
        params.errorLimit = n.value;
        i += 2;
        continue;
      }
      case 'on-error': {
        if (value !== 'fastinter' && value !== 'fail-check' && value !== 'sudden-death' && value !== 'mark-down') {
          return fail(`'on-error' expects fastinter, fail-check, sudden-death or mark-down, got '${value ?? ''}'`);
        }
        params.onError = value;
        i += 2;
        continue;
      }
      case 'maxconn': {
        const n = parseInteger(value, 0, 10_000_000);
        if (!n.ok) return fail(`'maxconn' ${n.error}`);
        if (n.value === 0) delete params.maxconn;
        else params.maxconn = n.value;
        i += 2;
        continue;
      }
    }
    const skip = skipUnimplemented(ctx, UNIMPLEMENTED, w, value);
    if (skip === null) return false;
    i += skip;
  }
  return true;
}

function parseServer(ctx: ProxyContext): void {
  const [name, addr, ...opts] = ctx.args;
  if (name === undefined || addr === undefined) return ctx.error("'server' expects a name and an address, e.g. 'server app1 127.0.0.1:9000 check'");
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) return ctx.error(`invalid server name '${name}' (letters, digits, '_', '.', ':', '-')`);
  const dup = ctx.proxy.servers.find((s) => s.name === name);
  if (dup !== undefined) return ctx.error(`server '${name}' is already defined in ${ctx.proxy.kind} '${ctx.proxy.name}' at ${dup.loc.file}:${dup.loc.line}`);
  const parsed = parseServerAddress(addr);
  if (!parsed.ok) return ctx.error(parsed.error);
  const params = structuredClone(ctx.proxy.defaultServer);
  if (!applyServerOptions(ctx, params, opts)) return;
  // As in HAProxy, observing needs the server's health checks: the master owns its state.
  if (params.observe !== 'none' && !params.check) ctx.warn(`server '${name}': 'observe ${params.observe}' has no effect without 'check'`);
  ctx.proxy.servers.push({ ...params, name, host: parsed.value.host, ...(parsed.value.port === undefined ? {} : { port: parsed.value.port }), loc: ctx.loc });
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'server', sections: BACKEND_ONLY, strictSections: true, parse: parseServer },
  {
    name: 'default-server',
    sections: BACKEND_SIDE,
    parse(ctx) {
      applyServerOptions(ctx, ctx.proxy.defaultServer, ctx.args);
    },
  },
];
