// `stick-table` (configuration.txt 4.2): the proxy's one table, parsed into a StickTableDef the
// master builds the table from (src/stick/); `stick on|match|store-request|store-response` rules.
import { isRate, STICK_DATA, type StickDataName, type StickKeyType, type StickStore, type StickTableDef } from '../../stick/types.ts';
import { parseInteger, parseSize, parseTime } from '../units.ts';
import { BACKEND_SIDE, PROXIES_ONLY, type ProxyContext, type ProxyKeyword } from './types.ts';
import { ruleCondition } from './rule-condition.ts';
import { parseTrack } from './stick-actions.ts';
import { parseSample, scopeProblem } from '../sample.ts';

const TYPES: readonly StickKeyType[] = ['ip', 'ipv6', 'integer', 'string', 'binary'];

/** One `store` item: `gpc0`, `http_req_rate(10s)`; an error message otherwise. */
function storeItem(word: string): StickStore | string {
  const m = /^([a-z0-9_]+)(?:\((.*)\))?$/.exec(word);
  const name = m?.[1] as StickDataName | undefined;
  if (m === null || name === undefined || !(STICK_DATA as readonly string[]).includes(name)) {
    return `unknown data type '${word}' in 'store' (known: ${STICK_DATA.join(', ')})`;
  }
  if (!isRate(name)) return m[2] === undefined ? { name } : `data type '${name}' takes no period`;
  const period = parseTime(m[2]);
  if (!period.ok) return `data type '${name}' needs a period, e.g. '${name}(10s)': ${period.error}`;
  return { name, periodMs: period.value };
}

function parseStore(ctx: ProxyContext, list: string, store: StickStore[]): boolean {
  for (const word of list.split(',')) {
    const item = storeItem(word);
    if (typeof item === 'string') return void ctx.error(item), false;
    if (!store.some((s) => s.name === item.name)) store.push(item);
  }
  return true;
}

/** The words after `type`: the key type and its optional `len N`. */
function parseType(ctx: ProxyContext, def: StickTableDef, args: string[], i: number): number | undefined {
  const type = args[i] as StickKeyType | undefined;
  if (type === undefined || !TYPES.includes(type)) return void ctx.error(`'stick-table type' expects one of ${TYPES.join(', ')}`), undefined;
  def.type = type;
  if (args[i + 1] === 'len' && (type === 'string' || type === 'binary')) {
    const len = parseInteger(args[i + 2], 1, 65535);
    if (!len.ok) return void ctx.error(`'stick-table type ${type} len' ${len.error}`), undefined;
    def.len = len.value;
    return i + 3;
  }
  return i + 1;
}

/** One option of the line: the index after it, undefined after an error. */
function parseOption(ctx: ProxyContext, def: StickTableDef, args: string[], i: number): number | undefined {
  const word = args[i];
  const value = args[i + 1];
  switch (word) {
    case 'type':
      return parseType(ctx, def, args, i + 1);
    case 'size': {
      const size = parseSize(value);
      if (!size.ok || size.value < 1) return void ctx.error(`'stick-table size' ${size.ok ? 'must be at least 1' : size.error}`), undefined;
      def.size = size.value;
      return i + 2;
    }
    case 'expire': {
      const t = parseTime(value);
      if (!t.ok) return void ctx.error(`'stick-table expire' ${t.error}`), undefined;
      def.expireMs = t.value;
      return i + 2;
    }
    case 'nopurge':
      def.nopurge = true;
      return i + 1;
    case 'store':
      if (value === undefined) return void ctx.error("'stick-table store' expects a list such as 'http_req_rate(10s),conn_cur'"), undefined;
      return parseStore(ctx, value, def.store) ? i + 2 : undefined;
    case 'srvkey':
      if (value === 'name') return i + 2;
      if (value === 'addr') return void ctx.error("'stick-table srvkey addr' is not supported by handoff (servers are keyed by name, HAProxy's default 'srvkey name')"), undefined;
      return void ctx.error(`'stick-table srvkey' expects 'name' or 'addr', got '${value ?? ''}'`), undefined;
    case 'peers':
      ctx.warn("'stick-table peers' is ignored: handoff's tables are already one table for every worker and survive reloads");
      return i + 2;
    default:
      return void ctx.error(`'stick-table' does not know '${word ?? ''}' (expects type, size, expire, nopurge, store, srvkey)`), undefined;
  }
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'stick', sections: BACKEND_SIDE, parse: parseStickRule },
  {
    name: 'stick-table',
    sections: PROXIES_ONLY,
    strictSections: true,
    parse(ctx) {
      if (ctx.proxy.stickTable !== undefined) return ctx.error(`proxy '${ctx.proxy.name}' already has a stick-table (one per proxy)`);
      const def: StickTableDef = { name: ctx.proxy.name, type: 'ip', len: 32, size: 0, expireMs: undefined, nopurge: false, store: [] };
      let typed = false;
      for (let i = 0; i < ctx.args.length; ) {
        if (ctx.args[i] === 'type') typed = true;
        const next = parseOption(ctx, def, ctx.args, i);
        if (next === undefined) return;
        i = next;
      }
      if (!typed) return ctx.error("'stick-table' needs a key type, e.g. 'stick-table type ip size 100k expire 30s store http_req_rate(10s)'");
      if (def.size === 0) return ctx.error("'stick-table' needs a size, e.g. 'size 100k'");
      def.store.sort((a, b) => STICK_DATA.indexOf(a.name) - STICK_DATA.indexOf(b.name));
      ctx.proxy.stickTable = def;
    },
  },
];

/**
 * `tcp-request content track-scN KEY [table T] [if|unless COND]` in an http proxy: HAProxy runs
 * it for each request before the http-request rules and then counts the request on it, which
 * is what an http-request track-sc placed first does; a tcp proxy's is refused (validate).
 */
export function parseContentTrack(ctx: ProxyContext): void {
  const split = ruleCondition(ctx, ctx.args.slice(2));
  const word = ctx.args[1] ?? '';
  if (split === undefined) return;
  const action = parseTrack(ctx, word, split.head, ctx.proxy.name, 'request');
  if (action === undefined) return;
  const rule = { ...action, ...(split.cond === undefined ? {} : { cond: split.cond }), loc: ctx.loc };
  const tracks = (ctx.proxy.contentTracks ??= []);
  ctx.proxy.httpRequest.splice(tracks.length, 0, rule);
  tracks.push(rule);
}

/** `stick on|match|store-request|store-response KEY [table T] [if|unless COND]` in a backend or listen. */
function parseStickRule(ctx: ProxyContext): void {
  const kind = ctx.args[0];
  if (ctx.proxy.kind === 'defaults') return ctx.error("'stick' rules are not allowed in a defaults section (write them in the backend)");
  if (kind !== 'on' && kind !== 'match' && kind !== 'store-request' && kind !== 'store-response') return ctx.error(`'stick' expects 'on', 'match', 'store-request' or 'store-response', got '${kind ?? ''}'`);
  const split = ruleCondition(ctx, ctx.args.slice(1));
  if (split === undefined) return;
  const [keyText, kw, table, ...extra] = split.head;
  if (keyText === undefined) return ctx.error(`'stick ${kind}' expects a sample expression as the key, e.g. 'stick ${kind} src'`);
  if (kw !== undefined && (kw !== 'table' || table === undefined || extra.length > 0)) return ctx.error(`'stick ${kind} ${keyText}' expects 'table <name>' or 'if'/'unless' after the key, got '${kw}'`);
  const key = parseSample(keyText);
  if (!key.ok) return ctx.error(`'stick ${kind}': ${key.error}`);
  const problem = scopeProblem(key.value.sample, kind === 'store-response' ? 'response' : 'request');
  if (problem?.never === true) return ctx.error(`'stick ${kind} ${keyText}': ${problem.message}`);
  (ctx.proxy.stickRules ??= []).push({ kind, key: key.value.sample, table: table ?? ctx.proxy.name, ...(split.cond === undefined ? {} : { cond: split.cond }), loc: ctx.loc });
}
