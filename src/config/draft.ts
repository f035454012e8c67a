// The mutable, per-section state keyword parsers fill in. Once every line is read, validate.ts
// checks the drafts and resolves what needs the whole configuration (TLS defaults), and build.ts
// turns them into the plain-data model (when `log global` and errorfile paths can be resolved).
import type { StickTableDef } from '../stick/types.ts';
import type { Resolvers, StickRule, TcpConnectionRule } from './model.ts';
import type {
  BalanceAlgorithm, BalanceOptions, Compression, Condition, CookiePersistence, HashType, TcpContentRule, ForwardForOptions, GlobalConfig, HealthCheck, HttpReply, HttpRule, Location, LogTarget, Mode,
  PersistRule, Predicate, Redirect, RetryOn, Server, Template, Timeouts, TlsVersion, UnixSocketFile, Userlist,
} from './model.ts';
import type { CheckHttpSend, CheckKind, CheckRule } from './health-model.ts';

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

/** Used when a proxy sets no timeout, as HAProxy's sample configurations do (documented). */
export const DEFAULT_TIMEOUTS = { connect: 5000, client: 50_000, server: 50_000 } as const;

/** A frontend or listen section: it accepts connections. */
export function hasFrontend(kind: ProxyKind): boolean {
  return kind === 'frontend' || kind === 'listen';
}

/** A backend or listen section: it has servers (a listen is a frontend and a backend of one name). */
export function hasBackend(kind: ProxyKind): boolean {
  return kind === 'backend' || kind === 'listen';
}

/** TLS protocol options as written (`ssl-default-bind-options`, or on a `bind` line). */
export interface TlsOptionsDraft {
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** `no-tlsvXX` */
  disabled: TlsVersion[];
  /** `force-tlsvXX` */
  force?: TlsVersion;
  noTlsTickets: boolean;
  ciphers?: string;
  ciphersuites?: string;
  /** `curves` / `ecdhe`: the key-exchange groups offered, OpenSSL's colon-separated names. */
  curves?: string;
  /** `sigalgs`: signature algorithms, OpenSSL's colon-separated names. */
  sigalgs?: string;
  /** `prefer-client-ciphers`: the client's cipher order wins (default: the server's). */
  preferClientCiphers?: boolean;
  strictSni?: boolean;
}

export interface GlobalDraft {
  config: GlobalConfig;
  sslDefaultBind: TlsOptionsDraft;
  /** `userlist` sections, by name. */
  userlists: Record<string, Userlist>;
  /** `resolvers` sections, by name. */
  resolvers: Record<string, Resolvers>;
  /** `http-errors` sections, by name: status code → errorfile. */
  httpErrors: Record<string, { errorfiles: Record<string, { path: string; loc: Location }>; loc: Location }>;
  /** Rules whose reply names a file or an http-errors section, resolved once every section is read. */
  pendingReplies: PendingReply[];
  /** `unix-bind`: defaults for every unix-socket bind parsed after it (`prefix` joined to the path). */
  unixBind?: Omit<UnixSocketFile, 'path'> & { prefix?: string };
  /** `default-path`: what relative file names resolve against (absent: the main file's directory). */
  defaultPath?: { kind: 'current' | 'config' | 'parent' } | { kind: 'origin'; path: string };
}

/** A rule whose reply comes from a file (`errorfile F`, `file F`, `lf-file F`) or an http-errors section (`errorfiles NAME`). */
export interface PendingReply {
  /** The rule; its `reply` is replaced (errorfiles) or its body filled (files) once resolved. */
  holder: { reply: HttpReply };
  source: { errorfile: string } | { section: string } | { file: string; lf: boolean };
  loc: Location;
}

/** Where a proxy's response for one status comes from; the last line for a code wins. */
export type ErrorfileDraft =
  /** `errorfile CODE FILE`. */
  | { path: string; loc: Location }
  /** `errorloc` / `errorloc302` / `errorloc303 CODE URL`: a redirect instead of the page. */
  | { redirect: string; code: 302 | 303; loc: Location }
  /** `errorfiles NAME [CODE…]`: the section's file for the code, resolved once every section is read;
   * without it, `previous` stands (`explicit`: the code was listed, which HAProxy warns about). */
  | { section: string; explicit: boolean; previous?: ErrorfileDraft; loc: Location };

export interface BindDraft {
  key: string;
  /** A TCP bind's address ('' and 0 on a unix bind). */
  host: string;
  port: number;
  /** A unix socket: its path and file settings (the bind's over `unix-bind`'s). */
  unix?: UnixSocketFile;
  /** `id N`: the listener id; validation numbers the others as HAProxy does (`luid`). */
  id?: number;
  luid?: number;
  ssl: boolean;
  crts: { path: string; loc: Location }[];
  tls: TlsOptionsDraft;
  alpn?: string[];
  /** `verify`, `ca-file`, `crl-file`, `*-ignore-err` as written. */
  clientVerify?: { mode?: 'none' | 'optional' | 'required'; ca?: string; crl?: string; caIgnore?: number[] | 'all'; crtIgnore?: number[] | 'all' };
  /** `crt-list FILE`, each after the `crt`s written before it (`order`: how many). */
  crtLists?: { path: string; loc: Location; order: number }[];
  maxconn?: number;
  acceptProxy?: boolean;
  loc: Location;
  /** Set by validation on an `ssl` bind whose TLS versions resolve. */
  resolvedTls?: ResolvedTls;
}

export interface ResolvedTls {
  /** The bind's options over `ssl-default-bind-*`. */
  options: TlsOptionsDraft;
  /** The contiguous range Node.js enables. */
  versions: { min: TlsVersion; max: TlsVersion };
}

/** What `server` and `default-server` options set: the model's server without its identity. */
export type ServerParams = Omit<Server, 'id' | 'name' | 'host' | 'port' | 'portOffset' | 'loc'>;

export interface ServerDraft extends ServerParams {
  name: string;
  host: string;
  /** Absent when the address has no port: then `portOffset` (0 for none) maps the client's destination port. */
  port?: number;
  portOffset?: number;
  loc: Location;
}

/** A log target, or the `log global` marker resolved against the global section at the end. */
export type LogEntry = LogTarget | 'global';

export interface StatsDraft {
  enabled: boolean;
  uri?: string;
  realm?: string;
  auth: { user: string; password: string }[];
  refresh?: number;
  /** `stats admin if|unless COND`, in order: the first that holds makes the request an admin's. */
  admin?: Condition[];
  /** `stats scope NAME` as written (`.`: the proxy serving the page). */
  scope?: string[];
  hideVersion?: boolean;
  showLegends?: boolean;
  /** `stats show-node [NAME]`: '' for the host's name. */
  showNode?: string;
  showDesc?: string;
  loc?: Location;
}

export interface ProxyDraft {
  kind: ProxyKind;
  name: string;
  loc: Location;
  /** `disabled` (HAProxy: the proxy is not started): a frontend does not listen, a backend has no usable server. */
  disabled?: boolean;
  /** `stick-table` (keywords/stick.ts). */
  stickTable?: StickTableDef;
  /** `tcp-request content track-sc*` lines of an http proxy: the first http-request rules (keywords/stick.ts). */
  contentTracks?: HttpRule[];
  mode: Mode;
  modeLoc?: Location;
  binds: BindDraft[];
  /** A bind line was seen (even an invalid one): avoids a second, misleading "no bind" error. */
  hasBindLine?: boolean;
  /** `inherited`: set by a `defaults` section (a listen's own backend then takes precedence). */
  defaultBackend?: { name: string; loc: Location; inherited?: boolean };
  useBackends: { backend: string | Template; cond?: Condition; loc: Location }[];
  /** `tcp-request connection expect-proxy layer4 [if|unless COND]` rules, in order. */
  expectProxy?: { cond?: Condition; loc: Location }[];
  /** `tcp-request connection accept|reject|track-scN` rules, in order. */
  tcpConnection?: TcpConnectionRule[];
  /** `tcp-request inspect-delay` (ms) and `tcp-request content accept|reject` rules. */
  inspectDelay?: number;
  tcpContent?: TcpContentRule[];
  /** `compression …` lines (a defaults section's algorithms and types are inherited, not `offload`). */
  compression?: Compression;
  /** Named ACLs: each definition line adds one predicate (definitions with one name are ORed). */
  acls: Record<string, Predicate[]>;
  httpRequest: HttpRule[];
  httpResponse: HttpRule[];
  httpAfterResponse: HttpRule[];
  redirects: Redirect[];
  /** `monitor-uri` and the `monitor fail` conditions after it. */
  monitor?: { uri?: string; fail: Condition[] };
  forwardFor: boolean;
  forwardForHeader?: string;
  forwardForOptions?: ForwardForOptions;
  /** HAProxy's HTTP connection modes: the last `option` among them wins. */
  httpConnectionMode: 'keep-alive' | 'server-close' | 'close';
  redispatch: boolean;
  redispatchInterval: number;
  retryOn: RetryOn;
  logs: LogEntry[];
  /** `log-tag` of this proxy (or its defaults). */
  logTag?: string;
  /** `inherited`: came from a `defaults` section (a proxy's own log option then replaces it). */
  logFormat?: { format: string; loc: Location; inherited?: boolean };
  logOption?: { kind: 'httplog' | 'tcplog' | 'httplog-clf'; loc: Location };
  dontLogNull: boolean;
  timeouts: Partial<Timeouts>;
  maxconn?: number;
  retries: number;
  errorfiles: Record<string, ErrorfileDraft>;
  /** `load-server-state-from-file`, `server-state-file-name` (src/config/keywords/server-state.ts). */
  loadServerState?: 'global' | 'local' | 'none';
  serverStateFileName?: string;
  stats: StatsDraft;
  balance: BalanceAlgorithm;
  balanceOptions: BalanceOptions;
  hashType: HashType;
  hashBalanceFactor?: number;
  cookie?: CookiePersistence;
  persist: boolean;
  persistRules?: PersistRule[];
  stickRules?: StickRule[];
  servers: ServerDraft[];
  defaultServer: ServerParams;
  /** Health-check lines as written; validation resolves them into `healthCheck`. */
  checks: HealthCheckDraft;
  healthCheck: HealthCheck;
}

/** `option httpchk` / `http-check send` as written: unset fields take HAProxy's defaults when resolved. */
export interface HttpSendDraft extends Omit<CheckHttpSend, 'method' | 'uri' | 'version' | 'body'> {
  method?: string;
  uri?: string;
  version?: string;
  body?: string;
  /** The implicit request of an `option httpchk` line, merged into the first `http-check send`. */
  fromOption: boolean;
}

export type CheckRuleDraft = Exclude<CheckRule, CheckHttpSend> | HttpSendDraft | { action: 'comment'; text: string };

/** A section's `http-check` or `tcp-check` rules. */
export interface CheckRulesDraft {
  rules: CheckRuleDraft[];
  /** False while they are the defaults' rules: the section's first line starts its own list (as in HAProxy). */
  own: boolean;
  /** The section's first line of its own list. */
  loc?: Location;
}

export interface HealthCheckDraft {
  /** Set by the last `option httpchk|tcp-check|…-check` line. */
  kind: CheckKind;
  http: CheckRulesDraft;
  tcp: CheckRulesDraft;
  /** The rules of a protocol check (`option redis-check` …), built by its option line. */
  protocol: CheckRule[];
  disableOn404: boolean;
}

export function emptyTlsOptions(): TlsOptionsDraft {
  return { disabled: [], noTlsTickets: false };
}

export function newGlobalDraft(): GlobalDraft {
  return {
    userlists: {},
    resolvers: {},
    httpErrors: {},
    pendingReplies: [],
    config: { statsSockets: [], logTargets: [], daemon: false },
    sslDefaultBind: emptyTlsOptions(),
  };
}

/** What every proxy section starts empty, whatever the defaults in force. */
function ownLists(): Pick<ProxyDraft, 'binds' | 'useBackends' | 'acls' | 'httpRequest' | 'httpResponse' | 'httpAfterResponse' | 'redirects' | 'servers'> {
  return { binds: [], useBackends: [], acls: {}, httpRequest: [], httpResponse: [], httpAfterResponse: [], redirects: [], servers: [] };
}

/** HAProxy's built-in defaults: what a proxy gets when no `defaults` section precedes it. */
export function builtinDefaults(loc: Location): ProxyDraft {
  return {
    kind: 'defaults',
    name: '',
    loc,
    // HAProxy's own default is tcp; `mode http` is almost always set in `defaults`.
    mode: 'tcp',
    ...ownLists(),
    forwardFor: false,
    httpConnectionMode: 'keep-alive',
    redispatch: false,
    redispatchInterval: -1,
    retryOn: { conditions: ['conn-failure'], statuses: [] },
    logs: [],
    dontLogNull: false,
    timeouts: {},
    retries: 3,
    errorfiles: {},
    stats: { enabled: false, auth: [] },
    balance: 'roundrobin',
    balanceOptions: {},
    hashType: { method: 'map-based', fn: 'sdbm', avalanche: false },
    persist: false,
    defaultServer: {
      check: false, inter: 2000, rise: 2, fall: 3, weight: 1, backup: false, disabled: false,
      observe: 'none', errorLimit: 10, onError: 'fail-check',
    },
    checks: { kind: 'connect', http: { rules: [], own: false }, tcp: { rules: [], own: false }, protocol: [], disableOn404: false },
    healthCheck: { kind: 'connect', rules: [{ action: 'connect', implicit: true }], disableOn404: false },
  };
}

/** Where a frontend half sends what no rule routes: a listen's own backend half (`own`), unless
 * the listen names one itself (one inherited from `defaults` does not count). */
export function defaultBackendOf(p: ProxyDraft): { name: string; loc: Location; own: boolean } | undefined {
  if (p.kind === 'listen' && (p.defaultBackend === undefined || p.defaultBackend.inherited === true)) return { name: p.name, loc: p.loc, own: true };
  return p.defaultBackend === undefined ? undefined : { name: p.defaultBackend.name, loc: p.defaultBackend.loc, own: false };
}

/** A new proxy section starts as a copy of the defaults in force; per-proxy lists start empty. */
export function proxyFromDefaults(defaults: ProxyDraft, kind: ProxyKind, name: string, loc: Location): ProxyDraft {
  const copy = structuredClone(defaults);
  if (copy.logFormat !== undefined) copy.logFormat.inherited = true;
  if (copy.defaultBackend !== undefined) copy.defaultBackend.inherited = true;
  copy.checks.http.own = false;
  copy.checks.tcp.own = false;
  if (copy.compression !== undefined) copy.compression.offload = false;
  return { ...copy, kind, name, loc, ...ownLists() };
}
