// `balance` and `hash-type`: the load-balancing algorithm of a backend, its arguments, and how the
// hash-based ones map a hash onto the servers.
import type { BalanceAlgorithm, BalanceOptions, HashType } from '../model.ts';
import { parseInteger } from '../units.ts';
import { parseSample, scopeProblem } from '../sample.ts';
import { locateSampleFiles } from '../sample-files.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_SIDE } from './types.ts';

const ALGORITHMS: readonly string[] = ['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random', 'uri', 'url_param', 'hdr(NAME)', 'hash EXPR'];
/** HAProxy algorithms handoff does not implement yet: each is a form of persistence, so it is refused. */
const REFUSED = ['rdp-cookie'];
const SIMPLE: readonly BalanceAlgorithm[] = ['roundrobin', 'static-rr', 'leastconn', 'source', 'first'];
const HASH_FUNCTIONS: readonly HashType['fn'][] = ['sdbm', 'djb2', 'wt6', 'crc32'];

type Read = { algo: BalanceAlgorithm; options: BalanceOptions } | { error: string };

/** `uri [len N] [depth N] [whole] [path-only]`. */
function readUri(args: readonly string[]): Read {
  const options: BalanceOptions = {};
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    if (w === 'whole') options.uriWhole = true;
    else if (w === 'path-only') options.uriPathOnly = true;
    else if (w === 'len' || w === 'depth') {
      const n = parseInteger(args[i + 1], 1, 1_000_000);
      if (!n.ok) return { error: `'balance uri ${w}' expects a positive integer (${n.error})` };
      if (w === 'len') options.uriLen = n.value;
      else options.uriDepth = n.value;
      i++;
    } else return { error: `'balance uri' only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '${w}')` };
  }
  return { algo: 'uri', options };
}

/** `hash EXPR`: a request sample expression. */
function readHash(args: readonly string[], ctx: ProxyContext): Read {
  const [text, ...rest] = args;
  if (text === undefined) return { error: "'balance hash' expects a sample expression, e.g. 'balance hash req.cook(SESSIONID)'" };
  if (rest.length > 0) return { error: `'balance hash': unexpected '${rest.join(' ')}' after the expression (write it as one word)` };
  const parsed = parseSample(text);
  if (!parsed.ok) return { error: `'balance hash ${text}': ${parsed.error}` };
  const problem = scopeProblem(parsed.value.sample, ctx.proxy.mode === 'tcp' ? 'tcp' : 'request');
  if (problem !== undefined) return { error: `'balance hash ${text}': ${problem.message}` };
  locateSampleFiles(parsed.value.sample, ctx.loc);
  return { algo: 'hash', options: { expr: parsed.value.sample } };
}

function readAlgorithm(word: string, args: readonly string[], ctx: ProxyContext): Read {
  const simple = SIMPLE.find((a) => a === word);
  if (simple !== undefined) {
    if (args.length > 0) ctx.warn(`extra arguments after 'balance ${word}' are ignored`);
    return { algo: simple, options: {} };
  }
  const random = /^random(?:\((\d+)\))?$/.exec(word);
  if (random !== null) {
    const draws = random[1] === undefined ? 2 : Number(random[1]);
    if (draws < 1) return { error: `'balance random(${random[1] ?? ''})': the number of draws must be at least 1` };
    return { algo: 'random', options: { draws } };
  }
  if (word === 'uri') return readUri(args);
  if (word === 'url_param') {
    const [param, ...rest] = args;
    if (param === undefined) return { error: "'balance url_param' requires a URL parameter name" };
    if (rest[0] === 'check_post') return { error: "'balance url_param … check_post' is not supported by handoff (the body is not inspected); hash the query string parameter only" };
    if (rest.length > 0) ctx.warn(`extra arguments after 'balance url_param ${param}' are ignored`);
    return { algo: 'url_param', options: { param } };
  }
  const hdr = /^hdr\((.+)\)$/.exec(word);
  if (hdr !== null) {
    if (args.length > 0 && (args[0] !== 'use_domain_only' || args.length > 1)) return { error: `'balance ${word}' only accepts 'use_domain_only' (got '${args.join(' ')}')` };
    return { algo: 'hdr', options: { header: (hdr[1] as string).toLowerCase(), ...(args[0] === 'use_domain_only' ? { domainOnly: true } : {}) } };
  }
  if (word === 'hash') return readHash(args, ctx);
  if (word === 'hdr') return { error: "'balance hdr' requires a header name in parentheses, e.g. 'balance hdr(host)'" };
  const base = word.replace(/\(.*\)$/, '');
  if (REFUSED.includes(base)) return { error: `'balance ${word}' is not supported by handoff yet (hash-based persistence); supported: ${ALGORITHMS.join(', ')}` };
  return { error: `unknown balance algorithm '${word}' (expected ${ALGORITHMS.join(', ')})` };
}

/** `hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]`; consistent alone means sdbm + avalanche (HAProxy). */
function readHashType(args: readonly string[]): HashType | { error: string } {
  const [method, ...rest] = args;
  if (method !== 'map-based' && method !== 'consistent') return { error: `'hash-type' expects 'map-based' or 'consistent', got '${method ?? ''}'` };
  if (rest.length === 0) return { method, fn: 'sdbm', avalanche: method === 'consistent' };
  const fn = HASH_FUNCTIONS.find((f) => f === rest[0]);
  if (fn === undefined) return { error: `'hash-type ${method}': unknown hash function '${rest[0] ?? ''}' (expected ${HASH_FUNCTIONS.join(', ')})` };
  if (rest.length > 2 || (rest[1] !== undefined && rest[1] !== 'avalanche')) return { error: `'hash-type ${method} ${fn}': unknown modifier '${rest.slice(1).join(' ')}' (expected 'avalanche')` };
  return { method, fn, avalanche: rest[1] === 'avalanche' };
}

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'balance',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const [word, ...args] = ctx.args;
      if (word === undefined) return ctx.error(`'balance' expects an algorithm: ${ALGORITHMS.join(', ')}`);
      const r = readAlgorithm(word, args, ctx);
      if ('error' in r) return ctx.error(r.error);
      ctx.proxy.balance = r.algo;
      ctx.proxy.balanceOptions = r.options;
    },
  },
  {
    name: 'hash-balance-factor',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const n = parseInteger(ctx.args[0], 0, 1_000_000);
      if (!n.ok || ctx.args.length !== 1) return ctx.error(`'hash-balance-factor' expects a percentage (0: off, else greater than 100)${n.ok ? '' : `: ${n.error}`}`);
      if (n.value > 0 && n.value <= 100) return ctx.error(`'hash-balance-factor' must be 0 or greater than 100 (got ${n.value})`);
      ctx.proxy.hashBalanceFactor = n.value;
    },
  },
  {
    name: 'hash-type',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const h = readHashType(ctx.args);
      if ('error' in h) return ctx.error(h.error);
      ctx.proxy.hashType = h;
    },
  },
];
