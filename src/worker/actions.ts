// The interpreter of a proxy's HTTP rule lists (`http-request`, `http-response`,
// `http-after-response`): rules run in declaration order, each when its condition holds; a
// rewriting action changes the message in place and the next rule sees the change; `allow` ends
// the list; `deny`, `tarpit`, `return`, `auth`, `reject` and a redirect end the processing, and
// the caller answers (http-proxy.ts). Rules are plain config data: nothing is compiled per request.
import type { HttpRule, RedirectSpec, VarName } from '../config/model.ts';
import type { RequestHead } from './http1/parse.ts';
import { evaluate } from './rules.ts';
import { compileSample, getVar, renderTemplate, setVar, type SampleContext, type SampleValue } from './sample.ts';
import { deleteHeaders, linePart, normalizeUri, regexOf, replaceHeaders, replaceWhole, safeValue, setLinePart, type LineAction, type RequestLine } from './rewrite.ts';
import { reasonPhrase } from './errors.ts';
import { applyScAction, clearNeeds, lookUpNeeded, startTracking } from './stick-actions.ts';

/** What the rules read and change: the exchange, as http-proxy.ts keeps it. */
export interface RuleExchange extends SampleContext {
  head: RequestHead;
  /** The request target sent upstream (set-uri, set-path… rewrite it; `head.target` stays as received, for the log). */
  target: string;
  /** The response's reason phrase while response rules run. */
  statusText: string;
  /** `http-request capture` values by slot, for the log's %hr. */
  captures: string[] | undefined;
  /** `set-log-level silent`: the request is not logged. */
  silent: boolean;
  /** The location of the redirect rule that matched. */
  location: string;
}

/** A rule that ends the processing: the caller answers. */
export type FinalRule = Extract<HttpRule, { action: 'deny' | 'tarpit' | 'return' | 'auth' | 'redirect' | 'reject' | 'use-service' }>;

/** A rewrite could not be done (its result could not be sent): HAProxy's 500 for a failed rewrite. */
export const REWRITE_FAILED = 'rewrite-failed';

/** How a list ended: undefined (its end, or `allow`), the final rule, or a failed rewrite. */
export type Verdict = FinalRule | typeof REWRITE_FAILED | undefined;

/** A `track-scN` waits for the master: the list resumes at `resume` once `wait` settles. */
export interface StickWait {
  wait: Promise<void>;
  resume: number;
}

/** Run `rules` on `x`; `headers` is the list they change (the request's, or the response's). */
export function runRules(rules: readonly HttpRule[], x: RuleExchange, headers: string[]): Verdict {
  // Only http-request lists track (requestRules runs them with runRulesFrom).
  return runRulesFrom(rules, x, headers, 0, false) as Verdict;
}

/** Run `rules` from rule `start`; a StickWait when a tracking must ask the master first. */
export function runRulesFrom(rules: readonly HttpRule[], x: RuleExchange, headers: string[], start: number, canWait = true): Verdict | StickWait {
  for (let i = start; i < rules.length; i++) {
    const rule = rules[i] as HttpRule;
    clearNeeds(x);
    const holds = rule.cond === undefined || evaluate(rule.cond, x);
    // A `src_*`/`table_*` fetch on an untracked key: asked of the master, then the rule again.
    const lookUp = canWait ? lookUpNeeded(x) : undefined;
    if (lookUp !== undefined) return { wait: lookUp, resume: i };
    if (!holds) continue;
    switch (rule.action) {
      case 'allow':
        return undefined;
      case 'deny':
      case 'tarpit':
      case 'return':
      case 'auth':
      case 'reject':
      case 'use-service':
        return rule;
      case 'redirect':
        if (redirectLocation(rule.redirect, x)) return rule;
        break;
      case 'track-sc': {
        const wait = startTracking(rule, x);
        if (wait !== undefined) return { wait, resume: i + 1 };
        break;
      }
      case 'sc-inc-gpc':
      case 'sc-set-gpt0':
        applyScAction(rule, x);
        break;
      default:
        if (!apply(rule, x, headers)) return REWRITE_FAILED;
    }
  }
  return undefined;
}

type Rewrite = Exclude<HttpRule, FinalRule | { action: 'allow' | 'track-sc' | 'sc-inc-gpc' | 'sc-set-gpt0' }>;

/** One non-final action; false when its result could not be sent. */
function apply(rule: Rewrite, x: RuleExchange, headers: string[]): boolean {
  switch (rule.action) {
    case 'add-header':
    case 'set-header': {
      const value = renderTemplate(rule.value, x);
      if (!safeValue(value)) return false;
      if (rule.action === 'set-header') deleteHeaders(headers, rule.name);
      headers.push(rule.name, value);
      return true;
    }
    case 'del-header':
      deleteHeaders(headers, rule.name, rule.match);
      return true;
    case 'replace-header':
    case 'replace-value':
      return replaceHeaders(headers, rule.name, regexOf(rule.regex), renderTemplate(rule.replace, x), rule.action === 'replace-value');
    case 'set-method':
    case 'set-path':
    case 'set-pathq':
    case 'set-query':
    case 'set-uri':
      return rewriteLine(x, rule.action, renderTemplate(rule.value, x));
    case 'replace-path':
    case 'replace-pathq':
    case 'replace-uri': {
      const part = linePart(lineOf(x), rule.action);
      if (part === '') return true;
      const next = replaceWhole(part, regexOf(rule.regex), renderTemplate(rule.replace, x));
      return next === undefined || rewriteLine(x, rule.action, next);
    }
    case 'normalize-uri':
      return withLine(x, (line) => normalizeUri(line, rule.normalizer));
    case 'set-status':
      x.status = rule.status;
      x.statusText = rule.reason ?? reasonPhrase(rule.status);
      return true;
    case 'set-var':
      assignVar(x, rule.variable, rule.ifs, compileSample(rule.expr).value(x));
      return true;
    case 'set-var-fmt':
      assignVar(x, rule.variable, rule.ifs, renderTemplate(rule.format, x));
      return true;
    case 'unset-var':
      unsetVar(x, rule.variable);
      return true;
    case 'capture':
      capture(x, rule.slot, rule.len, compileSample(rule.sample).value(x));
      return true;
    case 'set-log-level':
      x.silent = rule.level === 'silent';
      return true;
  }
}

function lineOf(x: RuleExchange): RequestLine {
  return { method: x.method, target: x.target, uri: x.head.uri, path: x.path };
}

/** Apply `change` to the request line; what later rules and fetches see follows it. */
function withLine(x: RuleExchange, change: (line: RequestLine) => boolean): boolean {
  const line = lineOf(x);
  if (!change(line)) return false;
  x.method = line.method;
  x.target = line.target;
  x.head.uri = line.uri;
  x.path = line.path;
  return true;
}

function rewriteLine(x: RuleExchange, action: LineAction, value: string): boolean {
  return withLine(x, (line) => setLinePart(line, action, value));
}

const varKey = (v: VarName): string => `${v.scope}.${v.name}`;

/** `set-var(NAME,cond…)`: set when every condition holds (configuration.txt, the set-var converter). */
function assignVar(x: RuleExchange, v: VarName, ifs: readonly string[], value: SampleValue | undefined): void {
  if (value === undefined) return;
  const key = varKey(v);
  const old = getVar(x, key);
  for (const c of ifs) {
    const empty = typeof value === 'string' && value === '';
    const ints = typeof old === 'number' && typeof value === 'number';
    const ok =
      c === 'ifexists' || c === 'ifset' ? old !== undefined
      : c === 'ifnotexists' || c === 'ifnotset' ? old === undefined
      : c === 'ifempty' ? empty
      : c === 'ifnotempty' ? !empty
      : c === 'ifgt' ? !ints || (old as number) > value
      : !ints || (old as number) < (value as number);
    if (!ok) return;
  }
  setVar(x, key, value);
}

function unsetVar(x: RuleExchange, v: VarName): void {
  const key = varKey(v);
  if (v.scope === 'sess') x.conn.vars?.delete(key);
  else x.vars?.delete(key);
}

/** Variables of scope `req` live until the response: HAProxy drops them when response rules start. */
export function dropRequestVars(x: RuleExchange): void {
  const vars = x.vars;
  if (vars === undefined) return;
  for (const k of vars.keys()) if (k.startsWith('req.')) vars.delete(k);
}

function capture(x: RuleExchange, slot: number, len: number, value: SampleValue | undefined): void {
  const text = value === undefined ? '' : String(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  const caps = (x.captures ??= []);
  while (caps.length < slot) caps.push('');
  caps[slot] = text.length > len ? text.slice(0, len) : text;
}

/**
 * The Location a redirect sends, into `x.location`; false when `ignore-empty` skips the rule.
 * As HAProxy: the path (as rules left it) keeps its query unless `drop-query`; `append-slash` ends
 * the whole location with `/`. A scheme redirect takes the first Host header, without its port
 * when the scheme changes (HAProxy keeps it, which sends https to an http port: see docs/config.md).
 */
export function redirectLocation(r: RedirectSpec, x: RuleExchange): boolean {
  const target = renderTemplate(r.target, x);
  let location: string;
  if (r.kind === 'location') {
    if (target === '' && r.ignoreEmpty === true) return false;
    location = target;
  } else {
    let path = x.head.uri.startsWith('/') ? x.head.uri : '/';
    if (r.dropQuery === true) {
      const q = path.indexOf('?');
      if (q !== -1) path = path.slice(0, q);
    }
    if (r.kind === 'prefix') location = `${target}${path}`;
    else {
      const host = firstHost(x.upstreamHeaders);
      location = `${target}://${(target.toLowerCase() === 'https') !== x.ssl ? stripPort(host) : host}${path}`;
    }
  }
  if (r.appendSlash === true && location !== '' && !location.endsWith('/')) location += '/';
  x.location = location;
  return true;
}

/** The first Host header's value, as HAProxy's scheme redirect takes it ('' without one). */
function firstHost(headers: readonly string[]): string {
  for (let i = 0; i < headers.length; i += 2) if ((headers[i] as string).length === 4 && (headers[i] as string).toLowerCase() === 'host') return headers[i + 1] as string;
  return '';
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
