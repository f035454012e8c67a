// The statistics page of a proxy (`stats enable|uri|realm|auth|refresh|admin|scope|hide-version|show-…`).
// As in HAProxy, every one of them but `disable` also enables it.
import { oneArg } from './args.ts';
import { parseTime } from '../units.ts';
import { ruleCondition } from './rule-condition.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES } from './types.ts';

export const DEFAULT_STATS_URI = '/haproxy?stats';
export const DEFAULT_STATS_REALM = 'HAProxy Statistics';

function enable(ctx: ProxyContext): void {
  ctx.proxy.stats.enabled = true;
  ctx.proxy.stats.loc ??= ctx.loc;
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
    const v = oneArg(ctx);
    if (v === undefined) return;
    if (!v.startsWith('/')) return ctx.error(`'stats uri' must start with '/', got '${v}'`);
    ctx.proxy.stats.uri = v;
    enable(ctx);
  }),
  stats('realm', (ctx) => {
    const v = oneArg(ctx);
    if (v === undefined) return;
    ctx.proxy.stats.realm = v;
    enable(ctx);
  }),
  stats('auth', (ctx) => {
    const v = oneArg(ctx);
    if (v === undefined) return;
    const colon = v.indexOf(':');
    if (colon <= 0) return ctx.error(`'stats auth' expects USER:PASSWORD, got '${v}'`);
    ctx.proxy.stats.auth.push({ user: v.slice(0, colon), password: v.slice(colon + 1) });
    enable(ctx);
  }),
  stats('refresh', (ctx) => {
    const v = oneArg(ctx);
    if (v === undefined) return;
    const t = parseTime(v);
    if (!t.ok) return ctx.error(`'stats refresh': ${t.error}`);
    ctx.proxy.stats.refresh = t.value;
    enable(ctx);
  }),
  stats('hide-version', (ctx) => {
    ctx.proxy.stats.hideVersion = true;
    enable(ctx);
  }),
  stats('show-legends', (ctx) => {
    ctx.proxy.stats.showLegends = true;
    enable(ctx);
  }),
  stats('show-node', (ctx) => {
    const name = ctx.args[0] ?? '';
    if (ctx.args.length > 1 || (name !== '' && !/^[A-Za-z0-9_.-]+$/.test(name))) {
      return ctx.error("'stats show-node' invalid node name - should be a string with digits(0-9), letters(A-Z, a-z), hyphen(-) or underscode(_)");
    }
    ctx.proxy.stats.showNode = name;
    enable(ctx);
  }),
  stats('show-desc', (ctx) => {
    // HAProxy falls back on the global `description`, which handoff ignores: without a text, nothing to show.
    if (ctx.args.length === 0) return ctx.warn("'show-desc' requires a parameter or 'desc' to be set in the global section");
    ctx.proxy.stats.showDesc = ctx.args.join(' ');
    enable(ctx);
  }),
  {
    name: 'stats show-modules',
    sections: ALL_PROXIES,
    status: { kind: 'warned', why: 'is ignored: handoff has no extra stats modules to show' },
    parse: (ctx) => ctx.warn("'stats show-modules' is ignored: handoff has no extra stats modules to show"),
  },
  stats('admin', (ctx) => {
    if (ctx.proxy.kind === 'defaults') return ctx.error("'stats admin' not allowed in 'defaults' section");
    if (ctx.args[0] !== 'if' && ctx.args[0] !== 'unless') return ctx.error("'stats admin' requires either 'if' or 'unless' followed by a condition");
    const split = ruleCondition(ctx, ctx.args);
    if (split === undefined) return;
    if (split.cond === undefined) return ctx.error("'stats admin' requires either 'if' or 'unless' followed by a condition");
    (ctx.proxy.stats.admin ??= []).push(split.cond);
    enable(ctx);
  }),
  stats('scope', (ctx) => {
    const v = ctx.args[0];
    if (v === undefined || v === '') return ctx.error("'stats scope' needs a proxy name");
    if (ctx.args.length > 1) return ctx.error(`'stats scope' expects one proxy name per line, got '${ctx.args.join(' ')}'`);
    (ctx.proxy.stats.scope ??= []).push(v);
    enable(ctx);
  }),
  stats('http-request', (ctx) => {
    ctx.error("'stats http-request' is not supported by handoff: refusing to run without the access control it expresses; use 'stats auth'");
  }),
];
