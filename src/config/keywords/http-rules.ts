// The rule lists of a proxy: `http-request`, `http-response`, `http-after-response` (their
// actions are in http-actions.ts), `redirect`, and the pre-2.1 `reqadd` / `rspadd` / `reqdel`.
// Each line becomes one rule of its list, in declaration order.
import { parseContentTrack } from './stick.ts';
import { parseTrack } from './stick-actions.ts';
import type { Condition, HeaderRule, HttpRule } from '../model.ts';
import type { ProxyDraft } from '../draft.ts';
import type { SampleWhere } from '../sample.ts';
import { parseTemplate, templateProblem } from '../template.ts';
import { locateSampleFiles } from '../sample-files.ts';
import { parseAction, type RuleSide } from './http-actions.ts';
import { parseRedirect } from './redirect.ts';
import { parseTime } from '../units.ts';
import { ruleCondition } from './rule-condition.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { PROXIES_ONLY, FRONTEND_ONLY } from './types.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function withCond(rule: Omit<HeaderRule, 'cond'>, cond: Condition | undefined): HeaderRule {
  return cond === undefined ? rule : { ...rule, cond };
}

/** `add-header|set-header NAME FMT`: the value is a log-format template, checked for the rule's side. */
function headerRule(ctx: ProxyContext, action: 'add-header' | 'set-header', words: string[], cond: Condition | undefined, where: SampleWhere): HeaderRule | undefined {
  const [name, value, ...extra] = words;
  if (name === undefined || !TOKEN.test(name)) {
    ctx.error(`'${ctx.keyword} ${action}' expects a header name${name === undefined ? '' : `, got '${name}'`}`);
    return undefined;
  }
  if (value === undefined || extra.length > 0) {
    ctx.error(`'${ctx.keyword} ${action}' expects a name and one value; escape spaces in the value ('\\ ') or quote it`);
    return undefined;
  }
  const t = parseTemplate(value);
  if (!t.ok) {
    ctx.error(`'${ctx.keyword} ${action}': ${t.error}`);
    return undefined;
  }
  const problem = templateProblem(t.value, where);
  if (problem !== undefined) {
    ctx.error(`'${ctx.keyword} ${action}': ${problem}`);
    return undefined;
  }
  locateSampleFiles(t.value, ctx.loc);
  return withCond({ action, name, value: t.value, loc: ctx.loc }, cond);
}

/** The list a side's rules go to. */
function ruleList(p: ProxyDraft, side: RuleSide | 'response'): HttpRule[] {
  return side === 'request' ? p.httpRequest : side === 'response' ? p.httpResponse : p.httpAfterResponse;
}

function parseHttpRule(ctx: ProxyContext, side: RuleSide): void {
  const split = ruleCondition(ctx, ctx.args, side === 'request' ? 'request' : 'response');
  if (split === undefined) return;
  const [word, ...args] = split.head;
  if (word === undefined) return ctx.error(`'${ctx.keyword}' expects an action`);
  if (word === 'add-header' || word === 'set-header') {
    const rule = headerRule(ctx, word, args, split.cond, side === 'request' ? 'request' : 'response');
    if (rule !== undefined) ruleList(ctx.proxy, side).push(rule);
    return;
  }
  const parsed = parseAction({ rep: ctx, side, word, args, global: ctx.global, proxy: ctx.proxy });
  if (parsed === undefined) return;
  const rule = { ...parsed.action, loc: ctx.loc, ...(split.cond === undefined ? {} : { cond: split.cond }) } as HttpRule;
  ruleList(ctx.proxy, side).push(rule);
  if (parsed.pending !== undefined && 'reply' in rule) ctx.global.pendingReplies.push({ holder: rule, source: parsed.pending.source, loc: ctx.loc });
}

/** `reqadd "Name:\ value" [cond]`: split at the first colon, drop the space that follows it. */
function parseLegacyAdd(ctx: ProxyContext, side: 'request' | 'response'): void {
  const split = ruleCondition(ctx, ctx.args);
  if (split === undefined) return;
  const [line, ...extra] = split.head;
  if (line === undefined) return ctx.error(`'${ctx.keyword}' expects a header line such as 'X-Forwarded-Proto:\\ https'`);
  if (extra.length > 0) return ctx.error(`'${ctx.keyword}' expects one header line; escape its spaces with '\\ ' (found '${extra.join(' ')}' after it)`);
  const colon = line.indexOf(':');
  const name = colon === -1 ? '' : line.slice(0, colon).trim();
  if (!TOKEN.test(name)) return ctx.error(`'${ctx.keyword}' expects 'Name: value', got '${line}'`);
  const rule = withCond({ action: 'add-header', name, value: { parts: [line.slice(colon + 1).trimStart()] }, loc: ctx.loc }, split.cond);
  ruleList(ctx.proxy, side).push(rule);
}

/** `reqdel ^Name:` style rules map to del-header when the regex names one header exactly. */
function parseLegacyDel(ctx: ProxyContext, side: 'request' | 'response'): void {
  const split = ruleCondition(ctx, ctx.args);
  if (split === undefined) return;
  const m = /^\^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(\.\*)?$/.exec(split.head[0] ?? '');
  if (m === null || split.head.length !== 1) {
    ctx.warn(`'${ctx.keyword} ${split.head.join(' ')}' is not supported (only '^Name:' patterns), the rule is ignored`);
    return;
  }
  const rule = withCond({ action: 'del-header', name: m[1] as string, value: { parts: [''] }, loc: ctx.loc }, split.cond);
  ruleList(ctx.proxy, side).push(rule);
}

function legacyDeny(name: string): ProxyKeyword {
  return {
    name,
    sections: PROXIES_ONLY,
    parse: (ctx) => ctx.error(`'${name}' is not supported by handoff; refusing to run without the access control it expresses`),
  };
}

function legacyUnsupported(name: string): ProxyKeyword {
  return {
    name,
    sections: PROXIES_ONLY,
    parse: (ctx) => ctx.warn(`'${name}' (regex rewriting) is not supported by handoff, the rule is ignored; use http-request/http-response set-header`),
  };
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'http-request', sections: PROXIES_ONLY, strictSections: true, parse: (ctx) => parseHttpRule(ctx, 'request') },
  { name: 'http-response', sections: PROXIES_ONLY, strictSections: true, parse: (ctx) => parseHttpRule(ctx, 'response') },
  { name: 'http-after-response', sections: PROXIES_ONLY, strictSections: true, parse: (ctx) => parseHttpRule(ctx, 'after') },
  { name: 'reqadd', sections: PROXIES_ONLY, strictSections: true, parse: (ctx) => parseLegacyAdd(ctx, 'request') },
  { name: 'rspadd', sections: PROXIES_ONLY, strictSections: true, parse: (ctx) => parseLegacyAdd(ctx, 'response') },
  { name: 'reqdel', sections: PROXIES_ONLY, parse: (ctx) => parseLegacyDel(ctx, 'request') },
  { name: 'reqidel', sections: PROXIES_ONLY, parse: (ctx) => parseLegacyDel(ctx, 'request') },
  { name: 'rspdel', sections: PROXIES_ONLY, parse: (ctx) => parseLegacyDel(ctx, 'response') },
  { name: 'rspidel', sections: PROXIES_ONLY, parse: (ctx) => parseLegacyDel(ctx, 'response') },
  ...['reqrep', 'reqirep', 'rsprep', 'rspirep', 'reqallow', 'reqiallow', 'reqpass', 'reqipass', 'reqsetbe', 'reqisetbe'].map(legacyUnsupported),
  ...['reqdeny', 'reqideny', 'reqtarpit', 'reqitarpit', 'rspdeny', 'rspideny', 'block'].map(legacyDeny),
  {
    name: 'redirect',
    sections: PROXIES_ONLY,
    strictSections: true,
    parse(ctx) {
      const split = ruleCondition(ctx, ctx.args);
      if (split === undefined) return;
      const spec = parseRedirect(ctx, split.head, false, 'request');
      if (spec !== undefined) ctx.proxy.redirects.push({ ...spec, ...(split.cond === undefined ? {} : { cond: split.cond }), loc: ctx.loc });
    },
  },
  {
    name: 'tcp-request',
    sections: PROXIES_ONLY,
    parse(ctx) {
      // A backend has content rules only (HAProxy: connection and session rules are frontend ones).
      if (ctx.proxy.kind === 'backend' && ctx.args[0] !== 'content' && ctx.args[0] !== 'inspect-delay') {
        return ctx.warn(`'tcp-request ${ctx.args[0] ?? ''}' has no effect in a backend section (only in: frontend, listen), ignored`);
      }
      if (ctx.args[0] === 'connection' && ctx.args[1] === 'expect-proxy') return parseExpectProxy(ctx);
      if (ctx.args[0] === 'inspect-delay') return parseInspectDelay(ctx);
      if (ctx.args[0] === 'connection' && /^(accept|reject|track-sc[0-2])$/.test(ctx.args[1] ?? '')) return parseConnectionRule(ctx);
      if (ctx.args[0] === 'content' && (ctx.args[1] === 'accept' || ctx.args[1] === 'reject')) return parseContentRule(ctx, ctx.args[1]);
      if (ctx.args[0] === 'content' && /^track-sc[0-2]$/.test(ctx.args[1] ?? '')) return parseContentTrack(ctx);
      const track = ctx.args.find((w) => /^(track-sc\d|sc-)/.test(w));
      if (track !== undefined) return ctx.error(`'tcp-request ${ctx.args[0] ?? ''} ${track}' is not supported by handoff yet: stick counters are tracked by 'http-request ${track}' (http mode); refusing to run without them`);
      const deny = ctx.args.some((w) => w === 'reject' || w === 'silent-drop');
      if (deny) return ctx.error(`'tcp-request ${ctx.args.join(' ')}' is not supported by handoff; refusing to run without the access control it expresses`);
      unsupportedTcpRule(ctx, 'tcp-request');
    },
  },
  {
    name: 'tcp-response',
    sections: PROXIES_ONLY,
    parse: (ctx) => (ctx.args[0] === 'inspect-delay' ? ctx.warn("'tcp-response inspect-delay' has no effect without tcp-response content rules, which handoff does not run; ignored") : unsupportedTcpRule(ctx, 'tcp-response')),
  },
];

/** Actions whose absence only changes what is logged. */
const LOG_ONLY_TCP_ACTIONS = new Set(['capture', 'set-log-level']);

/** A tcp-request/tcp-response rule handoff does not run: ignored only when it could change
 * nothing but the logs; any other (set-var, set-src, switch-mode, set-mark, do-resolve, …)
 * changes traffic or what later rules see, and is refused. */
function unsupportedTcpRule(ctx: ProxyContext, keyword: 'tcp-request' | 'tcp-response'): void {
  const rule = ctx.args.slice(0, 2).join(' ');
  if (LOG_ONLY_TCP_ACTIONS.has(ctx.args[1] ?? '')) return ctx.warn(`'${keyword} ${rule}' is not implemented by handoff and only changes logs; ignored`);
  ctx.error(`'${keyword} ${rule}' is not supported by handoff; refusing to run without what it does to the traffic`);
}

/** `tcp-request connection expect-proxy layer4 [if|unless COND]`: read a PROXY header first on
 * the connections the condition matches (it sees the socket's addresses, not yet a header's). */
function parseExpectProxy(ctx: ProxyContext): void {
  const split = ruleCondition(ctx, ctx.args.slice(2), 'tcp');
  if (split === undefined) return;
  if (split.head.length !== 1 || split.head[0] !== 'layer4') {
    return ctx.error(`'tcp-request connection expect-proxy' expects 'layer4' (and an optional 'if'/'unless' condition), got '${split.head.join(' ')}'`);
  }
  (ctx.proxy.expectProxy ??= []).push({ ...(split.cond === undefined ? {} : { cond: split.cond }), loc: ctx.loc });
}

/** `tcp-request connection accept|reject|track-scN KEY [table T] [if|unless COND]`: run as a
 * connection is accepted, on what the socket shows (src/worker/conn-rules.ts). */
function parseConnectionRule(ctx: ProxyContext): void {
  const split = ruleCondition(ctx, ctx.args.slice(2), 'tcp');
  const word = ctx.args[1] ?? '';
  if (split === undefined) return;
  const cond = split.cond === undefined ? {} : { cond: split.cond };
  if (word === 'accept' || word === 'reject') {
    if (split.head.length > 0) return ctx.error(`'tcp-request connection ${word}' expects an optional 'if'/'unless' condition, got '${split.head.join(' ')}'`);
    (ctx.proxy.tcpConnection ??= []).push({ action: word, ...cond, loc: ctx.loc });
    return;
  }
  const action = parseTrack(ctx, word, split.head, ctx.proxy.name, 'tcp');
  if (action?.action === 'track-sc') (ctx.proxy.tcpConnection ??= []).push({ ...action, ...cond, loc: ctx.loc });
}

/** `tcp-request inspect-delay T`: the longest `tcp-request content` rules wait for the client's bytes. */
function parseInspectDelay(ctx: ProxyContext): void {
  const t = parseTime(ctx.args[1]);
  if (!t.ok || ctx.args.length !== 2) return ctx.error(`'tcp-request inspect-delay' expects one time, e.g. '5s'${t.ok ? '' : `: ${t.error}`}`);
  ctx.proxy.inspectDelay = t.value;
}

/** `tcp-request content accept|reject [if|unless COND]`: evaluated as the client's bytes arrive. */
function parseContentRule(ctx: ProxyContext, action: 'accept' | 'reject'): void {
  const split = ruleCondition(ctx, ctx.args.slice(2), ctx.proxy.mode === 'http' ? 'request' : 'tcp');
  if (split === undefined) return;
  if (split.head.length > 0) return ctx.error(`'tcp-request content ${action}' expects an optional 'if'/'unless' condition, got '${split.head.join(' ')}'`);
  (ctx.proxy.tcpContent ??= []).push({ action, ...(split.cond === undefined ? {} : { cond: split.cond }), loc: ctx.loc });
}
