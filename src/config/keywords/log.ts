// Logging keywords: `log` targets (global and per proxy), `log-format`, `option httplog|tcplog`,
// `option dontlognull`. Formats are resolved per frontend in build.ts.
import type { LogTarget } from '../model.ts';
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

/** Parse `ADDR [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]`. */
export function parseLogTarget(args: readonly string[]): Parsed<LogTarget> & { warnings?: string[] } {
  const [addr, ...rest] = args;
  if (addr === undefined) return { ok: false, error: "'log' expects an address and a facility, e.g. 'log 127.0.0.1 local0'" };
  const warnings: string[] = [];
  let i = 0;
  while (i < rest.length && (rest[i] === 'len' || rest[i] === 'format' || rest[i] === 'sample' || rest[i] === 'profile')) {
    const opt = rest[i] as string;
    const value = rest[i + 1];
    if (value === undefined) return { ok: false, error: `'log … ${opt}' expects a value` };
    if (opt === 'len') {
      const n = parseInteger(value, 80, 65535);
      if (!n.ok) return { ok: false, error: `'log … len': ${n.error}` };
      warnings.push("'log … len' is ignored: handoff does not truncate log lines");
    } else if (opt === 'format' && value !== 'rfc3164' && !(value === 'raw' && /^(stdout|stderr|fd@[12])$/.test(addr))) {
      warnings.push(`'log … format ${value}' is ignored: handoff writes RFC 3164 lines to syslog and raw lines to stdout/stderr`);
    } else if (opt === 'sample' || opt === 'profile') {
      warnings.push(`'log … ${opt}' is ignored: handoff logs every request`);
    }
    i += 2;
  }
  const facility = rest[i];
  if (facility === undefined) return { ok: false, error: `'log ${addr}' expects a syslog facility (e.g. local0)` };
  if (!FACILITIES.has(facility)) return { ok: false, error: `unknown log facility '${facility}'` };
  const level = rest[i + 1];
  if (level !== undefined && !LEVELS.has(level)) return { ok: false, error: `unknown log level '${level}'` };
  const minLevel = rest[i + 2];
  if (minLevel !== undefined && !LEVELS.has(minLevel)) return { ok: false, error: `unknown log minimum level '${minLevel}'` };
  if (rest.length > i + 3) return { ok: false, error: `unexpected word '${rest[i + 3] ?? ''}' after the log level` };
  const lvl = level === undefined ? {} : { level };
  const target = logAddress(addr);
  if (!target.ok) return target;
  return { ok: true, value: { ...target.value, facility, ...lvl } as LogTarget, warnings };
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
  { name: 'log-send-hostname', parse() {} },
  { name: 'log-tag', parse() {} },
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
