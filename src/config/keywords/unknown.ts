// A line whose keyword handoff's tables do not have. Either HAProxy knows it too and handoff does
// not implement it — an error naming the missing feature, or a warning when ignoring it cannot
// change traffic, health, persistence or security — or nobody knows it: a misspelling, an error
// with HAProxy's "did you mean … maybe ?".
import { didYouMean } from '../suggest.ts';
import { HAPROXY_GLOBAL, HAPROXY_OPTION, HAPROXY_PROXY, HAPROXY_TIMEOUT } from './haproxy-names.ts';
import type { Reporter } from './types.ts';

/** HAProxy global keywords handoff does not implement whose absence changes nothing a client or a server sees. */
export const HARMLESS_GLOBAL: ReadonlySet<string> = new Set([
  'busy-polling', 'close-spread-time', 'cluster-secret', 'fd-hard-limit', 'grace', 'h1-case-adjust-file',
  'httpclient.resolvers.id', 'httpclient.resolvers.prefer', 'httpclient.ssl.ca-file', 'httpclient.ssl.verify',
  'insecure-setuid-wanted', 'maxcompcpuusage', 'maxcomprate', 'maxpipes', 'maxzlibmem',
  'mworker-max-reloads', 'no-memory-trimming', 'noevports', 'nokqueue', 'numa-cpu-mapping', 'pp2-never-send-local',
  'profiling.tasks', 'ssl-mode-async', 'ssl-skip-self-issued-ca', 'strict-limits', 'thread-group', 'thread-groups',
  'h2-workaround-bogus-websocket-clients',
]);

/** Likewise for proxy keywords: logging details and TCP keep-alive probes. */
export const HARMLESS_PROXY: ReadonlySet<string> = new Set([
  'error-log-format', 'log-format-sd', 'clitcpka-cnt', 'clitcpka-idle', 'clitcpka-intvl',
  'srvtcpka-cnt', 'srvtcpka-idle', 'srvtcpka-intvl', 'max-session-srv-conns',
  // Only meaningful with `cookie … dynamic`, which handoff refuses.
  'dynamic-cookie-key',
]);

/** `option` words HAProxy has that only tune TCP, HTTP/2 or logging. */
export const HARMLESS_OPTION: ReadonlySet<string> = new Set(['disable-h2-upgrade', 'idle-close-on-response', 'tcp-smart-accept', 'tcp-smart-connect', 'httpslog']);

function known(name: string, harmless: boolean, rep: Reporter): void {
  if (harmless) rep.warn(`'${name}' is not implemented by handoff and has no effect on traffic; ignored`);
  else rep.error(`'${name}' is not supported by handoff; refusing to run without what it does (see docs/config.md)`);
}

/** `words`: the line without a leading `no`. `handoff`: the first words of handoff's own global keywords. */
export function reportUnknownGlobal(words: readonly string[], handoff: Iterable<string>, rep: Reporter): void {
  const name = words[0] ?? '';
  if (name === 'stats') return rep.error(`'stats' in the global section supports 'socket', 'timeout', 'maxconn' and 'bind-process' (got '${words[1] ?? ''}')`);
  // Every tune.* HAProxy has sizes a buffer, a pool or a queue: no effect on what is sent.
  if (HAPROXY_GLOBAL.has(name)) return known(name, HARMLESS_GLOBAL.has(name) || name.startsWith('tune.'), rep);
  rep.error(`unknown keyword '${name}' in 'global' section${didYouMean(name, [...handoff, ...HAPROXY_GLOBAL])}`);
}

/** An unknown line of a proxy section (`kind`); `handoff` lists handoff's own keyword names (multi-word included). */
export function reportUnknownProxy(words: readonly string[], kind: string, handoff: readonly string[], rep: Reporter): void {
  const [w0 = '', w1 = ''] = words;
  if (w0 === 'option') {
    const ours = handoff.filter((n) => n.startsWith('option ')).map((n) => n.slice(7));
    if (HAPROXY_OPTION.has(w1)) return known(`option ${w1}`, HARMLESS_OPTION.has(w1), rep);
    return rep.error(`unknown option '${w1}'${didYouMean(w1, [...ours, ...HAPROXY_OPTION])}`);
  }
  if (w0 === 'timeout') {
    if (HAPROXY_TIMEOUT.has(w1)) return known(`timeout ${w1}`, false, rep);
    const list = [...HAPROXY_TIMEOUT].map((t) => `'${t}'`).join(', ');
    return rep.error(`'timeout' supports ${list} (got '${w1}')${didYouMean(w1, HAPROXY_TIMEOUT)}`);
  }
  if (w0 === 'stats') {
    const ours = handoff.filter((n) => n.startsWith('stats ')).map((n) => n.slice(6));
    return rep.error(`unknown stats parameter '${w1}'${didYouMean(w1, ours)}`);
  }
  if (HAPROXY_PROXY.has(w0)) return known(w0, HARMLESS_PROXY.has(w0), rep);
  const firstWords = handoff.filter((n) => !n.includes(' '));
  rep.error(`unknown keyword '${w0}' in '${kind}' section${didYouMean(w0, [...firstWords, ...HAPROXY_PROXY])}`);
}
