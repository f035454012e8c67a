// Header rules and redirects: `http-request|http-response add-header|set-header|del-header`,
// `http-request redirect`, `redirect`, and the pre-2.1 `reqadd` / `rspadd`. Access-control
// actions handoff cannot enforce (deny, auth, tarpit…) are errors: ignoring them would open
// what the configuration closes.
import { splitCondition } from '../condition.ts';
import type { Condition, HeaderRule, Redirect } from '../model.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { PROXIES_ONLY, FRONTEND_ONLY } from './types.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REDIRECT_CODES = [301, 302, 303, 307, 308];
const ACCESS_CONTROL = new Set(['deny', 'tarpit', 'reject', 'auth', 'silent-drop']);

function withCond(rule: Omit<HeaderRule, 'cond'>, cond: Condition | undefined): HeaderRule {
  return cond === undefined ? rule : { ...rule, cond };
}

function headerRule(ctx: ProxyContext, action: HeaderRule['action'], words: string[], cond: Condition | undefined): HeaderRule | undefined {
  const [name, value, ...extra] = words;
  if (name === undefined || !TOKEN.test(name)) {
    ctx.error(`'${ctx.keyword} ${action}' expects a header name${name === undefined ? '' : `, got '${name}'`}`);
    return undefined;
  }
  if (action === 'del-header') {
    // `-m str|beg|…` selects how the name matches; only exact names are supported.
    if (value === '-m' && extra[0] === 'str' && extra.length === 1) return withCond({ action, name, value: '', loc: ctx.loc }, cond);
    if (value !== undefined) {
      ctx.error(`'${ctx.keyword} del-header' expects only a header name (and an optional condition)`);
      return undefined;
    }
    return withCond({ action, name, value: '', loc: ctx.loc }, cond);
  }
  if (value === undefined || extra.length > 0) {
    ctx.error(`'${ctx.keyword} ${action}' expects a name and one value; escape spaces in the value ('\\ ') or quote it`);
    return undefined;
  }
  if (value.includes('%[')) ctx.warn(`'${ctx.keyword} ${action}': sample expressions in '${value}' are not expanded; the value is sent as written`);
  return withCond({ action, name, value, loc: ctx.loc }, cond);
}

/** `scheme|location|prefix TARGET [code N] [option…]`, shared by `redirect` and `http-request redirect`. */
function parseRedirect(ctx: ProxyContext, words: string[], cond: Condition | undefined): Redirect | undefined {
  const [kind, target, ...opts] = words;
  if (kind !== 'scheme' && kind !== 'location' && kind !== 'prefix') {
    ctx.error(`'redirect' expects scheme, location or prefix, got '${kind ?? ''}'`);
    return undefined;
  }
  if (target === undefined) {
    ctx.error(`'redirect ${kind}' expects a target`);
    return undefined;
  }
  let code = 302;
  for (let i = 0; i < opts.length; i++) {
    const w = opts[i] as string;
    if (w === 'code') {
      const c = Number(opts[i + 1]);
      if (!REDIRECT_CODES.includes(c)) {
        ctx.error(`redirect code must be one of ${REDIRECT_CODES.join(', ')}, got '${opts[i + 1] ?? ''}'`);
        return undefined;
      }
      code = c;
      i++;
    } else if (w === 'drop-query' || w === 'append-slash' || w === 'ignore-empty' || w === 'keep-query') {
      ctx.warn(`redirect option '${w}' is not supported, ignored`);
    } else if (w === 'set-cookie' || w === 'clear-cookie') {
      i++;
      ctx.warn(`redirect option '${w}' is not supported, ignored`);
    } else {
      ctx.error(`unexpected word '${w}' in redirect rule (expected code, or if/unless)`);
      return undefined;
    }
  }
  if (target.includes('%[')) ctx.warn(`redirect target '${target}': sample expressions are not expanded`);
  const base: Redirect = kind === 'scheme' ? { kind, scheme: target, code, loc: ctx.loc } : { kind, target, code, loc: ctx.loc };
  return cond === undefined ? base : { ...base, cond };
}

function condOf(ctx: ProxyContext, words: readonly string[]): { head: string[]; cond?: Condition } | undefined {
  const r = splitCondition(words, ctx.proxy.acls);
  if (!r.ok) {
    ctx.error(r.error);
    return undefined;
  }
  return r.value;
}

function parseHttpRule(ctx: ProxyContext, side: 'request' | 'response'): void {
  const split = condOf(ctx, ctx.args);
  if (split === undefined) return;
  const [action, ...rest] = split.head;
  if (action === undefined) return ctx.error(`'${ctx.keyword}' expects an action`);
  if (action === 'add-header' || action === 'set-header' || action === 'del-header') {
    const rule = headerRule(ctx, action, rest, split.cond);
    if (rule !== undefined) (side === 'request' ? ctx.proxy.requestRules : ctx.proxy.responseRules).push(rule);
    return;
  }
  if (action === 'redirect' && side === 'request') {
    const r = parseRedirect(ctx, rest, split.cond);
    if (r !== undefined) ctx.proxy.redirects.push(r);
    return;
  }
  if (ACCESS_CONTROL.has(action)) {
    return ctx.error(`'${ctx.keyword} ${action}' is not supported by handoff; refusing to run without the access control it expresses`);
  }
  ctx.warn(`'${ctx.keyword} ${action}' is not supported by handoff, the rule is ignored (supported: add-header, set-header, del-header${side === 'request' ? ', redirect' : ''})`);
}

/** `reqadd "Name:\ value" [cond]`: split at the first colon, drop the space that follows it. */
function parseLegacyAdd(ctx: ProxyContext, side: 'request' | 'response'): void {
  const split = condOf(ctx, ctx.args);
  if (split === undefined) return;
  const [line, ...extra] = split.head;
  if (line === undefined) return ctx.error(`'${ctx.keyword}' expects a header line such as 'X-Forwarded-Proto:\\ https'`);
  if (extra.length > 0) return ctx.error(`'${ctx.keyword}' expects one header line; escape its spaces with '\\ ' (found '${extra.join(' ')}' after it)`);
  const colon = line.indexOf(':');
  const name = colon === -1 ? '' : line.slice(0, colon).trim();
  if (!TOKEN.test(name)) return ctx.error(`'${ctx.keyword}' expects 'Name: value', got '${line}'`);
  const rule = withCond({ action: 'add-header', name, value: line.slice(colon + 1).trimStart(), loc: ctx.loc }, split.cond);
  (side === 'request' ? ctx.proxy.requestRules : ctx.proxy.responseRules).push(rule);
}

/** `reqdel ^Name:` style rules map to del-header when the regex names one header exactly. */
function parseLegacyDel(ctx: ProxyContext, side: 'request' | 'response'): void {
  const split = condOf(ctx, ctx.args);
  if (split === undefined) return;
  const m = /^\^([!#$%&'*+.^_`|~0-9A-Za-z-]+):(\.\*)?$/.exec(split.head[0] ?? '');
  if (m === null || split.head.length !== 1) {
    ctx.warn(`'${ctx.keyword} ${split.head.join(' ')}' is not supported (only '^Name:' patterns), the rule is ignored`);
    return;
  }
  const rule = withCond({ action: 'del-header', name: m[1] as string, value: '', loc: ctx.loc }, split.cond);
  (side === 'request' ? ctx.proxy.requestRules : ctx.proxy.responseRules).push(rule);
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
      const split = condOf(ctx, ctx.args);
      if (split === undefined) return;
      const r = parseRedirect(ctx, split.head, split.cond);
      if (r !== undefined) ctx.proxy.redirects.push(r);
    },
  },
  {
    name: 'tcp-request',
    sections: FRONTEND_ONLY,
    parse(ctx) {
      const deny = ctx.args.some((w) => w === 'reject' || w === 'silent-drop');
      if (deny) return ctx.error(`'tcp-request ${ctx.args.join(' ')}' is not supported by handoff; refusing to run without the access control it expresses`);
      ctx.warn(`'tcp-request ${ctx.args[0] ?? ''}' is not supported by handoff, ignored`);
    },
  },
  {
    name: 'tcp-response',
    sections: PROXIES_ONLY,
    parse: (ctx) => ctx.warn(`'tcp-response ${ctx.args[0] ?? ''}' is not supported by handoff, ignored`),
  },
];
