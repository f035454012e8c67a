// `option …` keywords that change how connections and headers are handled, plus health checks
// (`option httpchk`, `http-check`) and the options handoff accepts without implementing.
import type { ProxyDraft } from '../draft.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES, BACKEND_SIDE, FRONTEND_SIDE, ignored, refused, unsupported } from './types.ts';

function connectionMode(name: string, mode: ProxyDraft['httpConnectionMode']): ProxyKeyword {
  return {
    name: `option ${name}`,
    sections: ALL_PROXIES,
    negatable: true,
    parse(ctx) {
      if (ctx.args.length > 0) return ctx.error(`'option ${name}' takes no argument`);
      // `no option X` falls back to HAProxy's default mode, keep-alive.
      if (ctx.negated) {
        if (ctx.proxy.httpConnectionMode === mode) ctx.proxy.httpConnectionMode = 'keep-alive';
        return;
      }
      ctx.proxy.httpConnectionMode = mode;
    },
  };
}

function parseForwardFor(ctx: ProxyContext): void {
  if (ctx.negated) {
    ctx.proxy.forwardFor = false;
    delete ctx.proxy.forwardForHeader;
    return;
  }
  const args = ctx.args;
  let header: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w === 'header') {
      const v = args[i + 1];
      if (v === undefined || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) return ctx.error("'option forwardfor header' expects a header name");
      header = v;
      i++;
    } else if (w === 'except') {
      if (args[i + 1] === undefined) return ctx.error("'option forwardfor except' expects a network, e.g. 127.0.0.0/8");
      ctx.warn(`'option forwardfor except ${args[i + 1] ?? ''}' is not implemented: the header is added for every client`);
      i++;
    } else if (w === 'if-none') {
      ctx.warn("'option forwardfor if-none' is not implemented: the header is always added");
    } else {
      return ctx.error(`unexpected word '${w}' in 'option forwardfor' (expected except, header or if-none)`);
    }
  }
  ctx.proxy.forwardFor = true;
  if (header !== undefined && header.toLowerCase() !== 'x-forwarded-for') ctx.proxy.forwardForHeader = header;
  else delete ctx.proxy.forwardForHeader;
}

function parseHttpChk(ctx: ProxyContext): void {
  if (ctx.negated) {
    ctx.proxy.healthCheck = {};
    return;
  }
  const [a, b, ...rest] = ctx.args;
  // HAProxy: `option httpchk` → OPTIONS /; `option httpchk URI`; `option httpchk METHOD URI [VERSION]`.
  let method = 'OPTIONS';
  let path = '/';
  if (a !== undefined && b === undefined) path = a;
  else if (a !== undefined && b !== undefined) {
    method = a;
    path = b;
  }
  if (!/^[A-Z]+$/.test(method)) return ctx.error(`'option httpchk': invalid method '${method}'`);
  if (!path.startsWith('/') && path !== '*') return ctx.error(`'option httpchk': the URI must start with '/', got '${path}'`);
  if (rest.length > 0 && !/^HTTP\/1\.[01]/.test(rest[0] as string)) {
    return ctx.error(`'option httpchk': unexpected '${rest.join(' ')}' after the URI (an HTTP version such as HTTP/1.1 is expected)`);
  }
  if (rest.length > 0 && (rest[0] as string).includes('\r\n')) ctx.warn("'option httpchk': extra headers after the version are ignored");
  ctx.proxy.healthCheck = { http: { method, path } };
}

function parseHttpCheck(ctx: ProxyContext): void {
  const [action, ...rest] = ctx.args;
  if (action === 'expect') {
    // handoff's HTTP check passes on 2xx/3xx, like HAProxy without `http-check expect`.
    const ok = rest[0] === 'status' && rest[1] !== undefined && /^[23]\d\d$/.test(rest[1]) && rest.length === 2;
    if (!ok) ctx.warn(`'http-check expect ${rest.join(' ')}' is not supported: a check passes on any 2xx or 3xx status`);
    return;
  }
  if (action === 'disable-on-404' || action === 'send-state') {
    ctx.warn(`'http-check ${action}' is not supported, ignored`);
    return;
  }
  ctx.warn(`'http-check ${action ?? ''}' is not supported, ignored (use 'option httpchk METHOD URI')`);
}

export const proxyKeywords: ProxyKeyword[] = [
  connectionMode('http-keep-alive', 'keep-alive'),
  connectionMode('http-server-close', 'server-close'),
  connectionMode('httpclose', 'close'),
  connectionMode('forceclose', 'close'),
  unsupported('option http-tunnel', 'is obsolete; handoff processes every request (keep-alive mode)'),
  { name: 'option forwardfor', sections: ALL_PROXIES, negatable: true, parse: parseForwardFor },
  {
    name: 'option redispatch',
    sections: BACKEND_SIDE,
    negatable: true,
    parse(ctx) {
      const [interval, ...extra] = ctx.args;
      if ((interval !== undefined && !/^-?\d{1,6}$/.test(interval)) || extra.length > 0) {
        return ctx.error(`'option redispatch' accepts an optional retry interval only (an integer: 1 every retry, -1 the last), got '${ctx.args.join(' ')}'`);
      }
      ctx.proxy.redispatch = !ctx.negated;
      ctx.proxy.redispatchInterval = interval === undefined || ctx.negated ? -1 : Number(interval);
    },
  },
  { name: 'option httpchk', sections: BACKEND_SIDE, negatable: true, parse: parseHttpChk },
  { name: 'http-check', sections: BACKEND_SIDE, parse: parseHttpCheck },
  unsupported('option tcp-check', 'is accepted as a plain TCP connect check; tcp-check rules are not supported', BACKEND_SIDE),
  unsupported('tcp-check', 'is not supported: the TCP check only connects', BACKEND_SIDE),
  unsupported('option ssl-hello-chk', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  unsupported('option mysql-check', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  unsupported('option pgsql-check', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  unsupported('option redis-check', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  unsupported('option smtpchk', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  unsupported('option ldap-check', 'is not supported: a TCP connect check is used', BACKEND_SIDE),
  refused('option allbackups', 'balancing over every backup server'),
  unsupported('option http-buffer-request', 'is not supported: request bodies are streamed'),
  unsupported('option logasap', 'is ignored: requests are logged when they end'),
  refused('option transparent', 'transparent proxying'),
  refused('option originalto', 'the X-Original-To header'),
  unsupported('option abortonclose', 'is not supported: a request stays queued if the client goes away'),
  refused('option persist', 'persistence to a down server'),
  refused('option checkcache', 'blocking cacheable responses that set cookies'),
  refused('option accept-invalid-http-request', 'accepting invalid requests (handoff parses strictly)'),
  refused('option accept-invalid-http-response', 'accepting invalid responses (handoff parses strictly)'),
  unsupported('option http-ignore-probes', 'is ignored: empty connections are logged'),
  unsupported('option log-separate-errors', 'is ignored: errors are logged at the same level'),
  unsupported('option http-pretend-keepalive', 'is ignored: handoff keeps server connections alive by itself'),
  refused('option spop-check', 'SPOP health checks'),
  // Performance or kernel tuning: no observable effect in handoff.
  ignored('option splice-auto', ALL_PROXIES, true),
  ignored('option splice-request', ALL_PROXIES, true),
  ignored('option splice-response', ALL_PROXIES, true),
  ignored('option tcpka', ALL_PROXIES, true),
  ignored('option clitcpka', FRONTEND_SIDE, true),
  ignored('option srvtcpka', BACKEND_SIDE, true),
  ignored('option contstats', ALL_PROXIES, true),
  ignored('option socket-stats', ALL_PROXIES, true),
  ignored('option nolinger', ALL_PROXIES, true),
  ignored('option http-no-delay', ALL_PROXIES, true),
  ignored('option http-use-htx', ALL_PROXIES, true),
  ignored('option independent-streams', ALL_PROXIES, true),
  ignored('option log-health-checks', BACKEND_SIDE, true),
  ignored('option prefer-last-server', BACKEND_SIDE, true),
  ignored('option http-use-proxy-header', ALL_PROXIES, true),
  unsupported('option dontlog-normal', 'is not supported: successful requests are logged too', FRONTEND_SIDE),
  ignored('option http-restrict-req-hdr-names', ALL_PROXIES, true),
];
