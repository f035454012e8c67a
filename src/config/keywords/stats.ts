// The statistics page of a proxy (`stats enable|uri|realm|auth|refresh…`). As in HAProxy, any of
// uri/realm/auth/refresh also enables it.
import { parseTime } from '../units.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES } from './types.ts';

export const DEFAULT_STATS_URI = '/haproxy?stats';
export const DEFAULT_STATS_REALM = 'HAProxy Statistics';

function enable(ctx: ProxyContext): void {
  ctx.proxy.stats.enabled = true;
  ctx.proxy.stats.loc ??= ctx.loc;
}

function one(ctx: ProxyContext): string | undefined {
  if (ctx.args.length !== 1) {
    ctx.error(`'${ctx.keyword}' expects exactly one argument (escape spaces with '\\ ' or quote)`);
    return undefined;
  }
  return ctx.args[0];
}

function stats(name: string, parse: (ctx: ProxyContext) => void): ProxyKeyword {
  return { name: `stats ${name}`, sections: ALL_PROXIES, parse };
}

export const proxyKeywords: ProxyKeyword[] = [
  stats('enable', (ctx) => {
    if (ctx.args.length > 0) return ctx.error("'stats enable' takes no argument");
    enable(ctx);
  }),
  stats('disable', (ctx) => {
    ctx.proxy.stats.enabled = false;
  }),
  stats('uri', (ctx) => {
    const v = one(ctx);
    if (v === undefined) return;
    if (!v.startsWith('/')) return ctx.error(`'stats uri' must start with '/', got '${v}'`);
    ctx.proxy.stats.uri = v;
    enable(ctx);
  }),
  stats('realm', (ctx) => {
    const v = one(ctx);
    if (v === undefined) return;
    ctx.proxy.stats.realm = v;
    enable(ctx);
  }),
  stats('auth', (ctx) => {
    const v = one(ctx);
    if (v === undefined) return;
    const colon = v.indexOf(':');
    if (colon <= 0) return ctx.error(`'stats auth' expects USER:PASSWORD, got '${v}'`);
    ctx.proxy.stats.auth.push({ user: v.slice(0, colon), password: v.slice(colon + 1) });
    enable(ctx);
  }),
  stats('refresh', (ctx) => {
    const v = one(ctx);
    if (v === undefined) return;
    const t = parseTime(v);
    if (!t.ok) return ctx.error(`'stats refresh': ${t.error}`);
    ctx.proxy.stats.refresh = t.value;
    enable(ctx);
  }),
  stats('hide-version', () => {}),
  stats('show-legends', () => {}),
  stats('show-desc', () => {}),
  stats('show-node', () => {}),
  stats('show-modules', () => {}),
  stats('admin', (ctx) => {
    ctx.warn("'stats admin' is not supported: the stats page is read-only; use the admin socket ('handoff ctl')");
  }),
  stats('scope', (ctx) => {
    ctx.error("'stats scope' is not supported by handoff: the stats page would list every proxy, not only this one");
  }),
  stats('http-request', (ctx) => {
    ctx.error("'stats http-request' is not supported by handoff: refusing to run without the access control it expresses; use 'stats auth'");
  }),
];
