// `server` and `default-server`: the backend's pool and its health-check parameters.
import { isIP } from 'node:net';
import type { ServerParams } from '../draft.ts';
import type { InitAddr, ServerDns } from '../model.ts';
import { HAPROXY_SERVER_OPTION } from './haproxy-names.ts';
import { SERVER_TLS_READERS } from './server-tls.ts';
import { skipUnimplemented, type UnimplementedOptions } from './unimplemented.ts';
import { parseInteger, parseTime } from '../units.ts';
import type { Parsed } from '../units.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_ONLY, BACKEND_SIDE } from './types.ts';

export interface ServerAddress {
  host: string;
  port?: number;
  /** `host:+N` / `host:-N`: the client's destination port plus N (HAProxy's port mapping). */
  portOffset?: number;
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
  const offset = /^([+-])(\d+)$/.exec(portText);
  if (offset !== null) {
    const n = Number(offset[2]);
    if (n > 65535) return { ok: false, error: `port offset '${portText}' out of range in server address '${text}'` };
    return { ok: true, value: { host, portOffset: offset[1] === '-' ? -n : n } };
  }
  if (!/^\d+$/.test(portText)) return { ok: false, error: `invalid port '${portText}' in server address '${text}'` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, error: `port ${port} out of range 1..65535 in server address '${text}'` };
  return { ok: true, value: { host, port } };
}

const IGNORED_WITH_VALUE = new Set(['id', 'tfo', 'log-proto']);
const WARN_WITH_VALUE: Record<string, string> = {
  'agent-port': 'has no effect without agent-check',
  'agent-inter': 'has no effect without agent-check',
  'agent-send': 'has no effect without agent-check',
  'agent-addr': 'has no effect without agent-check',
  'check-alpn': 'is ignored: TLS health checks offer no ALPN',
  'ws': 'is ignored: WebSocket upgrades are forwarded on HTTP/1.1',
  'pool-purge-delay': 'is ignored: an idle server connection closes after 4 s (or the server\'s Keep-Alive timeout minus 1 s)',
  'pool-low-conn': 'is ignored: a request takes an idle server connection whenever one is there',
};
/** Options that change where traffic goes, how health is judged or what is sent: refused until implemented. */
const REFUSED_WITH_VALUE: Record<string, string> = {
  track: 'is not supported by handoff: tracking another server\'s health',
  redir: 'is not supported by handoff: redirecting clients to the server',
  source: 'is not supported by handoff: choosing the source address towards the server',
  usesrc: 'is not supported by handoff: transparent source addresses',
  minconn: 'is not supported by handoff: dynamic maxconn (minconn/fullconn)',
  proto: 'is not supported by handoff: forcing a multiplexer (h2) to the server',
  'check-proto': 'is not supported by handoff: forcing a check multiplexer',
  namespace: 'is not supported by handoff: network namespaces',
  socks4: 'is not supported by handoff: SOCKS4 to the server',
};
const IGNORED_FLAGS = new Set(['enabled', 'no-backup', 'non-stick', 'stick', 'no-agent-check', 'no-tfo', 'allow-0rtt']);
const WARN_FLAGS: Record<string, string> = {};
const REFUSED_FLAGS: Record<string, string> = {
  'force-sslv3': 'is not supported by handoff: SSLv3 is disabled in Node.js',
  'force-tlsv10': 'is not supported by handoff: TLSv1.0 only (use ssl-min-ver/ssl-max-ver)',
  'force-tlsv11': 'is not supported by handoff: TLSv1.1 only (use ssl-min-ver/ssl-max-ver)',
  'send-proxy-v2-ssl': 'is not supported by handoff yet: the PROXY protocol towards servers',
  'send-proxy-v2-ssl-cn': 'is not supported by handoff yet: the PROXY protocol towards servers',
  'agent-check': 'is not supported by handoff yet: agent checks',
  'check-via-socks4': 'is not supported by handoff: SOCKS4 health checks',
};

export const SERVER_OPTIONS: UnimplementedOptions = {
  label: (w) => `server option '${w}'`,
  kind: 'server option',
  ignoredWithValue: IGNORED_WITH_VALUE,
  warnedWithValue: WARN_WITH_VALUE,
  refusedWithValue: REFUSED_WITH_VALUE,
  ignoredFlags: IGNORED_FLAGS,
  warnedFlags: WARN_FLAGS,
  refusedFlags: REFUSED_FLAGS,
  haproxy: HAPROXY_SERVER_OPTION,
  // The option readers below, and the check-target options of applyCheckTarget.
  get implemented() {
    return [...Object.keys(READERS), 'port', 'addr', 'on-marked-down', 'on-marked-up', 'no-check'];
  },
};

/** One option of a server line: reads `value` into `params`; the words used, or an error message. */
type OptionReader = (params: ServerParams, value: string | undefined, ctx: ProxyContext) => number | { error: string };

const flag = (set: (p: ServerParams) => void): OptionReader => (p) => {
  set(p);
  return 1;
};

/** A time option (`inter 2s`); `min`: smallest value accepted, in ms. */
const time = (name: string, set: (p: ServerParams, v: number) => void, min = 0): OptionReader => (p, value) => {
  const t = parseTime(value);
  if (!t.ok) return { error: `'${name}': ${t.error}` };
  if (t.value < min) return { error: `'${name}' must be at least ${min}ms` };
  set(p, t.value);
  return 2;
};

/** An integer option; `hint` follows the range error. */
const integer = (name: string, min: number, max: number, set: (p: ServerParams, v: number) => void, hint = ''): OptionReader => (p, value) => {
  const n = parseInteger(value, min, max);
  if (!n.ok) return { error: `'${name}' ${n.error}${hint}` };
  set(p, n.value);
  return 2;
};

/** One of a fixed set of words. */
function oneOf<W extends string>(name: string, words: readonly W[], set: (p: ServerParams, v: W) => void): OptionReader {
  return (p, value) => {
    const w = words.find((x) => x === value);
    if (w === undefined) return { error: `'${name}' expects ${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}, got '${value ?? ''}'` };
    set(p, w);
    return 2;
  };
}

/** `proxy-v2-options authority[,…]`: like HAProxy, it adds to the v2 header without enabling it. */
function proxyV2Options(p: ServerParams, value: string | undefined): number | { error: string } {
  if (value === undefined || value === '') return { error: "'proxy-v2-options' expects a comma-separated list such as 'authority'" };
  for (const o of value.split(',')) {
    if (o === 'authority') p.proxyV2Authority = true;
    else if (['ssl', 'cert-cn', 'cert-key', 'cert-sig', 'ssl-cipher', 'crc32c', 'unique-id'].includes(o)) return { error: `'proxy-v2-options ${o}' is not supported by handoff (it sends only 'authority'); refusing to send a PROXY header without what the server expects in it` };
    else return { error: `'${o}' : proxy v2 option not implemented` };
  }
  return 2;
}

/** The DNS options of a server line; the name and the defaults are filled in by finishDns. */
function dnsOf(p: ServerParams): ServerDns {
  p.dns ??= { resolvers: '', fqdn: '', prefer: 'ipv6', initAddr: [] };
  return p.dns;
}

/** `init-addr last,libc,none,IP` (HAProxy's methods, tried in order). */
function initAddr(p: ServerParams, value: string | undefined): number | { error: string } {
  const out: InitAddr[] = [];
  for (const m of (value ?? '').split(',')) {
    if (m === 'last' || m === 'libc' || m === 'none') out.push({ kind: m });
    else if (isIP(m) !== 0) out.push({ kind: 'ip', ip: m });
    else return { error: `'init-addr' expects a comma-separated list of last, libc, none or an IP address, got '${m}'` };
  }
  dnsOf(p).initAddr = out;
  return 2;
}

const DNS_READERS: Readonly<Record<string, OptionReader>> = {
  resolvers(p, value) {
    if (value === undefined || value === '') return { error: "'resolvers' expects the name of a resolvers section" };
    dnsOf(p).resolvers = value;
    return 2;
  },
  'resolve-prefer': oneOf('resolve-prefer', ['ipv4', 'ipv6'] as const, (p, v) => (dnsOf(p).prefer = v)),
  'resolve-net'(p, value) {
    const nets = (value ?? '').split(',');
    if (nets.some((n) => !/^[0-9a-fA-F.:]+\/\d+$/.test(n))) return { error: `'resolve-net' expects comma-separated networks such as 10.0.0.0/8, got '${value ?? ''}'` };
    dnsOf(p).nets = nets;
    return 2;
  },
  'init-addr': initAddr,
  'resolve-opts'(p, value) {
    const d = dnsOf(p);
    for (const o of (value ?? '').split(',')) {
      if (o === 'allow-dup-ip') d.allowDupIp = true;
      else if (o === 'prevent-dup-ip') delete d.allowDupIp;
      else if (o === 'ignore-weight') d.ignoreWeight = true;
      else return { error: `'resolve-opts' expects allow-dup-ip, prevent-dup-ip or ignore-weight, got '${o}'` };
    }
    return 2;
  },
};

/** A server line's DNS settings once its name is known; an error message, or undefined. */
export function finishDns(params: ServerParams, host: string, srv: boolean): string | undefined {
  const d = params.dns;
  if (d === undefined || d.resolvers === '') {
    delete params.dns;
    return srv ? `SRV record '${host}' needs 'resolvers NAME' to be resolved` : undefined;
  }
  params.dns = { ...d, fqdn: host, initAddr: d.initAddr.length > 0 ? d.initAddr : [{ kind: 'last' }, { kind: 'libc' }], ...(srv ? { srv: true as const } : {}) };
  return undefined;
}

const READERS: Readonly<Record<string, OptionReader>> = {
  ...DNS_READERS,
  check: flag((p) => (p.check = true)),
  backup: flag((p) => (p.backup = true)),
  disabled: flag((p) => (p.disabled = true)),
  inter: time('inter', (p, v) => (p.inter = v), 1),
  fastinter: time('fastinter', (p, v) => (p.fastinter = v), 1),
  downinter: time('downinter', (p, v) => (p.downinter = v), 1),
  slowstart: time('slowstart', (p, v) => (p.slowstart = v)),
  rise: integer('rise', 1, 1_000_000, (p, v) => (p.rise = v)),
  fall: integer('fall', 1, 1_000_000, (p, v) => (p.fall = v)),
  weight: integer('weight', 0, 256, (p, v) => (p.weight = v), ' (weights are 0..256)'),
  'error-limit': integer('error-limit', 1, 1_000_000, (p, v) => (p.errorLimit = v), ' (consecutive errors, at least 1)'),
  // 0 (HAProxy's default for both): no limit.
  maxconn: integer('maxconn', 0, 10_000_000, (p, v) => (v === 0 ? delete p.maxconn : (p.maxconn = v))),
  maxqueue: integer('maxqueue', 0, 10_000_000, (p, v) => (v === 0 ? delete p.maxqueue : (p.maxqueue = v))),
  'pool-max-conn': integer('pool-max-conn', -1, 10_000_000, (p, v) => (v < 0 ? delete p.poolMaxConn : (p.poolMaxConn = v))),
  'max-reuse': integer('max-reuse', -1, 2_000_000_000, (p, v) => (v < 0 ? delete p.maxReuse : (p.maxReuse = v))),
  'on-error': oneOf('on-error', ['fastinter', 'fail-check', 'sudden-death', 'mark-down'] as const, (p, v) => (p.onError = v)),
  'send-proxy': flag((p) => (p.sendProxy ??= 'v1')),
  'send-proxy-v2': flag((p) => (p.sendProxy = 'v2')),
  'no-send-proxy': flag((p) => p.sendProxy === 'v1' && delete p.sendProxy),
  'no-send-proxy-v2': flag((p) => p.sendProxy === 'v2' && delete p.sendProxy),
  'proxy-v2-options': proxyV2Options,
  cookie(p, value) {
    if (value === undefined || value === '') return { error: "'cookie' expects <value> as argument" };
    p.cookie = value;
    return 2;
  },
  'check-send-proxy': flag((p) => (p.checkSendProxy = true)),
  'no-check-send-proxy': flag((p) => delete p.checkSendProxy),
  ...SERVER_TLS_READERS,
  observe(p, value, ctx) {
    if (value === 'layer7' && ctx.proxy.mode !== 'http') return { error: "'observe layer7' needs 'mode http' (use 'observe layer4' in mode tcp)" };
    return oneOf('observe', ['none', 'layer4', 'layer7'] as const, (q, v) => (q.observe = v))(p, value, ctx);
  },
};

/** Apply `server`/`default-server` options to `params`; returns false when the line is invalid. */
export function applyServerOptions(ctx: ProxyContext, params: ServerParams, words: readonly string[]): boolean {
  for (let i = 0; i < words.length; ) {
    const w = words[i] as string;
    const value = words[i + 1];
    const reader = READERS[w];
    if (reader !== undefined) {
      const r = reader(params, value, ctx);
      if (typeof r !== 'number') {
        ctx.error(r.error);
        return false;
      }
      i += r;
      continue;
    }
    const used = applyCheckTarget(ctx, params, w, value);
    if (used === null) return false;
    if (used > 0) {
      i += used;
      continue;
    }
    const skip = skipUnimplemented(ctx, SERVER_OPTIONS, w, value);
    if (skip === null) return false;
    i += skip;
  }
  return true;
}

/** Where checks go and what a verdict does to sessions: words used (0: not one of these), null on error. */
function applyCheckTarget(ctx: ProxyContext, params: ServerParams, w: string, value: string | undefined): number | null {
  const fail = (msg: string): null => {
    ctx.error(msg);
    return null;
  };
  switch (w) {
    case 'no-check':
      params.check = false;
      return 1;
    case 'port': {
      const n = parseInteger(value, 1, 65535);
      if (!n.ok) return fail(`'port' ${n.error} (the health-check port)`);
      params.checkPort = n.value;
      return 2;
    }
    case 'addr': {
      const a = value === undefined ? undefined : parseServerAddress(value);
      if (a === undefined) return fail("'addr' expects an address (the health-check address)");
      if (!a.ok) return fail(`'addr': ${a.error}`);
      params.checkAddr = a.value.host;
      // As HAProxy: a port given with `addr` is the check port unless `port` says otherwise.
      if (a.value.port !== undefined && params.checkPort === undefined) params.checkPort = a.value.port;
      return 2;
    }
    case 'on-marked-down':
      if (value !== 'shutdown-sessions') return fail(`'on-marked-down' expects 'shutdown-sessions', got '${value ?? ''}'`);
      params.onMarkedDown = value;
      return 2;
    case 'on-marked-up':
      if (value !== 'shutdown-backup-sessions') return fail(`'on-marked-up' expects 'shutdown-backup-sessions', got '${value ?? ''}'`);
      params.onMarkedUp = value;
      return 2;
    default:
      return 0;
  }
}

export function parseServer(ctx: ProxyContext): void {
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
  const { host, port, portOffset } = parsed.value;
  const dnsError = finishDns(params, host, false);
  if (dnsError !== undefined) return ctx.error(dnsError);
  // No port, or +N/-N: the port is taken from the client's destination port (HAProxy's port mapping).
  const where = port !== undefined ? { port } : { portOffset: portOffset ?? 0 };
  ctx.proxy.servers.push({ ...params, name, host, ...where, loc: ctx.loc });
}

/** `server-template PREFIX N|A-B FQDN[:PORT] [options]`: servers PREFIXA..PREFIXB on one name. */
export function parseServerTemplate(ctx: ProxyContext): void {
  const [prefix, count, addr, ...opts] = ctx.args;
  if (prefix === undefined || count === undefined || addr === undefined) return ctx.error("'server-template' expects a prefix, a number and an address, e.g. 'server-template app 5 _http._tcp.app.example resolvers dns'");
  const range = /^(\d+)(?:-(\d+))?$/.exec(count);
  const from = range?.[2] === undefined ? 1 : Number(range[1]);
  const to = range?.[2] === undefined ? Number(range?.[1] ?? 0) : Number(range[2]);
  if (range === null || from < 1 || to < from || to - from > 9999) return ctx.error(`'server-template': invalid number or range '${count}' (N, or A-B with 1 <= A <= B)`);
  const srv = addr.startsWith('_');
  const parsed = srv ? { ok: true as const, value: { host: addr } as ServerAddress } : parseServerAddress(addr);
  if (!parsed.ok) return ctx.error(parsed.error);
  if (srv && /:\d+$/.test(addr)) return ctx.error(`'server-template': an SRV record '${addr}' takes its ports from the records (remove the port)`);
  const params = structuredClone(ctx.proxy.defaultServer);
  if (!applyServerOptions(ctx, params, opts)) return;
  const dnsError = finishDns(params, parsed.value.host, srv);
  if (dnsError !== undefined) return ctx.error(dnsError);
  const { host, port, portOffset } = parsed.value;
  const where = port !== undefined ? { port } : srv ? { port: 0 } : { portOffset: portOffset ?? 0 };
  for (let i = from; i <= to; i++) {
    const name = `${prefix}${i}`;
    const dup = ctx.proxy.servers.find((s) => s.name === name);
    if (dup !== undefined) return ctx.error(`server '${name}' of the template is already defined in ${ctx.proxy.kind} '${ctx.proxy.name}' at ${dup.loc.file}:${dup.loc.line}`);
    ctx.proxy.servers.push({ ...structuredClone(params), name, host, ...where, loc: ctx.loc });
  }
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'server', sections: BACKEND_ONLY, strictSections: true, parse: parseServer },
  { name: 'server-template', sections: BACKEND_ONLY, strictSections: true, parse: parseServerTemplate },
  {
    name: 'default-server',
    sections: BACKEND_SIDE,
    parse(ctx) {
      applyServerOptions(ctx, ctx.proxy.defaultServer, ctx.args);
    },
  },
];
