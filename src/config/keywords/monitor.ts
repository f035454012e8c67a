// `monitor-uri URI` and `monitor fail if|unless COND` (configuration.txt 4.2): a URI the frontend
// answers itself, before any http-request rule — 200, or 503 when a `monitor fail` condition holds.
import { ruleCondition } from './rule-condition.ts';
import type { ProxyKeyword } from './types.ts';
import { FRONTEND_ONLY, FRONTEND_SIDE } from './types.ts';

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'monitor-uri',
    sections: FRONTEND_SIDE,
    parse(ctx) {
      const [uri, ...extra] = ctx.args;
      if (uri === undefined || uri === '' || extra.length > 0) return ctx.error("'monitor-uri' expects one URI, e.g. 'monitor-uri /healthz'");
      ctx.proxy.monitor = { uri, fail: ctx.proxy.monitor?.fail ?? [] };
    },
  },
  {
    name: 'monitor fail',
    sections: FRONTEND_ONLY,
    strictSections: true,
    parse(ctx) {
      const split = ruleCondition(ctx, ctx.args);
      if (split === undefined) return;
      const cond = split.cond;
      if (cond === undefined || split.head.length > 0) return ctx.error("'monitor fail' expects 'if' or 'unless' followed by a condition");
      const m = (ctx.proxy.monitor ??= { fail: [] });
      m.fail.push(cond);
    },
  },
  {
    name: 'monitor',
    sections: FRONTEND_ONLY,
    strictSections: true,
    parse: (ctx) => ctx.error(`'monitor' expects 'fail if|unless COND', got 'monitor ${ctx.args.join(' ')}'`),
  },
];
