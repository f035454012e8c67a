// The validated configuration model. The parser produces it, the master loads every file it names
// (certificates, errorfiles) into it, and workers receive it over IPC: it must stay plain data
// (JSON-serialisable: no Maps, no Buffers, no functions). All durations are milliseconds.

export interface Location {
  file: string;
  line: number;
}

export type Severity = 'error' | 'warning' | 'notice';

export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  message: string;
}

export type Mode = 'http' | 'tcp';

export type LogTarget =
  | { kind: 'stdout' | 'stderr'; facility: string; level?: string }
  | { kind: 'udp'; host: string; port: number; facility: string; level?: string }
  | { kind: 'unix'; path: string; facility: string; level?: string };

export interface StatsSocket {
  path: string;
  mode?: number;
  level: 'user' | 'operator' | 'admin';
  exposeFdListeners: boolean;
  /** `maxconn` on the socket line: clients served at once (default: `stats maxconn`). */
  maxconn?: number;
  /** `backlog` on the socket line: clients waiting for a slot (default: its maxconn). */
  backlog?: number;
  loc: Location;
}

export interface GlobalConfig {
  maxconn?: number;
  /** `nbthread` / `nbproc`: number of workers per generation (CLI `--workers` overrides). */
  workers?: number;
  /** `hard-stop-after`: upper bound on a draining generation's life. */
  hardStopAfter?: number;
  /** `zero-warning`: any configuration warning is fatal. */
  zeroWarning?: boolean;
  statsSockets: StatsSocket[];
  /** `stats timeout`: a runtime-API client idle this long is closed (default 10 s). */
  statsTimeout?: number;
  /** `stats maxconn`: runtime-API clients served at once per socket (default 10). */
  statsMaxconn?: number;
  logTargets: LogTarget[];
  user?: string;
  group?: string;
  daemon: boolean;
  chroot?: string;
  pidfile?: string;
  caBase?: string;
  crtBase?: string;
  dhParamBits?: number;
  /** `tune.bufsize` (default 16384): a request head must fit in it, less `tune.maxrewrite`. */
  bufsize?: number;
  /** `tune.maxrewrite` (default 1024 here; HAProxy's is half of bufsize up to 1024). */
  maxrewrite?: number;
  /** `tune.http.maxhdr` (default 101): most header lines in a request. */
  maxHeaders?: number;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsCertificate {
  /** Resolved absolute path of the PEM (certificate chain + private key, as HAProxy's `crt`). */
  path: string;
  /** File contents, read by the master; empty until the config is loaded. */
  pem: string;
}

export interface TlsBind {
  certificates: TlsCertificate[];
  /** OpenSSL cipher list for TLS <= 1.2 (`ciphers` on bind, else `ssl-default-bind-ciphers`). */
  ciphers?: string;
  /** TLS 1.3 cipher suites (`ciphersuites`, else `ssl-default-bind-ciphersuites`). */
  ciphersuites?: string;
  /** Key-exchange groups (`curves`, `ecdhe`, `ssl-default-bind-curves`), colon-separated. */
  curves?: string;
  /** Signature algorithms (`sigalgs`), colon-separated. */
  sigalgs?: string;
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  alpn?: string[];
  /** `no-tls-tickets`: disable RFC 5077 session tickets on this listener. */
  noTlsTickets?: boolean;
}

export interface Bind {
  /** Stable key of the listening socket, e.g. `0.0.0.0:443` or `[::]:80`: same key, same socket. */
  key: string;
  /** Address to bind; `0.0.0.0` for `*` / empty. */
  host: string;
  port: number;
  tls?: TlsBind;
  /** Bind-line `maxconn`: connections at once on this socket, over the whole process tree. */
  maxconn?: number;
  loc: Location;
}

/** One term of an ACL condition; terms of a condition are ANDed (HAProxy's default). */
export type Predicate =
  | { fetch: 'ssl_fc' }
  | { fetch: 'always_true' | 'always_false' }
  | {
      fetch: 'path' | 'path_beg' | 'path_end' | 'hdr_host' | 'method';
      values: string[];
      /** ACL flag `-i`: compare case-insensitively (hdr_host always is). */
      ignoreCase?: boolean;
    };

export interface ConditionTerm {
  negate: boolean;
  predicate: Predicate;
}

export interface Condition {
  /** `unless` inverts the whole condition. */
  unless: boolean;
  /** OR of AND-groups (`||` / `or` separate groups). */
  anyOf: ConditionTerm[][];
}

export interface HeaderRule {
  action: 'add-header' | 'set-header' | 'del-header';
  name: string;
  /** Literal value (HAProxy log-format expressions are not expanded); unused for del-header. */
  value: string;
  cond?: Condition;
  loc: Location;
}

export type Redirect =
  | { kind: 'scheme'; scheme: string; code: number; cond?: Condition; loc: Location }
  | { kind: 'location' | 'prefix'; target: string; code: number; cond?: Condition; loc: Location };

export interface Timeouts {
  connect: number;
  client: number;
  server: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  tunnel?: number;
  queue?: number;
  /** `timeout check`: extra time allowed for a health-check response (else `inter`). */
  check?: number;
}

export interface StatsPage {
  uri: string;
  realm: string;
  /** `user:password` pairs for basic auth; empty means no auth. */
  auth: { user: string; password: string }[];
  refresh?: number;
}

export interface Frontend {
  name: string;
  mode: Mode;
  binds: Bind[];
  defaultBackend?: string;
  useBackends: { backend: string; cond?: Condition }[];
  requestRules: HeaderRule[];
  responseRules: HeaderRule[];
  redirects: Redirect[];
  forwardFor: boolean;
  /** `option forwardfor header NAME`: header name when it is not `X-Forwarded-For`. */
  forwardForHeader?: string;
  /** `option http-server-close`: server-side connections are not reused; client keep-alive stays. */
  httpServerClose: boolean;
  /** False when `option httpclose` / `option forceclose` forces `Connection: close` to clients. */
  clientKeepAlive: boolean;
  /** Compiled log format string, or null when this proxy does not log. */
  logFormat: string | null;
  logTargets: LogTarget[];
  dontLogNull: boolean;
  timeouts: Timeouts;
  maxconn?: number;
  /** Status code → full HTTP response text (HAProxy errorfile format), read by the master. */
  errorfiles: Record<string, string>;
  stats?: StatsPage;
  loc: Location;
}

export type BalanceAlgorithm = 'roundrobin' | 'static-rr' | 'leastconn' | 'source' | 'first' | 'random';

export interface Server {
  /** Stable identity across reloads: `backend/server`. Health and counters are keyed by it. */
  id: string;
  name: string;
  host: string;
  port: number;
  weight: number;
  check: boolean;
  /** Health-check interval (`inter`), default 2000. */
  inter: number;
  rise: number;
  fall: number;
  backup: boolean;
  disabled: boolean;
  maxconn?: number;
  /** Check interval while the server is transitional (going up or down), else `inter`. */
  fastinter?: number;
  /** Check interval while the server is fully down, else `inter`. */
  downinter?: number;
  /** Passive health (`observe`): which errors of real traffic count; `none` by default. */
  observe: Observe;
  /** `error-limit`: consecutive observed errors that trigger `on-error` (default 10). */
  errorLimit: number;
  /** `on-error`: what the master does when `error-limit` is reached (default fail-check). */
  onError: OnError;
  loc: Location;
}

export type Observe = 'none' | 'layer4' | 'layer7';
export type OnError = 'fastinter' | 'fail-check' | 'sudden-death' | 'mark-down';

/** `retry-on` events other than status codes. */
export type RetryCondition = 'conn-failure' | 'empty-response' | 'junk-response' | 'response-timeout' | '0rtt-rejected';

/** `retry-on`, expanded (`all-retryable-errors` is replaced by what it stands for). */
export interface RetryOn {
  conditions: RetryCondition[];
  /** Response status codes that are retried (the response head is held until decided). */
  statuses: number[];
}

export interface HealthCheck {
  /** `option httpchk [METHOD] [URI]`; absent means a TCP connect check. */
  http?: { method: string; path: string };
}

export interface Backend {
  name: string;
  mode: Mode;
  balance: BalanceAlgorithm;
  servers: Server[];
  retries: number;
  /** `retry-on` (HTTP mode; `mode tcp` retries connection failures only). Default: conn-failure. */
  retryOn: RetryOn;
  redispatch: boolean;
  /** `option redispatch <interval>`: >0 every Nth retry, <0 the Nth retry before the last
   * (default -1: the last), 0 only when the server is down or the algorithm is not a hash. */
  redispatchInterval: number;
  forwardFor: boolean;
  /** `option forwardfor header NAME`: header name when it is not `X-Forwarded-For`. */
  forwardForHeader?: string;
  httpServerClose: boolean;
  requestRules: HeaderRule[];
  responseRules: HeaderRule[];
  timeouts: Timeouts;
  healthCheck: HealthCheck;
  errorfiles: Record<string, string>;
  loc: Location;
}

export interface Config {
  /** Absolute path of the main configuration file. */
  file: string;
  global: GlobalConfig;
  frontends: Frontend[];
  backends: Backend[];
}

export interface LoadResult {
  /** Present only when there are no errors. */
  config?: Config;
  diagnostics: Diagnostic[];
}
