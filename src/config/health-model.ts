// The health-check part of the model (re-exported by model.ts): what a backend's check does, as
// HAProxy runs every kind of check — a ruleset of connect / send / expect steps. `option httpchk`,
// `option tcp-check` with its `tcp-check` lines and the protocol checks (`redis-check`, …) all
// resolve to one list. Plain data (JSON over IPC): bytes are hex strings, regexes their source.

/** HAProxy's check status names (`show stat` check_status), without the "D"/"C" variants' letters. */
export type CheckStatus =
  | 'L4OK' | 'L4TOUT' | 'L4CON'
  | 'L6OK' | 'L6TOUT' | 'L6RSP'
  | 'L7OK' | 'L7OKC' | 'L7TOUT' | 'L7RSP' | 'L7STS'
  | 'SOCKERR';

/** Which check a backend runs: `connect` is a plain TCP connect (`check` alone). */
export type CheckKind = 'connect' | 'http' | 'tcp-check' | 'redis' | 'smtp' | 'pgsql' | 'mysql' | 'ldap' | 'ssl-hello';

/** `tcp-check connect` / `http-check connect`, or the implicit first connect HAProxy adds. */
export interface CheckConnect {
  action: 'connect';
  /** Else the server's `port` option, else its `addr`'s port, else the traffic port. */
  port?: number;
  /** Else the server's `addr`, else its address. */
  addr?: string;
  implicit?: boolean;
  /** `connect send-proxy`: a PROXY header first (the server's version; no client: UNKNOWN / LOCAL). */
  sendProxy?: true;
  comment?: string;
}

/** `tcp-check send` / `send-binary`: raw bytes. */
export interface CheckSend {
  action: 'send';
  hex: string;
  comment?: string;
}

/** `option httpchk` and `http-check send`: one HTTP/1.x request. */
export interface CheckHttpSend {
  action: 'http-send';
  method: string;
  uri: string;
  version: string;
  /** In order; names as written (sent lower-cased, as HAProxy's h1 layer does). */
  headers: [name: string, value: string][];
  body: string;
  comment?: string;
}

/** A header-name or header-value test of `http-check expect hdr|fhdr`. */
export interface CheckTextPattern {
  method: 'str' | 'beg' | 'end' | 'sub' | 'reg';
  text: string;
}

export type CheckMatch =
  /** The response buffer (tcp) or body (http) contains these bytes. */
  | { type: 'string' | 'binary'; hex: string }
  /** A regex on the buffer / body (`rbinary`: on its upper-case hex dump). */
  | { type: 'rstring' | 'rbinary'; regex: string }
  | { type: 'status'; ranges: [number, number][] }
  | { type: 'rstatus'; regex: string }
  /** `hdr` splits values on commas, `fhdr` tests the full value. No value: the header is present. */
  | { type: 'hdr' | 'fhdr'; name: CheckTextPattern; value?: CheckTextPattern }
  /** A protocol's own parser (HAProxy's "custom" expect rules). */
  | { type: 'custom'; parser: 'mysql-handshake' | 'mysql-ok' | 'ldap-bind' };

export interface CheckExpect {
  action: 'expect';
  match: CheckMatch;
  negate: boolean;
  /** `min-recv`: bytes needed before a verdict; -1 (default) waits for more data on a mismatch. */
  minRecv: number;
  okStatus?: CheckStatus;
  errorStatus?: CheckStatus;
  toutStatus?: CheckStatus;
  /** `on-success` / `on-error` messages (literal text only). */
  onSuccess?: string;
  onError?: string;
  /** Protocol checks: the response from this offset, to its line end, is the check's message. */
  report?: number;
  /** SMTP: the response's first three digits are the check's code. */
  reportCode?: boolean;
  comment?: string;
}

export type CheckRule = CheckConnect | CheckSend | CheckHttpSend | CheckExpect;

export interface HealthCheck {
  kind: CheckKind;
  /** Resolved as HAProxy does after parsing: a connect first, `option httpchk`'s request merged
   * into the first `http-check send`, an implicit `expect status 200-399` after a last send. */
  rules: CheckRule[];
  /** `http-check disable-on-404`: a 404 puts an UP server in NOLB (no new traffic, still UP). */
  disableOn404: boolean;
}

/** `on-marked-down` / `on-marked-up` server options. */
export type OnMarkedDown = 'shutdown-sessions';
export type OnMarkedUp = 'shutdown-backup-sessions';
