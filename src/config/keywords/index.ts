// The keyword registry: every subsystem's table, indexed by keyword. Multi-word keywords
// (`timeout client`, `option httplog`, `stats socket`) are looked up before single words.
import * as balance from './balance.ts';
import * as bind from './bind.ts';
import * as checkOptions from './check-options.ts';
import * as checks from './checks.ts';
import * as cookie from './cookie.ts';
import * as compression from './compression.ts';
import * as global from './global.ts';
import * as httpErrors from './http-errors.ts';
import * as httpRules from './http-rules.ts';
import * as monitor from './monitor.ts';
import * as log from './log.ts';
import * as options from './options.ts';
import * as proxy from './proxy.ts';
import * as server from './server.ts';
import * as serverState from './server-state.ts';
import * as stats from './stats.ts';
import * as timeouts from './timeouts.ts';
import * as tls from './tls.ts';
import type { GlobalKeyword, ProxyKeyword } from './types.ts';

function index<K extends { name: string }>(lists: K[][]): Map<string, K[]> {
  const map = new Map<string, K[]>();
  for (const list of lists) for (const k of list) map.set(k.name, [...(map.get(k.name) ?? []), k]);
  return map;
}

export const GLOBAL_KEYWORDS: ReadonlyMap<string, GlobalKeyword[]> = index([global.globalKeywords, log.globalKeywords, tls.globalKeywords, serverState.globalKeywords, compression.globalKeywords]);

export const PROXY_KEYWORDS: ReadonlyMap<string, ProxyKeyword[]> = index([
  proxy.proxyKeywords,
  bind.proxyKeywords,
  server.proxyKeywords,
  serverState.proxyKeywords,
  balance.proxyKeywords,
  timeouts.proxyKeywords,
  log.proxyKeywords,
  stats.proxyKeywords,
  httpRules.proxyKeywords,
  httpErrors.proxyKeywords,
  monitor.proxyKeywords,
  options.proxyKeywords,
  checkOptions.proxyKeywords,
  checks.proxyKeywords,
  cookie.proxyKeywords,
  compression.proxyKeywords,
]);

/** Find the keyword a line starts with: two words first (`timeout client`), then one. */
export function lookup<K>(table: ReadonlyMap<string, K[]>, words: readonly string[]): { name: string; defs: K[]; argStart: number } | undefined {
  const [w0, w1] = words;
  if (w0 === undefined) return undefined;
  if (w1 !== undefined) {
    const two = table.get(`${w0} ${w1}`);
    if (two !== undefined) return { name: `${w0} ${w1}`, defs: two, argStart: 2 };
  }
  const one = table.get(w0);
  if (one !== undefined) return { name: w0, defs: one, argStart: 1 };
  return undefined;
}
