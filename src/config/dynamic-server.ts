// `add server BACKEND/NAME ADDR [options]` (runtime API): the server line of a configuration read
// by the same reader (keywords/server.ts), with HAProxy 2.6's rules for dynamic servers: the
// backend balances with a dynamic algorithm, only the options HAProxy accepts on a dynamic server,
// and no `default-server` settings inherited.
import type { Backend, BalanceAlgorithm, Server } from './model.ts';
import { builtinDefaults, type ProxyDraft } from './draft.ts';
import { parseServer } from './keywords/server.ts';
import { serverModel } from './build.ts';
import { newGlobalDraft } from './draft.ts';

/** HAProxy's BE_LB_PROP_DYN: the algorithms whose servers can change at run time. */
const DYNAMIC_ALGORITHMS: ReadonlySet<BalanceAlgorithm> = new Set(['roundrobin', 'leastconn', 'first', 'random']);

/** The server options HAProxy 2.6 accepts on `add server` (management.txt, `dynamic_ok`). */
const DYNAMIC_OK: ReadonlySet<string> = new Set([
  'agent-addr', 'agent-check', 'agent-inter', 'agent-port', 'agent-send', 'allow-0rtt', 'alpn', 'addr', 'backup', 'ca-file',
  'check', 'check-alpn', 'check-proto', 'check-send-proxy', 'check-sni', 'check-ssl', 'check-via-socks4', 'ciphers',
  'ciphersuites', 'crl-file', 'crt', 'disabled', 'downinter', 'enabled', 'error-limit', 'fall', 'fastinter',
  'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'id', 'inter', 'maxconn', 'maxqueue',
  'minconn', 'no-ssl-reuse', 'no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'no-tls-tickets', 'npn',
  'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-low-conn', 'pool-max-conn', 'pool-purge-delay', 'port',
  'proto', 'proxy-v2-options', 'rise', 'send-proxy', 'send-proxy-v2', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn',
  'slowstart', 'sni', 'source', 'ssl', 'ssl-max-ver', 'ssl-min-ver', 'tfo', 'tls-tickets', 'track', 'usesrc', 'verify',
  'verifyhost', 'weight', 'ws',
]);

/** Options of a configuration's server line that HAProxy refuses on `add server`. */
const CONFIG_ONLY: ReadonlySet<string> = new Set([
  'cookie', 'redir', 'resolvers', 'resolve-prefer', 'resolve-opts', 'resolve-net', 'init-addr', 'namespace', 'socks4',
  'log-proto', 'max-reuse', 'no-check', 'no-backup', 'no-agent-check', 'no-send-proxy', 'no-send-proxy-v2', 'no-ssl',
  'no-verifyhost', 'no-check-ssl', 'no-check-send-proxy', 'no-tfo', 'non-stick', 'stick',
]);

/** Hash-based algorithms: dynamic with `hash-type consistent` (HAProxy's chash), static map-based. */
const HASH_ALGORITHMS: ReadonlySet<BalanceAlgorithm> = new Set(['source', 'uri', 'url_param', 'hdr', 'hash']);

export function isDynamicAlgorithm(lb: BalanceAlgorithm | Pick<Backend, 'balance' | 'hashType'>): boolean {
  if (typeof lb === 'string') return DYNAMIC_ALGORITHMS.has(lb);
  return DYNAMIC_ALGORITHMS.has(lb.balance) || (HASH_ALGORITHMS.has(lb.balance) && lb.hashType.method === 'consistent');
}

export type DynamicServer = { ok: true; server: Server; warnings: string[] } | { ok: false; error: string };

/** Read `add server`'s words after `BACKEND/NAME`: the address and options, for `backend`. */
export function parseDynamicServer(backend: Backend, name: string, words: readonly string[]): DynamicServer {
  const [addr, ...opts] = words;
  if (name === '' || addr === undefined) return { ok: false, error: "'server' expects <name> and <addr>[:<port>] as arguments." };
  const refused = opts.find((w) => CONFIG_ONLY.has(w) && !DYNAMIC_OK.has(w));
  if (refused !== undefined) return { ok: false, error: `'${refused}' option is not accepted for dynamic server` };
  const loc = { file: 'runtime API', line: 0 };
  // No `default-server` of the backend: the built-in defaults only, as HAProxy.
  const proxy: ProxyDraft = { ...builtinDefaults(loc), kind: 'backend', name: backend.name, mode: backend.mode };
  const errors: string[] = [];
  const warnings: string[] = [];
  parseServer({
    keyword: 'server', args: [name, addr, ...opts], negated: false, loc, global: newGlobalDraft(), proxy,
    warn: (m) => warnings.push(m),
    error: (m) => errors.push(m),
  });
  const draft = proxy.servers[0];
  if (errors.length > 0 || draft === undefined) return { ok: false, error: errors[0] ?? 'invalid server line' };
  // Its CA and certificate files would have to be read by the master, and verified as at load.
  if (draft.ssl === true || draft.checkSsl === true) return { ok: false, error: "'ssl' and 'check-ssl' on a server added at runtime are not supported by handoff yet: TLS to servers (add the server to the configuration and reload)" };
  if (draft.port === undefined && backend.mode === 'http') return { ok: false, error: `server '${name}' needs a port in a 'mode http' backend (e.g. ${draft.host}:80)` };
  return { ok: true, server: serverModel(backend.name, draft, draft.port ?? 0), warnings };
}
