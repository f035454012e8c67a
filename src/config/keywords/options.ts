// `option …` keywords that change how connections and headers are handled, and the options handoff
// accepts without implementing. Health-check options are in check-options.ts.
import type { ProxyDraft } from '../draft.ts';
import type { ForwardForOptions } from '../model.ts';
import { parseIpPattern } from '../patterns.ts';
import type { Parsed } from '../units.ts';
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

/** `option forwardfor [except NET] [header NAME] [if-none]` (the options of the last line). */
function parseForwardFor(ctx: ProxyContext): void {
  if (ctx.negated) {
    ctx.proxy.forwardFor = false;
    delete ctx.proxy.forwardForHeader;
    delete ctx.proxy.forwardForOptions;
    return;
  }
  const args = ctx.args;
  let header: string | undefined;
  const opts: ForwardForOptions = {};
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w === 'header') {
      const v = args[i + 1];
      if (v === undefined || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) return ctx.error("'option forwardfor header' expects a header name");
      header = v;
      i++;
    } else if (w === 'except') {
      const net = exceptNetwork(args[i + 1]);
      if (!net.ok) return ctx.error(`'option forwardfor except' ${net.error}`);
      opts.except = net.value;
      i++;
    } else if (w === 'if-none') {
      opts.ifNone = true;
    } else {
      return ctx.error(`unexpected word '${w}' in 'option forwardfor' (expected except, header or if-none)`);
    }
  }
  ctx.proxy.forwardFor = true;
  if (header !== undefined && header.toLowerCase() !== 'x-forwarded-for') ctx.proxy.forwardForHeader = header;
  else delete ctx.proxy.forwardForHeader;
  if (opts.except !== undefined || opts.ifNone === true) ctx.proxy.forwardForOptions = opts;
  else delete ctx.proxy.forwardForOptions;
}

/** `except`'s network: an IPv4 address with an optional `/bits` or dotted mask, or an IPv6 one with `/bits`. */
function exceptNetwork(text: string | undefined): Parsed<NonNullable<ForwardForOptions['except']>> {
  if (text === undefined) return { ok: false, error: 'expects a network, e.g. 127.0.0.0/8' };
  const net = parseIpPattern(text);
  if (!net.ok) return { ok: false, error: `expects a network, e.g. 127.0.0.0/8, got '${text}'` };
  const { v6, words, bits } = net.value;
  const address = v6 ? words.map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':') : [24, 16, 8, 0].map((s) => ((words[0] as number) >>> s) & 255).join('.');
  return { ok: true, value: { address, prefix: bits, family: v6 ? 'ipv6' : 'ipv4' } };
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
  refused('option allbackups', 'balancing over every backup server'),
  unsupported('option http-buffer-request', 'is not supported: request bodies are streamed'),
  unsupported('option logasap', 'is ignored: requests are logged when they end'),
  refused('option transparent', 'transparent proxying'),
  refused('option originalto', 'the X-Original-To header'),
  // HAProxy 2.6 drops a queued request on a client close with or without it, and serves a
  // complete request whose client only shut its side even with it: handoff does both already.
  ignored('option abortonclose', BACKEND_SIDE, true),
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
