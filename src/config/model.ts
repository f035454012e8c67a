// The validated configuration model. The parser produces it, the master loads every file it names
// (certificates, errorfiles) into it, and workers receive it over IPC: it must stay plain data
// (JSON-serialisable: no Maps, no Buffers, no functions). All durations are milliseconds.
import type { StickTableDef } from '../stick/types.ts';
import type { HealthCheck, OnMarkedDown, OnMarkedUp } from './health-model.ts';

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

/** `log … format F` (configuration.txt 4.2 "log"): the header written before each line. */
export type LogHeaderFormat = 'raw' | 'short' | 'priority' | 'timed' | 'iso' | 'local' | 'rfc3164' | 'rfc5424';

/** What a `log` line says besides where: header, length, sampling, levels, and the tag/hostname in force. */
export interface LogTargetOptions {
  /** Absent: rfc3164 to syslog, raw to stdout/stderr (handoff's default there; HAProxy's is rfc3164). */
  format?: LogHeaderFormat;
  /** `len N`: a line (header included) is cut to N bytes; HAProxy's default is 1024. */
  maxLen?: number;
  /** `sample R:S`: of every S lines, those whose position (1..S) is in the ranges are sent. */
  sample?: { ranges: [from: number, to: number][]; size: number };
  /** `MINLEVEL`: more severe messages are lowered to it. */
  minLevel?: string;
  /** `log-tag` of the proxy or global; absent: `haproxy`, which existing rsyslog rules match. */
  tag?: string;
  /** `log-send-hostname [NAME]` (global). */
  hostname?: string;
}

export type LogTarget = (
  | { kind: 'stdout' | 'stderr'; facility: string; level?: string }
  | { kind: 'udp'; host: string; port: number; facility: string; level?: string }
  | { kind: 'unix'; path: string; facility: string; level?: string }
) &
  LogTargetOptions;

export interface StatsSocket {
  /** A unix path, or a TCP address as written (`ipv4@127.0.0.1:9999`, `127.0.0.1:9999`, `ipv6@::1:9999`). */
  path: string;
  mode?: number;
  /** `user`/`uid`, `group`/`gid`: the unix socket's owner. */
  uid?: number;
  gid?: number;
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
  /** `server-state-file`: the global server state file (relative to `server-state-base`). */
  serverStateFile?: string;
  /** `server-state-base`: the directory relative server state file names are read from. */
  serverStateBase?: string;
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
  /** `log-tag` in global: every proxy's default tag. */
  logTag?: string;
  /** `log-send-hostname [NAME]`: the host field of rfc3164/rfc5424 headers. */
  logHostname?: string;
  user?: string;
  group?: string;
  daemon: boolean;
  chroot?: string;
  pidfile?: string;
  caBase?: string;
  crtBase?: string;
  /** `ssl-server-verify`: the `verify` of servers that set none (HAProxy's default: required). */
  sslServerVerify?: 'none' | 'required';
  /** `ssl-default-server-options` / `-ciphers` / `-ciphersuites`: what `ssl` servers inherit. */
  sslDefaultServer?: ServerTlsDefaults;
  dhParamBits?: number;
  /** `tune.bufsize` (default 16384): a request head must fit in it, less `tune.maxrewrite`. */
  bufsize?: number;
  /** `tune.maxrewrite` (default 1024 here; HAProxy's is half of bufsize up to 1024). */
  maxrewrite?: number;
  /** `tune.comp.maxlevel` (1–9, default 1 as HAProxy): the zlib level of response compression. */
  compLevel?: number;
  /** `tune.http.maxhdr` (default 101): most header lines in a request. */
  maxHeaders?: number;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsCertificate {
  /** Resolved absolute path of the PEM (certificate chain + private key, as HAProxy's `crt`). */
  path: string;
  /** File contents, read by the master; empty until the config is loaded. */
  pem: string;
  /** From a `crt-list` line: the SNI filters that replace the certificate's own names
   * (`!name`: excluded; `!*`: never chosen by name). */
  sniFilters?: string[];
}

/** A PEM file a TLS setting names (`ca-file`, `crl-file`, a server's `crt`), read by the master. */
export interface TlsFile {
  path: string;
  /** File contents; empty until the config is loaded. `@system-ca`: the system's trust store. */
  pem: string;
}

/** Client certificates asked of clients on a bind (`verify optional|required`). */
export interface ClientVerify {
  mode: 'optional' | 'required';
  /** `ca-file`: the CAs a client certificate must chain to. */
  ca?: TlsFile;
  /** `crl-file`: revoked certificates. */
  crl?: TlsFile;
  /** `ca-ignore-err` / `crt-ignore-err`: OpenSSL verify error ids (at depth > 0 / at depth 0) that
   * do not abort the handshake; `all` for every one. */
  caIgnore?: number[] | 'all';
  crtIgnore?: number[] | 'all';
}

/** Protocol settings a server inherits from the global `ssl-default-server-*`. */
export interface ServerTlsDefaults {
  ciphers?: string;
  ciphersuites?: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  noTlsTickets?: true;
}

/** TLS towards a server (`ssl`, `check-ssl` and the options that go with them). */
export interface ServerTls extends ServerTlsDefaults {
  /** `verify`; absent in a draft: `ssl-server-verify`, else required. */
  verify?: 'none' | 'required';
  ca?: TlsFile;
  crl?: TlsFile;
  /** `crt`: the client certificate (and key) handoff presents to the server. */
  crt?: TlsFile;
  /** `sni EXPR`: the TLS server name, evaluated per request (a connection carries one name). */
  sni?: Sample;
  /** `check-sni NAME`: the SNI of TLS health checks (they never evaluate `sni`). */
  checkSni?: string;
  /** `verifyhost NAME`: the name checked in the certificate when no SNI is sent. */
  verifyHost?: string;
  alpn?: string[];
  /** `no-ssl-reuse`: a full handshake for every connection (no session kept for the next one). */
  noReuse?: true;
}

export interface TlsBind {
  certificates: TlsCertificate[];
  /** `verify optional|required` (absent: none, no certificate asked). */
  clientVerify?: ClientVerify;
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
  /** `prefer-client-ciphers`. */
  preferClientCiphers?: true;
  /** `strict-sni`: a handshake whose SNI names no certificate (or that has none) is refused. */
  strictSni?: true;
  /** `crt-list FILE`s not read yet: their certificates go in at index `at` (load.ts expands them). */
  crtLists?: { path: string; at: number; loc: Location }[];
}

/** What the master applies to a unix socket file (`mode`, `uid`/`user`, `gid`/`group`, or `unix-bind`'s). */
export interface UnixSocketFile {
  /** Path of the socket file (after `unix-bind prefix`), as written: a relative one is relative to the master's directory. */
  path: string;
  /** Permission bits (`mode 600`); absent: the umask's. */
  mode?: number;
  /** Owner and group to give the file; absent: the master's. */
  uid?: number;
  gid?: number;
}

interface BindCommon {
  /** Stable key of the listening socket, e.g. `0.0.0.0:443`, `[::]:80` or `unix@/run/x.sock`: same key, same socket. */
  key: string;
  tls?: TlsBind;
  /** Bind-line `maxconn`: connections at once on this socket, over the whole process tree. */
  maxconn?: number;
  /** `accept-proxy`: every connection starts with a PROXY protocol header (v1 or v2), read first. */
  acceptProxy?: true;
  /** HAProxy's listener id in its frontend (`id N`, else numbered in order), as a PROXY header
   * error's log line names the bind; set on binds that may read one. */
  luid?: number;
  loc: Location;
}

export interface TcpBind extends BindCommon {
  /** Address to bind; `0.0.0.0` for `*` / empty. */
  host: string;
  port: number;
  unix?: undefined;
}

/** `bind unix@PATH` / `bind /PATH`: a unix stream socket. */
export interface UnixBind extends BindCommon {
  unix: UnixSocketFile & {
    /** HAProxy's listener id in its frontend (`id N`, else numbered in order): what `%ci:%cp` log for its clients (`unix:ID`). */
    id: number;
  };
  host?: undefined;
  port?: undefined;
}

export type Bind = TcpBind | UnixBind;

/** The type of a sample's value, as HAProxy types them (`meth` is a method, matched as a string). */
export type SampleType = 'bool' | 'int' | 'str' | 'ip' | 'meth';

/** A map file (`map*` converters): `KEY VALUE` lines, read by the master at load. */
export interface MapFile {
  /** Resolved path. */
  path: string;
  /** The file's entries in order; empty until the config is loaded. */
  entries: [key: string, value: string][];
  /** The config line that names the file (errors about the file are reported there). */
  loc: Location;
  /** Bumped by each runtime change (`add map` …): compiled lookups rebuild when it moves. */
  rev?: number;
}

/** One converter of a sample expression: `lower`, `map_beg(file,default)`, `word(2,/)`… */
export interface Converter {
  name: string;
  /** Arguments as written (checked at parse: integers are integers, regexes compile). */
  args: string[];
  /** `map*`: the file named by the first argument. */
  map?: MapFile;
}

/** A sample expression: `fetch(args),conv(args),conv…` (HAProxy configuration.txt 7.3). */
export interface Sample {
  /** Canonical fetch name: `req.hdr` for `hdr`/`req.hdr`, `src`, `path`… */
  fetch: string;
  args: string[];
  convs: Converter[];
  /** The type of the value after the last converter. */
  type: SampleType;
  /** `http_auth(L)` / `http_auth_group(L)`: the userlist, filled in once every section is read. */
  userlist?: Userlist;
}

/** A log-format string (header values, dynamic `use_backend`): literal text and samples. */
export interface Template {
  parts: (string | Sample)[];
}

/** How an ACL compares a sample with its patterns (`-m`, or the fetch's default / suffix). */
export type MatchMethod = 'found' | 'bool' | 'int' | 'ip' | 'str' | 'beg' | 'end' | 'sub' | 'reg' | 'dom' | 'dir' | 'len';

/** `-f FILE`: one pattern per line, read by the master at load. */
export interface PatternFile {
  path: string;
  /** Patterns of the file, each with its line; empty until the config is loaded. */
  patterns: { text: string; line: number }[];
  /** `-M`: the file is a map file; its keys are the patterns. */
  map?: boolean;
  loc: Location;
  /** Bumped by each runtime change (`add acl` …): compiled lookups rebuild when it moves. */
  rev?: number;
}

/** An ACL predicate: a sample compared with patterns (matches when any pattern matches). */
export interface Predicate {
  sample: Sample;
  match: MatchMethod;
  /** `-i`: compare case-insensitively. */
  ignoreCase?: boolean;
  /** Patterns as written; integer operators are kept with their value (`ge 1024`). */
  patterns: string[];
  /** `-f` files, whose patterns count as if written after the others. */
  files?: PatternFile[];
}

/** One term of a condition: an ACL (several `acl` lines of one name OR together) or `{ … }`. */
export interface ConditionTerm {
  negate: boolean;
  /** Alternatives: the term holds when any of them matches. */
  anyOf: Predicate[];
  /** The ACL's name, for messages; absent for an anonymous ACL. */
  acl?: string;
}

export interface Condition {
  /** `unless` inverts the whole condition. */
  unless: boolean;
  /** OR of AND-groups (`||` / `or` separate groups). */
  anyOf: ConditionTerm[][];
}

/** How `del-header NAME -m METH` matches header names (`str`, exact, when absent). */
export type HeaderNameMatch = 'str' | 'beg' | 'end' | 'sub' | 'reg';

export interface HeaderRule {
  action: 'add-header' | 'set-header' | 'del-header';
  name: string;
  /** The value's log-format template (`%[sample]`, `%ci`…); empty for del-header. */
  value: Template;
  /** del-header's `-m`: how `name` matches (names always compare case-insensitively, `reg` excepted). */
  match?: HeaderNameMatch;
  cond?: Condition;
  loc: Location;
}

/** Where a redirect points and how (HAProxy's `redirect` rule, without its condition). */
export interface RedirectSpec {
  kind: 'scheme' | 'location' | 'prefix';
  /** The scheme, location or prefix: a log-format template in http-request/-response rules, one literal part for `redirect`. */
  target: Template;
  /** 301, 302, 303, 307 or 308. */
  code: number;
  /** `drop-query`: the request's query string is left out (prefix, scheme). */
  dropQuery?: boolean;
  /** `append-slash`: a `/` ends the location when it does not already. */
  appendSlash?: boolean;
  /** `ignore-empty`: a location that renders empty skips the rule. */
  ignoreEmpty?: boolean;
  /** `set-cookie NAME[=value]` / `clear-cookie NAME[=]`: the Set-Cookie header value sent with it. */
  cookie?: string;
}

/** A `redirect` keyword rule; evaluated after the proxy's `http-request` rules. */
export interface Redirect extends RedirectSpec {
  cond?: Condition;
  loc: Location;
}

/** The body of a generated response (`return`, `deny`…): none, raw bytes (`string`, `file`) or a log-format (`lf-string`, `lf-file`). */
export type ReplyBody = { kind: 'none' } | { kind: 'raw'; text: string; file?: string } | { kind: 'format'; template: Template; file?: string };

/** A response handoff makes itself: HAProxy's http-reply (`deny`, `tarpit`, `return`). */
export type HttpReply =
  /** The proxy's errorfile for the status (backend's, then frontend's), else HAProxy's built-in page. */
  | { kind: 'default'; status: number }
  /** A full HTTP response from a file (`errorfile FILE`, or an http-errors section's for the status); `text` is read at load. */
  | { kind: 'errorfile'; status: number; file: { path: string; text: string } }
  /** A response built from its parts: `hdr` headers (templates), a content type and a body. */
  | { kind: 'payload'; status: number; contentType?: string; headers: { name: string; value: Template }[]; body: ReplyBody };

/** `set-var(scope.name)` / `unset-var(…)`: the variable's scope and name. */
export interface VarName {
  scope: 'sess' | 'txn' | 'req' | 'res';
  name: string;
}

/** `http-request normalize-uri` normalizers handoff implements. */
export type UriNormalizer = 'path-merge-slashes' | 'fragment-strip' | 'fragment-encode' | 'percent-to-uppercase';

interface RuleBase {
  cond?: Condition;
  loc: Location;
}

/** One `http-request` / `http-response` / `http-after-response` rule; rules run in declaration order. */
export type HttpRule =
  | HeaderRule
  | (RuleBase & { action: 'allow' })
  | (RuleBase & { action: 'reject' })
  | (RuleBase & { action: 'deny' | 'tarpit' | 'return'; reply: HttpReply })
  | (RuleBase & { action: 'auth'; realm?: string })
  | (RuleBase & { action: 'redirect'; redirect: RedirectSpec })
  | (RuleBase & { action: 'replace-header' | 'replace-value'; name: string; regex: string; replace: Template })
  | (RuleBase & { action: 'set-method' | 'set-path' | 'set-pathq' | 'set-query' | 'set-uri'; value: Template })
  | (RuleBase & { action: 'replace-path' | 'replace-pathq' | 'replace-uri'; regex: string; replace: Template })
  | (RuleBase & { action: 'normalize-uri'; normalizer: UriNormalizer })
  | (RuleBase & { action: 'set-status'; status: number; reason?: string })
  | (RuleBase & { action: 'set-var'; variable: VarName; expr: Sample; ifs: string[] })
  | (RuleBase & { action: 'set-var-fmt'; variable: VarName; format: Template; ifs: string[] })
  | (RuleBase & { action: 'unset-var'; variable: VarName })
  /** `slot`: the capture's place among the frontend's captures, in declaration order (the log's %hr). */
  | (RuleBase & { action: 'capture'; sample: Sample; len: number; slot: number })
  | (RuleBase & { action: 'set-log-level'; level: string })
  /** `http-request use-service prometheus-exporter`: the request is answered by the exporter. */
  | (RuleBase & { action: 'use-service'; service: 'prometheus-exporter' })
  /** Stick counters (src/stick/): `track-scN KEY [table T]`, `sc-inc-gpc0(N)`, `sc-set-gpt0(N) V`. */
  | (RuleBase & { action: 'track-sc'; slot: number; key: Sample; table: string })
  | (RuleBase & { action: 'sc-inc-gpc'; slot: number; gpc: 0 | 1 })
  | (RuleBase & { action: 'sc-set-gpt0'; slot: number; value: Sample });

/** The rules of one proxy for each HTTP phase, in order. */
export interface HttpRules {
  /** `http-request` rules; then `redirects`, then (frontend) `use_backend`. */
  httpRequest: HttpRule[];
  /** `redirect` rules. */
  redirects: Redirect[];
  /** `http-response` rules: the backend's run first, then the frontend's. */
  httpResponse: HttpRule[];
  /** `http-after-response` rules, on every response including handoff's own: backend first. */
  httpAfterResponse: HttpRule[];
}

/** `option forwardfor` beyond the header name: `except NET` and `if-none`. */
export interface ForwardForOptions {
  /** `except NET`: no header for a client in this network. */
  except?: { address: string; prefix: number; family: 'ipv4' | 'ipv6' };
  /** `if-none`: the header is added only when the request has none. */
  ifNone?: boolean;
}

/** A `userlist` section: who `http_auth(NAME)` lets in. */
export interface Userlist {
  name: string;
  users: {
    name: string;
    /** `insecure-password` (compared as is) or `password` (a crypt(3) hash handoff verifies); absent: never authenticates. */
    password?: { kind: 'insecure' | 'hash'; value: string };
    /** Groups of the user (from its `groups` and the groups' `users`). */
    groups: string[];
  }[];
  groups: string[];
  loc: Location;
}

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
  /** `timeout tarpit`: how long `http-request tarpit` holds a request (else `timeout connect`). */
  tarpit?: number;
}

export interface StatsPage {
  uri: string;
  realm: string;
  /** `user:password` pairs for basic auth; empty means no auth. */
  auth: { user: string; password: string }[];
  refresh?: number;
  /** `stats admin if|unless COND`: a request for which one holds gets the admin form and may POST actions. */
  admin?: Condition[];
  /** `stats scope`: the only proxies the page lists (absent: every proxy). */
  scope?: string[];
  hideVersion?: true;
  showLegends?: true;
  /** `stats show-node [NAME]`: '' for the host's name. */
  showNode?: string;
  showDesc?: string;
}

export interface Frontend {
  name: string;
  mode: Mode;
  binds: Bind[];
  defaultBackend?: string;
  /** `use_backend NAME` or `use_backend %[…]` (a name resolved per request; unknown: default_backend). */
  useBackends: { backend: string | Template; cond?: Condition }[];
  http: HttpRules;
  /** `monitor-uri URI` (a URI starting with `/` matches the path) and its `monitor fail` conditions. */
  monitor?: { uri: string; fail: Condition[] };
  forwardFor: boolean;
  /** `option forwardfor header NAME`: header name when it is not `X-Forwarded-For`. */
  forwardForHeader?: string;
  forwardForOptions?: ForwardForOptions;
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
  /** `tcp-request connection expect-proxy layer4 [if|unless COND]`, in order: the first rule whose
   * condition holds makes the connection start with a PROXY header. */
  expectProxy?: { cond?: Condition; loc: Location }[];
  /** `tcp-request connection accept|reject|track-scN … [if|unless COND]`, in order (src/worker/conn-rules.ts). */
  tcpConnection?: TcpConnectionRule[];
  /** `compression algo|type|offload` (src/config/keywords/compression.ts). */
  compression?: Compression;
  /** `tcp-request inspect-delay`: how long `tcp-request content` rules may wait for the client's bytes (ms). */
  inspectDelay?: number;
  /** `tcp-request content accept|reject [if|unless COND]`, in order. */
  tcpContent?: TcpContentRule[];
  loc: Location;
}

/** A `tcp-request content` rule: the first whose condition holds decides. */
/** A `tcp-request connection` rule: the first accept/reject whose condition holds decides; a track-sc counts the connection. */
export type TcpConnectionRule = { action: 'accept' | 'reject'; cond?: Condition; loc: Location } | Extract<HttpRule, { action: 'track-sc' }>;

/** `stick on|match|store-request|store-response KEY [table T] [if|unless COND]`: a key's server in a stick table (server_id). */
export interface StickRule {
  kind: 'on' | 'match' | 'store-request' | 'store-response';
  key: Sample;
  table: string;
  cond?: Condition;
  loc: Location;
}

export interface TcpContentRule {
  action: 'accept' | 'reject';
  cond?: Condition;
  loc: Location;
}

/** `compression algo` names: `raw-deflate` answers `deflate` without the zlib wrapper. */
export type CompressionAlgo = 'identity' | 'gzip' | 'deflate' | 'raw-deflate';

/** HTTP response compression of one proxy (HAProxy's `compression`): the backend's algorithms
 * and types win over the frontend's, `offload` of either applies. */
export interface Compression {
  /** In HAProxy's order of preference: the last one written first (each line adds in front). */
  algos: CompressionAlgo[];
  /** `compression type`: Content-Type prefixes compressed (empty: any type). */
  types: string[];
  /** `compression offload`: Accept-Encoding is removed from the request sent to the server. */
  offload: boolean;
  /** zlib level: the global `tune.comp.maxlevel` (default 1, as HAProxy). */
  level: number;
}


export type BalanceAlgorithm = 'roundrobin' | 'static-rr' | 'leastconn' | 'source' | 'first' | 'random' | 'uri' | 'url_param' | 'hdr' | 'hash';

/** The arguments of `balance uri|url_param|hdr|random`, as written. */
export interface BalanceOptions {
  /** `uri len N`: hash at most N characters. */
  uriLen?: number;
  /** `uri depth N`: hash up to the Nth slash. */
  uriDepth?: number;
  /** `uri whole`: the query string is hashed too. */
  uriWhole?: boolean;
  /** `uri path-only`: the hash starts at the first '/' of the path (not an absolute URI's authority). */
  uriPathOnly?: boolean;
  /** `url_param NAME`. */
  param?: string;
  /** `hdr(NAME)`, lower case. */
  header?: string;
  /** `hdr(NAME) use_domain_only`: the domain part before the TLD only. */
  domainOnly?: boolean;
  /** `random(N)`: the least loaded of N draws (default 2, as HAProxy). */
  draws?: number;
  /** `hash EXPR`: the sample expression whose value is hashed. */
  expr?: Sample;
}

/** `hash-type METHOD [FUNCTION] [avalanche]`. */
export interface HashType {
  method: 'map-based' | 'consistent';
  fn: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
  avalanche: boolean;
}

export interface PersistRule {
  kind: 'force' | 'ignore';
  cond: Condition;
}

/** `cookie NAME [rewrite|insert|prefix] …`: cookie persistence of a backend. */
export interface CookiePersistence {
  name: string;
  /** No mode word: passive (the application sets the cookie itself). */
  mode: 'passive' | 'rewrite' | 'insert' | 'prefix';
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  preserve: boolean;
  httponly: boolean;
  secure: boolean;
  domains: string[];
  /** Seconds, 0: none. */
  maxidle: number;
  maxlife: number;
  /** `attr VALUE`, each appended to the inserted cookie. */
  attrs: string[];
}

export interface Server {
  /** Stable identity across reloads: `backend/server`. Health and counters are keyed by it. */
  id: string;
  name: string;
  host: string;
  /** 0 when `portOffset` is set. */
  port: number;
  /** The server was declared without a port (or with `+N`/`-N`): connect to the client's destination port plus this (mode tcp). */
  portOffset?: number;
  weight: number;
  check: boolean;
  /** Health-check interval (`inter`), default 2000. */
  inter: number;
  rise: number;
  fall: number;
  backup: boolean;
  disabled: boolean;
  maxconn?: number;
  /** `maxqueue`: most requests waiting for this server's maxconn; beyond it they go to another server. */
  maxqueue?: number;
  /** `pool-max-conn`: most idle connections kept to this server by each worker (0: none; absent: no limit). */
  poolMaxConn?: number;
  /** `max-reuse`: most times a connection to this server carries another request (0: never reused; absent: no limit). */
  maxReuse?: number;
  /** Check interval while the server is transitional (going up or down), else `inter`. */
  fastinter?: number;
  /** Check interval while the server is fully down, else `inter`. */
  downinter?: number;
  /** `slowstart`: after coming back UP, the weight ramps from 1 to full over this time (dynamic algorithms). */
  slowstart?: number;
  /** Passive health (`observe`): which errors of real traffic count; `none` by default. */
  observe: Observe;
  /** `error-limit`: consecutive observed errors that trigger `on-error` (default 10). */
  errorLimit: number;
  /** `on-error`: what the master does when `error-limit` is reached (default fail-check). */
  onError: OnError;
  /** `port`: health checks go to this port (traffic does not). */
  checkPort?: number;
  /** `addr`: health checks go to this address (traffic does not). */
  checkAddr?: string;
  /** `on-marked-down shutdown-sessions`: a server marked DOWN has its connections closed. */
  onMarkedDown?: OnMarkedDown;
  /** `on-marked-up shutdown-backup-sessions`: a server marked UP closes the backups' connections. */
  onMarkedUp?: OnMarkedUp;
  /** `send-proxy` (v1) / `send-proxy-v2`: a PROXY header starts every connection to the server
   * (v2 when both are given, as HAProxy). */
  sendProxy?: 'v1' | 'v2';
  /** `proxy-v2-options authority`: the v2 header carries the client's authority (PROXY TLV or TLS SNI). */
  proxyV2Authority?: true;
  /** `check-send-proxy`: checks start with a PROXY header even without `send-proxy`. */
  checkSendProxy?: true;
  /** `ssl`: traffic to the server is TLS (settings in `tls`). */
  ssl?: boolean;
  /** `check-ssl` / `no-check-ssl`; absent: as HAProxy, checks use TLS when `ssl` is set and
   * neither `port` nor `addr` sends them elsewhere. */
  checkSsl?: boolean;
  tls?: ServerTls;
  /** `resolvers R` & co.: the master re-resolves the server's name (src/master/dns-resolution.ts). */
  dns?: ServerDns;
  /** `cookie VALUE`: the value of the persistence cookie that designates this server. */
  cookie?: string;
  loc: Location;
}

/** `init-addr`: where a resolved server's first address comes from, tried in order. */
export type InitAddr = { kind: 'last' | 'libc' | 'none' } | { kind: 'ip'; ip: string };

export interface ServerDns {
  /** The `resolvers` section's name. */
  resolvers: string;
  /** The name resolved: the server's host (A/AAAA), or an SRV record for `server-template`. */
  fqdn: string;
  /** `resolve-prefer` (default ipv6, as HAProxy). */
  prefer: 'ipv4' | 'ipv6';
  /** `resolve-net`: preferred networks, CIDR. */
  nets?: string[];
  initAddr: InitAddr[];
  /** `resolve-opts allow-dup-ip`: servers on one name may take the same address (by default each takes another one of the answer). */
  allowDupIp?: true;
  /** `resolve-opts ignore-weight`: an SRV record's weight is not applied. */
  ignoreWeight?: true;
  /** Set on the slots of `server-template NAME N _svc._tcp.name`: filled from SRV records. */
  srv?: true;
}

/** A `resolvers` section (HAProxy's defaults where a line is absent). */
export interface Resolvers {
  name: string;
  /** `nameserver NAME ADDR:PORT` (udp). */
  nameservers: { name: string; host: string; port: number }[];
  /** `parse-resolv-conf`: the nameservers of /etc/resolv.conf are added. */
  parseResolvConf: boolean;
  resolveRetries: number;
  /** `timeout resolve` (ms): how often a stale name is resolved again. */
  timeoutResolve: number;
  /** `timeout retry` (ms): how long one query waits for an answer. */
  timeoutRetry: number;
  /** `hold STATUS T` (ms). */
  hold: { valid: number; nx: number; timeout: number; refused: number; other: number; obsolete: number };
  acceptedPayloadSize: number;
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

export type {
  CheckConnect, CheckExpect, CheckHttpSend, CheckKind, CheckMatch, CheckRule, CheckSend, CheckStatus, CheckTextPattern, HealthCheck,
  OnMarkedDown, OnMarkedUp,
} from './health-model.ts';

export interface Backend {
  name: string;
  mode: Mode;
  balance: BalanceAlgorithm;
  balanceOptions: BalanceOptions;
  hashType: HashType;
  /** `hash-balance-factor F` (percent, 0: off): bounded loads for a consistent hash. */
  hashBalanceFactor?: number;
  /** `cookie …`: absent without cookie persistence. */
  cookie?: CookiePersistence;
  /** `option persist`: a cookie naming a DOWN server still sends the request there. */
  persist: boolean;
  /** `force-persist` / `ignore-persist if|unless COND`, in order: the first whose condition holds
   * forces the cookie's server even when stopped, or ignores persistence for the request. */
  persistRules?: PersistRule[];
  /** `stick on|match|store-request` rules, in order (src/worker/stick-servers.ts). */
  stickRules?: StickRule[];
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
  forwardForOptions?: ForwardForOptions;
  httpServerClose: boolean;
  /** A listen section's rules are its frontend half's: its backend half has none. */
  http: HttpRules;
  timeouts: Timeouts;
  healthCheck: HealthCheck;
  errorfiles: Record<string, string>;
  /** `load-server-state-from-file` (default none): where the servers' saved state is read at load. */
  loadServerState?: 'global' | 'local' | 'none';
  /** `server-state-file-name` (for `local`; default: the backend's name), relative to `server-state-base`. */
  serverStateFileName?: string;
  /** `compression algo|type|offload` (src/config/keywords/compression.ts). */
  compression?: Compression;
  /** A backend's own `tcp-request inspect-delay` and content rules, run once it is chosen (not a listen's). */
  inspectDelay?: number;
  tcpContent?: TcpContentRule[];
  loc: Location;
}

export interface Config {
  /** Absolute path of the main configuration file. */
  file: string;
  global: GlobalConfig;
  frontends: Frontend[];
  backends: Backend[];
  /** `userlist` sections by name (absent when there is none). */
  userlists?: Record<string, Userlist>;
  /** `stick-table`s by proxy name (absent when there is none); the master holds the tables. */
  stickTables?: StickTableDef[];
  /** `resolvers` sections by name (absent when there is none). */
  resolvers?: Record<string, Resolvers>;
}

export interface LoadResult {
  /** Present only when there are no errors. */
  config?: Config;
  diagnostics: Diagnostic[];
}
