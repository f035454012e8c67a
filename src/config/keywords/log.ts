// Logging keywords: `log` targets (global and per proxy) with `len`, `format`, `sample` and
// levels, `log-tag` (global and per proxy), `log-send-hostname`, `log-format`, `option
// httplog|tcplog`, `option dontlognull`. Formats are resolved per frontend in build.ts.
import os from 'node:os';
import type { LogHeaderFormat, LogTarget, LogTargetOptions } from '../model.ts';
import type { Parsed } from '../units.ts';
import { parseInteger } from '../units.ts';
import { checkLogFormat } from '../logformat.ts';
import type { GlobalKeyword, LineContext, ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES, FRONTEND_SIDE } from './types.ts';

const FACILITIES = new Set([
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp',
  'ntp', 'audit', 'alert', 'cron2', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]);
const LEVELS = new Set(['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']);

const FORMATS = new Set(['raw', 'short', 'priority', 'timed', 'iso', 'local', 'rfc3164', 'rfc5424']);

/** `len`, `format`, `sample` before the facility; `profile` does not exist in HAProxy 2.6. */
function parseLogOptions(rest: readonly string[], opts: LogTargetOptions): Parsed<number> {
  let i = 0;
  while (i < rest.length && (rest[i] === 'len' || rest[i] === 'format' || rest[i] === 'sample')) {
    const opt = rest[i] as string;
    const value = rest[i + 1];
    if (value === undefined) return { ok: false, error: `'log … ${opt}' expects a value` };
    if (opt === 'len') {
      const n = parseInteger(value, 80, 65535);
      if (!n.ok) return { ok: false, error: `invalid log length '${value}', must be between 80 and 65535` };
      opts.maxLen = n.value;
    } else if (opt === 'format') {
      if (!FORMATS.has(value)) return { ok: false, error: `unknown log format '${value}' (expected one of ${[...FORMATS].join(', ')})` };
      opts.format = value as LogHeaderFormat;
    } else {
      const sample = parseSampleRanges(value);
      if (typeof sample === 'string') return { ok: false, error: sample };
      opts.sample = sample;
    }
    i += 2;
  }
  return { ok: true, value: i };
}

/** Parse `ADDR [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]`. */
export function parseLogTarget(args: readonly string[]): Parsed<LogTarget> & { warnings?: string[] } {
  const [addr, ...rest] = args;
  if (addr === undefined) return { ok: false, error: "'log' expects an address and a facility, e.g. 'log 127.0.0.1 local0'" };
  const opts: LogTargetOptions = {};
  const parsedOpts = parseLogOptions(rest, opts);
  if (!parsedOpts.ok) return parsedOpts;
  const i = parsedOpts.value;
  const facility = rest[i];
  if (facility === undefined) return { ok: false, error: `'log ${addr}' expects a syslog facility (e.g. local0)` };
  if (!FACILITIES.has(facility)) return { ok: false, error: `unknown log facility '${facility}'` };
  const level = rest[i + 1];
  if (level !== undefined && !LEVELS.has(level)) return { ok: false, error: `unknown log level '${level}'` };
  const minLevel = rest[i + 2];
  if (minLevel !== undefined && !LEVELS.has(minLevel)) return { ok: false, error: `unknown log minimum level '${minLevel}'` };
  if (rest.length > i + 3) return { ok: false, error: `unexpected word '${rest[i + 3] ?? ''}' after the log level` };
  const lvl = { ...(level === undefined ? {} : { level }), ...(minLevel === undefined ? {} : { minLevel }) };
  const target = logAddress(addr);
  if (!target.ok) return target;
  return { ok: true, value: { ...target.value, facility, ...lvl, ...opts } as LogTarget, warnings: [] };
}

/** `sample 1,3-4:5` → the positions logged out of each 5. */
export function parseSampleRanges(text: string): { ranges: [number, number][]; size: number } | string {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return `'sample ${text}': expects RANGES:SIZE, e.g. 1:10`;
  const size = Number(text.slice(colon + 1));
  if (!/^\d+$/.test(text.slice(colon + 1)) || size < 1) return `'sample ${text}': the sample size must be a positive integer`;
  const ranges: [number, number][] = [];
  for (const part of text.slice(0, colon).split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return `'sample ${text}': invalid range '${part}'`;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from || to > size) return `'sample ${text}': range '${part}' is outside 1..${size}`;
    ranges.push([from, to]);
  }
  return { ranges, size };
}

/** `log-tag TAG`: HAProxy refuses an empty one. */
function parseTag(ctx: LineContext, set: (tag: string) => void): void {
  const tag = ctx.args[0];
  if (tag === undefined || tag === '' || ctx.args.length > 1) return ctx.error("'log-tag' expects a tag string");
  set(tag);
}

type Address = { kind: 'stdout' | 'stderr' } | { kind: 'udp'; host: string; port: number } | { kind: 'unix'; path: string };

function logAddress(addr: string): Parsed<Address> {
  if (addr === 'stdout' || addr === 'fd@1') return { ok: true, value: { kind: 'stdout' } };
  if (addr === 'stderr' || addr === 'fd@2') return { ok: true, value: { kind: 'stderr' } };
  if (addr.startsWith('/')) return { ok: true, value: { kind: 'unix', path: addr } };
  if (addr.startsWith('unix@')) return { ok: true, value: { kind: 'unix', path: addr.slice(5) } };
  let rest = addr;
  for (const prefix of ['udp@', 'udp4@', 'udp6@', 'ipv4@', 'ipv6@']) if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  if (/^[a-z0-9]+@/.test(rest)) return { ok: false, error: `log address '${addr}': only udp, unix sockets, stdout and stderr are supported` };
  // IPv6 addresses may be bracketed; otherwise the last colon separates the port, as in HAProxy.
  let host = rest;
  let port = 514;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket !== null) {
    host = bracket[1] as string;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else {
    const colon = rest.lastIndexOf(':');
    const tail = rest.slice(colon + 1);
    if (colon !== -1 && /^\d+$/.test(tail) && (rest.indexOf(':') === colon || rest.slice(0, colon).includes(':'))) {
      host = rest.slice(0, colon);
      port = Number(tail);
    }
  }
  if (host === '') return { ok: false, error: `log address '${addr}' has no host` };
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `log address '${addr}': port out of range 1..65535` };
  return { ok: true, value: { kind: 'udp', host, port } };
}

function applyLog(ctx: LineContext, push: (t: LogTarget) => void): void {
  const parsed = parseLogTarget(ctx.args);
  if (!parsed.ok) return ctx.error(parsed.error);
  for (const w of parsed.warnings ?? []) ctx.warn(w);
  push(parsed.value);
}

/**
 * An explicit `log-format` wins over `option httplog|tcplog` of the same section whatever their
 * order (the seed config writes both); an option in a proxy does replace a format it inherited.
 */
function dropInheritedFormat(ctx: ProxyContext): void {
  if (ctx.proxy.logFormat?.inherited === true) ctx.proxy.logFormat = undefined;
}

export const globalKeywords: GlobalKeyword[] = [
  {
    name: 'log',
    parse: (ctx) => applyLog(ctx, (t) => ctx.global.config.logTargets.push(t)),
  },
  {
    name: 'log-send-hostname',
    parse(ctx) {
      if (ctx.args.length > 1) return ctx.error("'log-send-hostname' expects at most one hostname");
      ctx.global.config.logHostname = ctx.args[0] ?? os.hostname();
    },
  },
  { name: 'log-tag', parse: (ctx) => parseTag(ctx, (tag) => (ctx.global.config.logTag = tag)) },
];

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'log',
    sections: ALL_PROXIES,
    negatable: true,
    parse(ctx) {
      // `no log` disables logging for this proxy, including what defaults gave it.
      if (ctx.negated) {
        ctx.proxy.logs = [];
        return;
      }
      if (ctx.args[0] === 'global') {
        if (ctx.args.length > 1) return ctx.error("'log global' takes no other argument");
        ctx.proxy.logs.push('global');
        return;
      }
      applyLog(ctx, (t) => ctx.proxy.logs.push(t));
    },
  },
  { name: 'log-tag', sections: ALL_PROXIES, parse: (ctx) => parseTag(ctx, (tag) => (ctx.proxy.logTag = tag)) },
  {
    name: 'log-format',
    sections: FRONTEND_SIDE,
    parse(ctx) {
      if (ctx.args.length === 0) return ctx.error("'log-format' expects a format string");
      if (ctx.args.length > 1) return ctx.error("'log-format' expects only one argument, don't forget to escape spaces ('\\ ') or quote the format");
      const format = ctx.args[0] as string;
      for (const p of checkLogFormat(format)) ctx.warn(p);
      ctx.proxy.logFormat = { format, loc: ctx.loc };
      ctx.proxy.logOption = undefined;
    },
  },
  {
    name: 'option httplog',
    sections: FRONTEND_SIDE,
    negatable: true,
    parse(ctx) {
      if (ctx.negated) {
        ctx.proxy.logOption = undefined;
        return;
      }
      if (ctx.args.length > 1 || (ctx.args[0] !== undefined && ctx.args[0] !== 'clf')) return ctx.error("'option httplog' only accepts 'clf'");
      ctx.proxy.logOption = { kind: ctx.args[0] === 'clf' ? 'httplog-clf' : 'httplog', loc: ctx.loc };
      dropInheritedFormat(ctx);
    },
  },
  {
    name: 'option tcplog',
    sections: FRONTEND_SIDE,
    negatable: true,
    parse(ctx) {
      if (ctx.negated) {
        ctx.proxy.logOption = undefined;
        return;
      }
      ctx.proxy.logOption = { kind: 'tcplog', loc: ctx.loc };
      dropInheritedFormat(ctx);
    },
  },
  {
    name: 'option dontlognull',
    sections: FRONTEND_SIDE,
    negatable: true,
    parse(ctx) {
      ctx.proxy.dontLogNull = !ctx.negated;
    },
  },
];
