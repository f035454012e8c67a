// The actions of `http-request`, `http-response` and `http-after-response` (configuration.txt
// 4.2): one table of what each action takes and on which side it exists, each parsed into the
// model's `HttpRule`. An action HAProxy has and handoff does not is an error naming it, unless
// ignoring it changes nothing a client or a server sees (then a warning).
import type { HeaderNameMatch, HttpRule, Sample, Template, UriNormalizer, VarName } from '../model.ts';
import { checkVarName, parseSample, scopeProblem, type SampleWhere } from '../sample.ts';
import { parseTemplate, templateProblem } from '../template.ts';
import { checkRegex } from '../patterns.ts';
import type { GlobalDraft, PendingReply, ProxyDraft } from '../draft.ts';
import { parseDenyReply, parseReply } from './http-reply.ts';
import { parseRedirect } from './redirect.ts';
import type { Reporter } from './types.ts';
import { parseScAction, parseTrack } from './stick-actions.ts';

/** Which rule list: `http-request`, `http-response`, `http-after-response`. */
export type RuleSide = 'request' | 'response' | 'after';

/** An action as parsed, before its condition and location are attached. */
export type ParsedAction = HttpRule extends infer R ? (R extends unknown ? Omit<R, 'cond' | 'loc'> : never) : never;

export interface ActionInput {
  rep: Reporter;
  side: RuleSide;
  /** The action word, e.g. `set-header`, `set-var(txn.x)`. */
  word: string;
  /** Words after it, up to `if`/`unless`. */
  args: string[];
  global: GlobalDraft;
  proxy: ProxyDraft;
}

/** What an action parser returns: the action, and a reply file to resolve later. */
export interface ActionResult {
  action: ParsedAction;
  pending?: Pick<PendingReply, 'source'>;
}

type ActionParser = (a: ActionInput, where: SampleWhere) => ActionResult | undefined;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SIDE_KEYWORD: Record<RuleSide, string> = { request: 'http-request', response: 'http-response', after: 'http-after-response' };
const ALL: readonly RuleSide[] = ['request', 'response', 'after'];
const REQ: readonly RuleSide[] = ['request'];
const REQ_RES: readonly RuleSide[] = ['request', 'response'];

function exactly(a: ActionInput, n: number, what: string): boolean {
  if (a.args.length === n) return true;
  a.rep.error(`'${a.word}' expects ${what}`);
  return false;
}

function fmt(a: ActionInput, text: string, where: SampleWhere): Template | undefined {
  const t = parseTemplate(text);
  if (!t.ok) return void a.rep.error(`'${a.word}': ${t.error}`);
  const problem = templateProblem(t.value, where);
  if (problem !== undefined) a.rep.warn(`'${a.word}': ${problem}`);
  return t.value;
}

function sample(a: ActionInput, text: string, where: SampleWhere): Sample | undefined {
  const s = parseSample(text);
  if (!s.ok) return void a.rep.error(`'${a.word}': ${s.error}`);
  const problem = scopeProblem(s.value.sample, where);
  if (problem !== undefined) a.rep.warn(`'${a.word}': ${problem.message}`);
  return s.value.sample;
}

function regex(a: ActionInput, text: string): string | undefined {
  const err = checkRegex(text, false);
  if (err !== undefined) return void a.rep.error(`'${a.word}': ${err}`);
  return text;
}

function headerName(a: ActionInput, name: string | undefined): string | undefined {
  if (name !== undefined && TOKEN.test(name)) return name;
  return void a.rep.error(`'${a.word}' expects a header name${name === undefined ? '' : `, got '${name}'`}`);
}

const parseDelHeader: ActionParser = (a) => {
  const [name, dash, how, ...extra] = a.args;
  if (headerName(a, name) === undefined) return undefined;
  let match: HeaderNameMatch = 'str';
  if (dash !== undefined) {
    const methods: readonly string[] = ['str', 'beg', 'end', 'sub', 'reg'];
    if (dash !== '-m' || how === undefined || extra.length > 0) return void a.rep.error(`'del-header' expects a header name and an optional '-m str|beg|end|sub|reg'`);
    if (!methods.includes(how)) return void a.rep.error(`'del-header': -m with unsupported matching method '${how}' (str, beg, end, sub or reg)`);
    match = how as HeaderNameMatch;
    if (match === 'reg' && regex(a, name as string) === undefined) return undefined;
  }
  const action: ParsedAction = { action: 'del-header', name: name as string, value: { parts: [''] } };
  if (match !== 'str') action.match = match;
  return { action };
};

const parseReplaceHeader: ActionParser = (a, where) => {
  if (!exactly(a, 3, 'a header name, a regex and a replacement format')) return undefined;
  const name = headerName(a, a.args[0]);
  const re = name === undefined ? undefined : regex(a, a.args[1] as string);
  const replace = re === undefined ? undefined : fmt(a, a.args[2] as string, where);
  if (name === undefined || re === undefined || replace === undefined) return undefined;
  return { action: { action: a.word as 'replace-header' | 'replace-value', name, regex: re, replace } };
};

const parseSetLine: ActionParser = (a, where) => {
  if (!exactly(a, 1, 'exactly 1 argument <format>')) return undefined;
  const value = fmt(a, a.args[0] as string, where);
  if (value === undefined) return undefined;
  return { action: { action: a.word as 'set-path', value } };
};

const parseReplaceLine: ActionParser = (a, where) => {
  if (!exactly(a, 2, 'exactly 2 arguments <match-regex> and <replace-format>')) return undefined;
  const re = regex(a, a.args[0] as string);
  const replace = re === undefined ? undefined : fmt(a, a.args[1] as string, where);
  if (re === undefined || replace === undefined) return undefined;
  return { action: { action: a.word as 'replace-path', regex: re, replace } };
};

/** A reporter whose messages name the rule (`'http-request return': …`), as HAProxy's do. */
function naming(a: ActionInput): Reporter {
  const what = `'${SIDE_KEYWORD[a.side]} ${a.word}'`;
  return { error: (m) => a.rep.error(`${what}: ${m}`), warn: (m) => a.rep.warn(`${what}: ${m}`) };
}

const parseReturn: ActionParser = (a, where) => {
  const r = parseReply(naming(a), a.args, 200, where);
  return r === undefined ? undefined : withPending({ action: 'return', reply: r.reply }, r.pending);
};

const parseDeny: ActionParser = (a, where) => {
  const tarpit = a.word === 'tarpit';
  const r = parseDenyReply(naming(a), a.args, tarpit ? 500 : a.side === 'request' ? 403 : 502, where);
  return r === undefined ? undefined : withPending({ action: tarpit ? 'tarpit' : 'deny', reply: r.reply }, r.pending);
};

function withPending(action: ParsedAction, pending: ActionResult['pending']): ActionResult {
  return pending === undefined ? { action } : { action, pending };
}

const parseAuth: ActionParser = (a) => {
  const [kw, realm, ...extra] = a.args;
  if (kw === undefined) return { action: { action: 'auth' } };
  if (kw !== 'realm' || realm === undefined || extra.length > 0) return void a.rep.error("'auth' expects an optional 'realm REALM'");
  return { action: { action: 'auth', realm } };
};

const parseRedirectAction: ActionParser = (a, where) => {
  const spec = parseRedirect(a.rep, a.args, true, where);
  return spec === undefined ? undefined : { action: { action: 'redirect', redirect: spec } };
};

const parseSetStatus: ActionParser = (a) => {
  const [code, kw, reason, ...extra] = a.args;
  if (code === undefined || !/^\d+$/.test(code) || Number(code) < 100 || Number(code) > 999) return void a.rep.error("'set-status' expects an integer status code between 100 and 999");
  if (kw === undefined) return { action: { action: 'set-status', status: Number(code) } };
  if (kw !== 'reason' || reason === undefined || extra.length > 0) return void a.rep.error("'set-status' expects a status code and an optional 'reason TEXT'");
  return { action: { action: 'set-status', status: Number(code), reason } };
};

/** The normalizers whose HAProxy meaning handoff reproduces exactly (a `#` never reaches the
 * rules: handoff's request parser refuses it, so both fragment normalizers have nothing to do). */
const NORMALIZERS: Record<string, UriNormalizer> = {
  'path-merge-slashes': 'path-merge-slashes',
  'percent-to-uppercase': 'percent-to-uppercase',
  'fragment-strip': 'fragment-strip',
  'fragment-encode': 'fragment-encode',
};

const OTHER_NORMALIZERS = ['path-strip-dot', 'path-strip-dotdot', 'percent-decode-unreserved', 'query-sort-by-name'];

const parseNormalize: ActionParser = (a) => {
  const n = NORMALIZERS[a.args.join(' ')];
  if (n !== undefined) return { action: { action: 'normalize-uri', normalizer: n } };
  if (OTHER_NORMALIZERS.includes(a.args[0] ?? '') || a.args.join(' ') === 'percent-to-uppercase strict') {
    return void a.rep.error(`'normalize-uri ${a.args.join(' ')}' is not supported by handoff (supported: ${Object.keys(NORMALIZERS).join(', ')}); refusing to run without it`);
  }
  return void a.rep.error(`'normalize-uri' expects a normalizer among ${Object.keys(NORMALIZERS).join(', ')}, got '${a.args.join(' ')}'`);
};

/** `NAME(scope.var[,cond…])` → the variable and its conditions. */
function variableOf(a: ActionInput, inside: string, conditions: boolean): { variable: VarName; ifs: string[] } | undefined {
  const [name, ...ifs] = inside.split(',');
  const err = checkVarName(name ?? '');
  if (err !== undefined) return void a.rep.error(`'${a.word}': ${err}`);
  const allowed = ['ifexists', 'ifnotexists', 'ifempty', 'ifnotempty', 'ifset', 'ifnotset', 'ifgt', 'iflt'];
  if (ifs.length > 0 && !conditions) return void a.rep.error(`'${a.word}' takes no condition after the variable name`);
  const bad = ifs.find((c) => !allowed.includes(c));
  if (bad !== undefined) return void a.rep.error(`'${a.word}': unknown condition '${bad}' (expected ${allowed.join(', ')})`);
  if (ifs.length > 4) return void a.rep.error(`'${a.word}': at most four conditions`);
  const [scope, ...rest] = (name as string).split('.');
  return { variable: { scope: scope as VarName['scope'], name: rest.join('.') }, ifs };
}

function inside(a: ActionInput, prefix: string): string | undefined {
  if (a.word.startsWith(`${prefix}(`) && a.word.endsWith(')')) return a.word.slice(prefix.length + 1, -1);
  return void a.rep.error(`'${prefix}' expects a variable name in parentheses, e.g. '${prefix}(txn.name)'`);
}

const parseSetVar: ActionParser = (a, where) => {
  const fmtVariant = a.word.startsWith('set-var-fmt(');
  const inner = inside(a, fmtVariant ? 'set-var-fmt' : 'set-var');
  const v = inner === undefined ? undefined : variableOf(a, inner, true);
  if (v === undefined || !exactly(a, 1, fmtVariant ? 'one log-format string' : 'one sample expression')) return undefined;
  if (fmtVariant) {
    const format = fmt(a, a.args[0] as string, where);
    return format === undefined ? undefined : { action: { action: 'set-var-fmt', variable: v.variable, format, ifs: v.ifs } };
  }
  const expr = sample(a, a.args[0] as string, where);
  return expr === undefined ? undefined : { action: { action: 'set-var', variable: v.variable, expr, ifs: v.ifs } };
};

const parseUnsetVar: ActionParser = (a) => {
  const inner = inside(a, 'unset-var');
  const v = inner === undefined ? undefined : variableOf(a, inner, false);
  if (v === undefined || !exactly(a, 0, 'no argument after the variable')) return undefined;
  return { action: { action: 'unset-var', variable: v.variable } };
};

const parseCapture: ActionParser = (a, where) => {
  const [expr, kw, len, ...extra] = a.args;
  if (kw === 'id') return void a.rep.error("'capture … id N' (a capture slot declared elsewhere) is not supported by handoff; use 'http-request capture SAMPLE len N' in the frontend");
  if (expr === undefined || kw !== 'len' || len === undefined || !/^\d+$/.test(len) || Number(len) < 1 || extra.length > 0) return void a.rep.error("'capture' expects a sample expression and 'len N'");
  if (a.proxy.kind === 'backend') return void a.rep.error("'http-request capture … len N' needs a frontend's capture slots: use it in a frontend or listen section");
  const s = sample(a, expr, where);
  const slot = a.proxy.httpRequest.filter((r) => r.action === 'capture').length;
  return s === undefined ? undefined : { action: { action: 'capture', sample: s, len: Number(len), slot } };
};

const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'silent'];

const parseLogLevel: ActionParser = (a) => {
  if (!exactly(a, 1, `a log level (${LEVELS.join(', ')})`)) return undefined;
  const level = a.args[0] as string;
  if (!LEVELS.includes(level)) return void a.rep.error(`'set-log-level': unknown level '${level}' (${LEVELS.join(', ')})`);
  if (level !== 'silent') a.rep.warn(`'set-log-level ${level}' has no effect: handoff writes every line at its log target's level (only 'silent' changes anything)`);
  return { action: { action: 'set-log-level', level } };
};

/** `use-service NAME`: HAProxy's services; handoff has the Prometheus exporter (Lua ones are refused above). */
const parseUseService: ActionParser = (a) => {
  const name = a.args[0];
  if (name === undefined) return void a.rep.error(`'use-service' expects a service name.`);
  if (name.startsWith('lua.')) return void a.rep.error(`'http-request use-service ${name}' is not supported by handoff: Lua; refusing to run without it`);
  if (name !== 'prometheus-exporter') return void a.rep.error(`'${name}' unknown service name (handoff has 'prometheus-exporter').`);
  if (a.args.length > 1) return void a.rep.error(`'http-request use-service' expects either 'if' or 'unless' followed by a condition but found '${a.args[1]}'.`);
  return { action: { action: 'use-service', service: name } };
};

function parseTrackAction(a: ActionInput, where: SampleWhere): ActionResult | undefined {
  const action = parseTrack(a.rep, a.word, a.args, a.proxy.name, where);
  return action === undefined ? undefined : { action };
}

function parseScRule(a: ActionInput): ActionResult | undefined {
  const action = parseScAction(a.rep, a.word, a.args);
  return action === undefined ? undefined : { action };
}

const noArgs = (action: 'allow' | 'reject'): ActionParser => (a) => (exactly(a, 0, 'no argument') ? { action: { action } } : undefined);

interface ActionDef {
  sides: readonly RuleSide[];
  parse: ActionParser;
}

/** The actions handoff implements, by word (parenthesised ones by their prefix); `add-header` and
 * `set-header` are read by http-rules.ts's headerRule. */
const ACTIONS: Record<string, ActionDef> = {
  allow: { sides: ALL, parse: noArgs('allow') },
  deny: { sides: REQ_RES, parse: parseDeny },
  tarpit: { sides: REQ, parse: parseDeny },
  reject: { sides: REQ, parse: noArgs('reject') },
  return: { sides: REQ_RES, parse: parseReturn },
  auth: { sides: REQ, parse: parseAuth },
  'use-service': { sides: REQ, parse: parseUseService },
  redirect: { sides: REQ_RES, parse: parseRedirectAction },
  'del-header': { sides: ALL, parse: parseDelHeader },
  'replace-header': { sides: ALL, parse: parseReplaceHeader },
  'replace-value': { sides: ALL, parse: parseReplaceHeader },
  'set-method': { sides: REQ, parse: parseSetLine },
  'set-path': { sides: REQ, parse: parseSetLine },
  'set-pathq': { sides: REQ, parse: parseSetLine },
  'set-query': { sides: REQ, parse: parseSetLine },
  'set-uri': { sides: REQ, parse: parseSetLine },
  'replace-path': { sides: REQ, parse: parseReplaceLine },
  'replace-pathq': { sides: REQ, parse: parseReplaceLine },
  'replace-uri': { sides: REQ, parse: parseReplaceLine },
  'normalize-uri': { sides: REQ, parse: parseNormalize },
  'set-status': { sides: ['response', 'after'], parse: parseSetStatus },
  'set-var': { sides: ALL, parse: parseSetVar },
  'set-var-fmt': { sides: ALL, parse: parseSetVar },
  'track-sc0': { sides: REQ, parse: parseTrackAction },
  'track-sc1': { sides: REQ, parse: parseTrackAction },
  'track-sc2': { sides: REQ, parse: parseTrackAction },
  'sc-inc-gpc0': { sides: REQ_RES, parse: parseScRule },
  'sc-inc-gpc1': { sides: REQ_RES, parse: parseScRule },
  'sc-set-gpt0': { sides: REQ_RES, parse: parseScRule },
  'unset-var': { sides: ALL, parse: parseUnsetVar },
  capture: { sides: REQ, parse: parseCapture },
  'set-log-level': { sides: REQ_RES, parse: parseLogLevel },
};

/** Actions whose absence changes nothing a client or a server sees: accepted with a warning. */
const HARMLESS: Record<string, string> = {
  'strict-mode': 'handoff rewrites cannot fail, so strict and soft modes behave the same',
  'set-nice': 'handoff does not prioritise requests within a process',
  'wait-for-handshake': 'handoff does not accept TLS early data, so there is no handshake to wait for',
  'wait-for-body': 'no handoff fetch reads the body, so waiting for it would change nothing the rules see',
};

/** What each other HAProxy action would need (prefix-matched for `track-sc0`, `sc-inc-gpc(…)`…). */
const REFUSED: [string, string][] = [
  ['add-acl', 'updating ACL files at runtime'],
  ['del-acl', 'updating ACL files at runtime'],
  ['set-map', 'updating map files at runtime'],
  ['del-map', 'updating map files at runtime'],
  ['cache-use', 'a response cache'],
  ['cache-store', 'a response cache'],
  ['capture', "capture slots ('id'); only 'http-request capture SAMPLE len N' is supported"],
  ['disable-l7-retry', 'per-request retry settings'],
  ['do-resolve', 'DNS resolvers'],
  ['early-hint', '103 Early Hints responses'],
  ['sc-', 'stick counters'],
  ['track-sc', 'stick counters'],
  ['set-src', 'rewriting the client address'],
  ['set-dst', 'rewriting the destination address'],
  ['set-mark', 'netfilter marks on packets'],
  ['set-tos', 'TOS/DSCP marks on packets'],
  ['set-priority-', 'queue priorities'],
  ['set-timeout', 'per-request timeouts'],
  ['send-spoe-group', 'SPOE'],
  ['silent-drop', 'dropping a connection without telling the client'],
  ['lua.', 'Lua'],
  ['set-log-level', 'log levels on http-after-response rules'],
  ['auth', 'authentication outside http-request rules'],
  ['tarpit', 'tarpit outside http-request rules'],
];


/** The definition of an action word (`set-var(x)` by its prefix). */
function actionDef(word: string): ActionDef | undefined {
  const paren = word.indexOf('(');
  return ACTIONS[paren === -1 ? word : word.slice(0, paren)];
}

/** Parse one action of a rule list; undefined after reporting an error (or a warning for a harmless action). */
export function parseAction(a: ActionInput): ActionResult | undefined {
  const kw = SIDE_KEYWORD[a.side];
  const def = actionDef(a.word);
  const where: SampleWhere = a.side === 'request' ? 'request' : 'response';
  if (def !== undefined && def.sides.includes(a.side)) return def.parse(a, where);
  const harmless = HARMLESS[a.word];
  if (harmless !== undefined) return void a.rep.warn(`'${kw} ${a.word}' is ignored: ${harmless}`);
  const refused = REFUSED.find(([prefix]) => a.word.startsWith(prefix));
  if (refused !== undefined) return void a.rep.error(`'${kw} ${a.word}' is not supported by handoff: ${refused[1]}; refusing to run without it`);
  if (def !== undefined) return void a.rep.error(`'${a.word}' is not a valid '${kw}' action (it exists in ${def.sides.map((s) => SIDE_KEYWORD[s]).join(', ')})`);
  const names = ['add-header', 'set-header', ...Object.entries(ACTIONS).filter(([, d]) => d.sides.includes(a.side)).map(([n]) => n)];
  return void a.rep.error(`unknown '${kw}' action '${a.word}' (handoff supports ${names.join(', ')})`);
}
