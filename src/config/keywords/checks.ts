// `http-check` and `tcp-check`: the steps of a backend's health-check ruleset, kept as HAProxy
// keeps them — a section's first such line starts its own list (the defaults' is no longer used),
// `http-check` rules must follow connect → send → expect, and `option httpchk`'s request is merged
// into the first `http-check send`. validate.ts resolves the lists (health-resolve.ts).
import type { CheckRuleDraft, CheckRulesDraft, HttpSendDraft } from '../draft.ts';
import type { CheckConnect, Location } from '../model.ts';
import type { Parsed } from '../units.ts';
import { literalFormat, parseExpect, parseHex, textHex, type CheckFamily } from './check-expect.ts';
import { parseServerAddress } from './server.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_SIDE } from './types.ts';

/** The section's own rule list: the first line of a section replaces the inherited one. */
export function ownRules(list: CheckRulesDraft, loc: Location): CheckRuleDraft[] {
  if (!list.own) {
    list.rules = [];
    list.own = true;
    list.loc = loc;
  }
  return list.rules;
}

const real = (r: CheckRuleDraft): boolean => r.action !== 'comment';

/** `[default] [port N] [addr A] [linger] [comment C] …` of a connect rule. */
export function parseConnect(family: CheckFamily, args: readonly string[]): Parsed<{ rule: CheckConnect; warnings: string[] }> {
  const rule: CheckConnect = { action: 'connect' };
  const warnings: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    const v = args[i + 1];
    const needs = (what: string): Parsed<never> => ({ ok: false, error: `'${w}' expects ${what} as argument` });
    switch (w) {
      case 'default':
      case 'linger':
        break;
      case 'port': {
        if (v === undefined) return needs('a port number');
        if (!/^\d+$/.test(v)) return { ok: false, error: `'port ${v}': port expressions (sample fetches) are not supported by handoff; give a number` };
        const port = Number(v);
        if (port < 1 || port > 65535) return { ok: false, error: `expects a valid TCP port (from range 1 to 65535), got ${v}` };
        rule.port = port;
        i++;
        break;
      }
      case 'addr': {
        if (v === undefined) return needs('<ipv4|ipv6>');
        const a = parseServerAddress(v);
        if (!a.ok) return { ok: false, error: `'addr': ${a.error}` };
        rule.addr = a.value.host;
        if (a.value.port !== undefined && rule.port === undefined) rule.port = a.value.port;
        i++;
        break;
      }
      case 'comment':
        if (v === undefined) return needs('a string');
        rule.comment = v;
        i++;
        break;
      case 'proto': {
        if (v === undefined) return needs('a MUX protocol');
        const plain = family === 'http-check' ? 'h1' : 'none';
        if (v !== plain) return { ok: false, error: `'proto ${v}' is not supported by handoff: checks use ${family === 'http-check' ? 'HTTP/1.x' : 'a plain TCP stream'}` };
        i++;
        break;
      }
      case 'sni':
      case 'alpn':
        if (v === undefined) return needs('a string');
        warnings.push(`'${w} ${v}' has no effect without 'ssl'`);
        i++;
        break;
      case 'ssl':
        return { ok: false, error: `'${family} connect ssl' is not supported by handoff yet: TLS health checks` };
      case 'send-proxy':
        rule.sendProxy = true;
        break;
      case 'via-socks4':
        return { ok: false, error: `'${family} connect via-socks4' is not supported by handoff: SOCKS4 health checks` };
      default:
        return { ok: false, error: `expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn', 'via-socks4', 'linger' or 'default' but got '${w}' as argument` };
    }
  }
  return { ok: true, value: { rule, warnings } };
}

/** HAProxy: once a ruleset has a connect, it must be its first step (comments aside). */
function connectFirst(rules: readonly CheckRuleDraft[], family: CheckFamily): string | undefined {
  for (const r of rules) {
    if (r.action === 'connect') return undefined;
    if (r.action === 'comment' || (r.action === 'http-send' && r.fromOption)) continue;
    return `'${family} connect': first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the ${family} ruleset`;
  }
  return undefined;
}

/** Overwrite `old`'s request with what `next` sets (HAProxy's merge: the headers are replaced). */
export function mergeSend(old: HttpSendDraft, next: HttpSendDraft): HttpSendDraft {
  return {
    ...old,
    ...(next.method !== undefined ? { method: next.method } : {}),
    ...(next.uri !== undefined ? { uri: next.uri } : {}),
    ...(next.version !== undefined ? { version: next.version } : {}),
    ...(next.body !== undefined ? { body: next.body } : {}),
    headers: next.headers,
  };
}

/** Add an explicit `http-check` rule with HAProxy's order checks; an error message or undefined. */
function addHttpRule(rules: CheckRuleDraft[], rule: CheckRuleDraft): string | undefined {
  const last = rules.filter(real).at(-1);
  const step = rules.filter((r) => !(r.action === 'http-send' && r.fromOption)).length + 1;
  if (last !== undefined && !(last.action === 'http-send' && last.fromOption)) {
    if (rule.action === 'http-send' && last.action !== 'connect') return `unable to add http-check send rule at step ${step} (missing connect rule)`;
    if (rule.action === 'expect' && last.action !== 'http-send' && last.action !== 'expect') return `unable to add http-check expect rule at step ${step} (missing send rule)`;
    if (rule.action === 'connect' && last.action !== 'expect') return `unable to add http-check connect rule at step ${step} (missing expect rule)`;
  }
  if (rule.action === 'http-send') {
    const first = rules.find(real);
    if (first !== undefined && first.action === 'http-send' && first.fromOption) {
      rules.splice(rules.indexOf(first), 1);
      rules.push({ ...mergeSend(first, rule), fromOption: false });
      return undefined;
    }
  }
  rules.push(rule);
  return undefined;
}

/** `option httpchk`'s request: merged into an explicit first send, else the first step. */
export function addOptionRequest(rules: CheckRuleDraft[], send: HttpSendDraft): void {
  const realRules = rules.filter(real);
  let r = realRules[0];
  if (r?.action === 'connect') r = realRules[1];
  if (r === undefined || r.action !== 'http-send') rules.unshift(send);
  else if (r.fromOption) rules.splice(rules.indexOf(r), 1, send);
  else rules.splice(rules.indexOf(r), 1, { ...mergeSend(r, send), fromOption: false });
}

/** A header value of a check request: HAProxy reads it as log-format; literal text only here. */
export function headerValue(name: string, value: string): Parsed<string> {
  const text = literalFormat(value);
  if (text === undefined) return { ok: false, error: `header '${name}: ${value}': log-format variables in health-check requests are not supported by handoff` };
  return { ok: true, value: text };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `http-check send [meth M] [uri U] [ver V] [hdr N V]* [body B] [comment C]`. */
function parseHttpSend(args: readonly string[]): Parsed<HttpSendDraft> {
  const send: HttpSendDraft = { action: 'http-send', headers: [], fromOption: false };
  for (let i = 0; i < args.length; i += 2) {
    const w = args[i] as string;
    const v = args[i + 1];
    if (['uri-lf', 'body-lf'].includes(w)) return { ok: false, error: `'http-check send ${w}' is not supported by handoff: log-format requests` };
    if (!['meth', 'uri', 'ver', 'hdr', 'body', 'comment'].includes(w)) {
      return { ok: false, error: `'http-check send' expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '${w}' as argument` };
    }
    if (v === undefined) return { ok: false, error: `'${w}' expects a value` };
    if (w === 'meth') {
      if (!TOKEN.test(v)) return { ok: false, error: `'meth': invalid method '${v}'` };
      send.method = v;
    } else if (w === 'uri') send.uri = v;
    else if (w === 'ver') {
      if (!/^HTTP\/1\.[01]$/.test(v)) return { ok: false, error: `'ver ${v}': handoff's checks speak HTTP/1.0 or HTTP/1.1` };
      send.version = v;
    } else if (w === 'body') send.body = v;
    else if (w === 'comment') send.comment = v;
    else {
      const value = args[i + 2];
      if (!TOKEN.test(v) || value === undefined) return { ok: false, error: `'hdr' expects a header name and a value` };
      const text = headerValue(v, value);
      if (!text.ok) return text;
      // HAProxy computes these itself and ignores configured ones.
      if (!['content-length', 'transfer-encoding'].includes(v.toLowerCase())) send.headers.push([v, text.value]);
      i++;
    }
  }
  return { ok: true, value: send };
}

/** A `set-var`/`unset-var` step: they feed log-format strings, which handoff's checks do not run. */
function isVarAction(word: string): boolean {
  return /^(set-var|set-var-fmt|unset-var)\(/.test(word);
}

function parseHttpCheck(ctx: ProxyContext): void {
  const [action, ...args] = ctx.args;
  const checks = ctx.proxy.checks;
  if (action === 'disable-on-404') {
    if (args.length > 0) return ctx.error("'http-check disable-on-404' takes no argument");
    checks.disableOn404 = true;
    return;
  }
  if (action === 'send-state') {
    ctx.warn("'http-check send-state' is ignored: the X-Haproxy-Server-State header is not sent");
    return;
  }
  if (action !== undefined && isVarAction(action)) return ctx.error(`'http-check ${action}' is not supported by handoff: check variables`);
  const rule = httpRule(action, args);
  const prefix = `'http-check ${action ?? ''}': `;
  if (!rule.ok) return ctx.error(rule.error.startsWith("'http-check") ? rule.error : prefix + rule.error);
  for (const w of rule.value.warnings) ctx.warn(w);
  const rules = ownRules(checks.http, ctx.loc);
  const error = rule.value.rule.action === 'connect' ? connectFirst(rules, 'http-check') : undefined;
  if (error !== undefined) return ctx.error(error);
  const order = addHttpRule(rules, rule.value.rule);
  if (order !== undefined) ctx.error(prefix + order);
}

function httpRule(action: string | undefined, args: readonly string[]): Parsed<{ rule: CheckRuleDraft; warnings: string[] }> {
  switch (action) {
    case 'connect':
      return parseConnect('http-check', args);
    case 'send': {
      const send = parseHttpSend(args);
      return send.ok ? { ok: true, value: { rule: send.value, warnings: [] } } : send;
    }
    case 'expect':
      return parseExpect('http-check', args);
    case 'comment':
      return comment('http-check', args);
    default:
      return {
        ok: false,
        error: `'http-check' only supports 'comment', 'connect', 'send', 'expect', 'disable-on-404', 'send-state', 'set-var' and 'unset-var', but got '${action ?? ''}'`,
      };
  }
}

function comment(family: CheckFamily, args: readonly string[]): Parsed<{ rule: CheckRuleDraft; warnings: string[] }> {
  if (args.length !== 1) return { ok: false, error: `'${family} comment' expects exactly one string (escape spaces with '\\ ')` };
  return { ok: true, value: { rule: { action: 'comment', text: args[0] as string }, warnings: [] } };
}

/** `tcp-check send DATA [comment C]` / `send-binary HEX [comment C]`. */
function parseTcpSend(action: 'send' | 'send-binary', args: readonly string[]): Parsed<{ rule: CheckRuleDraft; warnings: string[] }> {
  const [data, ...rest] = args;
  if (data === undefined) return { ok: false, error: `'tcp-check ${action}' expects a ${action === 'send' ? 'string' : 'hexadecimal string'} as argument` };
  let commentText: string | undefined;
  if (rest.length > 0) {
    if (rest[0] !== 'comment' || rest.length !== 2) return { ok: false, error: `'tcp-check ${action}': unexpected '${rest.join(' ')}' (only 'comment <msg>' may follow)` };
    commentText = rest[1];
  }
  const hex = action === 'send' ? { ok: true as const, value: textHex(data) } : parseHex(data);
  if (!hex.ok) return hex;
  return { ok: true, value: { rule: { action: 'send', hex: hex.value, ...(commentText !== undefined ? { comment: commentText } : {}) }, warnings: [] } };
}

function tcpRule(action: string | undefined, args: readonly string[]): Parsed<{ rule: CheckRuleDraft; warnings: string[] }> {
  switch (action) {
    case 'connect':
      return parseConnect('tcp-check', args);
    case 'send':
    case 'send-binary':
      return parseTcpSend(action, args);
    case 'send-lf':
    case 'send-binary-lf':
      return { ok: false, error: `'tcp-check ${action}' is not supported by handoff: log-format check data` };
    case 'expect':
      return parseExpect('tcp-check', args);
    case 'comment':
      return comment('tcp-check', args);
    default:
      if (action !== undefined && isVarAction(action)) return { ok: false, error: `'tcp-check ${action}' is not supported by handoff: check variables` };
      return { ok: false, error: `'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var' and 'unset-var', but got '${action ?? ''}'` };
  }
}

function parseTcpCheck(ctx: ProxyContext): void {
  const [action, ...args] = ctx.args;
  const rule = tcpRule(action, args);
  if (!rule.ok) return ctx.error(rule.error.startsWith("'tcp-check") ? rule.error : `'tcp-check ${action ?? ''}': ${rule.error}`);
  for (const w of rule.value.warnings) ctx.warn(w);
  const rules = ownRules(ctx.proxy.checks.tcp, ctx.loc);
  if (rule.value.rule.action === 'connect') {
    const error = connectFirst(rules, 'tcp-check');
    if (error !== undefined) return ctx.error(error);
  }
  rules.push(rule.value.rule);
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'http-check', sections: BACKEND_SIDE, parse: parseHttpCheck },
  { name: 'tcp-check', sections: BACKEND_SIDE, parse: parseTcpCheck },
];

