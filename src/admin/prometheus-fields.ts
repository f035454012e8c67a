// HAProxy 2.6's exporter names for the stat fields (addons/promex/service-prometheus.c): which
// stat field becomes which metric, of which type, for which objects, with HAProxy's HELP text
// (the stat field's description, or the exporter's own where it overrides it). The values come
// from the one stat table (stat-fields.ts, `statValue`); a field with no value on a row is absent.
import type { StatFieldName, StatKind } from './stat-fields.ts';

export type PromType = 'gauge' | 'counter';

export interface PromField {
  readonly stat: StatFieldName;
  /** The name after `haproxy_frontend_`, `haproxy_backend_` or `haproxy_server_`. */
  readonly name: string;
  readonly type: PromType;
  readonly kinds: readonly StatKind[];
  readonly help: string;
  /** The stat value is in milliseconds; the metric in seconds. */
  readonly ms?: true;
  /** Exported for HTTP proxies only, as HAProxy does. */
  readonly http?: true;
  /** `hrsp_*`: one family `http_responses_total` with this `code` label. */
  readonly code?: string;
  /** One-hot per state label value (`status`, `check_status`). */
  readonly oneHot?: true;
}

const F = ['frontend'] as const;
const B = ['backend'] as const;
const S = ['server'] as const;
const FB = ['frontend', 'backend'] as const;
const BS = ['backend', 'server'] as const;
const FBS = ['frontend', 'backend', 'server'] as const;
const SINCE = 'since the worker process started';
const HRSP = `Total number of HTTP responses with status 100-199 returned by this object ${SINCE}`;

const hrsp = (code: string): PromField => ({
  stat: `hrsp_${code}` as StatFieldName,
  name: 'http_responses_total',
  type: 'counter',
  kinds: FBS,
  help: HRSP,
  http: true,
  code,
});

/** In the stat table's order, which is the exporter's. */
export const PROM_FIELDS: readonly PromField[] = [
  { stat: 'qcur', name: 'current_queue', type: 'gauge', kinds: BS, help: 'Number of current queued connections' },
  { stat: 'qmax', name: 'max_queue', type: 'gauge', kinds: BS, help: 'Highest value of queued connections encountered since process started' },
  { stat: 'scur', name: 'current_sessions', type: 'gauge', kinds: FBS, help: 'Number of current sessions on the frontend, backend or server' },
  { stat: 'smax', name: 'max_sessions', type: 'gauge', kinds: FBS, help: 'Highest value of current sessions encountered since process started' },
  { stat: 'slim', name: 'limit_sessions', type: 'gauge', kinds: FBS, help: "Frontend/listener/server's maxconn, backend's fullconn" },
  { stat: 'stot', name: 'sessions_total', type: 'counter', kinds: FBS, help: 'Total number of sessions since process started' },
  { stat: 'bin', name: 'bytes_in_total', type: 'counter', kinds: FBS, help: 'Total number of request bytes since process started' },
  { stat: 'bout', name: 'bytes_out_total', type: 'counter', kinds: FBS, help: 'Total number of response bytes since process started' },
  { stat: 'dreq', name: 'requests_denied_total', type: 'counter', kinds: FB, help: 'Total number of denied requests since process started' },
  { stat: 'dresp', name: 'responses_denied_total', type: 'counter', kinds: FBS, help: 'Total number of denied responses since process started' },
  { stat: 'ereq', name: 'request_errors_total', type: 'counter', kinds: F, help: 'Total number of invalid requests since process started' },
  { stat: 'econ', name: 'connection_errors_total', type: 'counter', kinds: BS, help: `Total number of failed connections to server ${SINCE}` },
  { stat: 'eresp', name: 'response_errors_total', type: 'counter', kinds: BS, help: `Total number of invalid responses ${SINCE}` },
  { stat: 'wretr', name: 'retry_warnings_total', type: 'counter', kinds: BS, help: `Total number of server connection retries ${SINCE}` },
  { stat: 'wredis', name: 'redispatch_warnings_total', type: 'counter', kinds: BS, help: `Total number of server redispatches due to connection failures ${SINCE}` },
  { stat: 'status', name: 'status', type: 'gauge', kinds: FBS, help: 'Current status of the service, per state label value.', oneHot: true },
  { stat: 'weight', name: 'weight', type: 'gauge', kinds: BS, help: "Server's effective weight, or sum of active servers' effective weights for a backend" },
  { stat: 'act', name: 'active_servers', type: 'gauge', kinds: B, help: 'Total number of active UP servers with a non-zero weight' },
  { stat: 'bck', name: 'backup_servers', type: 'gauge', kinds: B, help: 'Total number of backup UP servers with a non-zero weight' },
  { stat: 'chkfail', name: 'check_failures_total', type: 'counter', kinds: S, help: `Total number of failed individual health checks per server/backend, ${SINCE}` },
  { stat: 'chkdown', name: 'check_up_down_total', type: 'counter', kinds: BS, help: `Total number of failed checks causing UP to DOWN server transitions, per server/backend, ${SINCE}` },
  { stat: 'lastchg', name: 'check_last_change_seconds', type: 'gauge', kinds: BS, help: 'How long ago the last server state changed, in seconds' },
  { stat: 'downtime', name: 'downtime_seconds_total', type: 'counter', kinds: BS, help: 'Total time spent in DOWN state, for server or backend' },
  { stat: 'qlimit', name: 'queue_limit', type: 'gauge', kinds: S, help: 'Limit on the number of connections in queue, for servers only (maxqueue argument)' },
  { stat: 'throttle', name: 'current_throttle', type: 'gauge', kinds: S, help: "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)" },
  { stat: 'lbtot', name: 'loadbalanced_total', type: 'counter', kinds: BS, help: `Total number of requests routed by load balancing ${SINCE} (ignores queue pop and stickiness)` },
  { stat: 'rate_lim', name: 'limit_session_rate', type: 'gauge', kinds: F, help: "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)" },
  { stat: 'rate_max', name: 'max_session_rate', type: 'gauge', kinds: FBS, help: `Highest value of sessions per second observed ${SINCE}` },
  { stat: 'check_status', name: 'check_status', type: 'gauge', kinds: S, help: 'Status of last health check, per state label value.', oneHot: true },
  { stat: 'check_code', name: 'check_code', type: 'gauge', kinds: S, help: 'layer5-7 code, if available of the last health check.' },
  { stat: 'check_duration', name: 'check_duration_seconds', type: 'gauge', kinds: S, help: 'Total duration of the latest server health check, in seconds.', ms: true },
  hrsp('1xx'),
  hrsp('2xx'),
  hrsp('3xx'),
  hrsp('4xx'),
  hrsp('5xx'),
  hrsp('other'),
  { stat: 'req_rate_max', name: 'http_requests_rate_max', type: 'gauge', kinds: F, help: `Highest value of http requests observed ${SINCE}`, http: true },
  { stat: 'req_tot', name: 'http_requests_total', type: 'counter', kinds: FB, help: `Total number of HTTP requests processed by this object ${SINCE}`, http: true },
  { stat: 'cli_abrt', name: 'client_aborts_total', type: 'counter', kinds: BS, help: `Total number of requests or connections aborted by the client ${SINCE}` },
  { stat: 'srv_abrt', name: 'server_aborts_total', type: 'counter', kinds: BS, help: `Total number of requests or connections aborted by the server ${SINCE}` },
  { stat: 'comp_in', name: 'http_comp_bytes_in_total', type: 'counter', kinds: FB, help: `Total number of bytes submitted to the HTTP compressor for this object ${SINCE}`, http: true },
  { stat: 'comp_out', name: 'http_comp_bytes_out_total', type: 'counter', kinds: FB, help: `Total number of bytes emitted by the HTTP compressor for this object ${SINCE}`, http: true },
  { stat: 'comp_byp', name: 'http_comp_bytes_bypassed_total', type: 'counter', kinds: FB, help: `Total number of bytes that bypassed HTTP compression for this object ${SINCE} (CPU/memory/bandwidth limitation)`, http: true },
  { stat: 'comp_rsp', name: 'http_comp_responses_total', type: 'counter', kinds: FB, help: `Total number of HTTP responses that were compressed for this object ${SINCE}`, http: true },
  { stat: 'lastsess', name: 'last_session_seconds', type: 'gauge', kinds: BS, help: 'How long ago some traffic was seen on this object on this worker process, in seconds' },
  { stat: 'qtime', name: 'queue_time_average_seconds', type: 'gauge', kinds: BS, help: 'Avg. queue time for last 1024 successful connections.', ms: true },
  { stat: 'ctime', name: 'connect_time_average_seconds', type: 'gauge', kinds: BS, help: 'Avg. connect time for last 1024 successful connections.', ms: true },
  { stat: 'rtime', name: 'response_time_average_seconds', type: 'gauge', kinds: BS, help: 'Avg. response time for last 1024 successful connections.', ms: true },
  { stat: 'ttime', name: 'total_time_average_seconds', type: 'gauge', kinds: BS, help: 'Avg. total time for last 1024 successful connections.', ms: true },
  { stat: 'conn_rate_max', name: 'connections_rate_max', type: 'gauge', kinds: F, help: `Highest value of connections per second observed ${SINCE}` },
  { stat: 'conn_tot', name: 'connections_total', type: 'counter', kinds: F, help: `Total number of new connections accepted on this frontend ${SINCE}` },
  { stat: 'intercepted', name: 'intercepted_requests_total', type: 'counter', kinds: F, help: `Total number of HTTP requests intercepted on the frontend (redirects/stats/services) ${SINCE}`, http: true },
  { stat: 'dcon', name: 'denied_connections_total', type: 'counter', kinds: F, help: `Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule ${SINCE}` },
  { stat: 'dses', name: 'denied_sessions_total', type: 'counter', kinds: F, help: `Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule ${SINCE}` },
  { stat: 'wrew', name: 'failed_header_rewriting_total', type: 'counter', kinds: FBS, help: `Total number of failed HTTP header rewrites ${SINCE}` },
  { stat: 'connect', name: 'connection_attempts_total', type: 'counter', kinds: BS, help: `Total number of outgoing connection attempts on this backend/server ${SINCE}` },
  { stat: 'reuse', name: 'connection_reuses_total', type: 'counter', kinds: BS, help: `Total number of reused connection on this backend/server ${SINCE}` },
  { stat: 'cache_lookups', name: 'http_cache_lookups_total', type: 'counter', kinds: FB, help: `Total number of HTTP requests looked up in the cache on this frontend/backend ${SINCE}`, http: true },
  // HAProxy's text, as it ships (the counter is of hits).
  { stat: 'cache_hits', name: 'http_cache_hits_total', type: 'counter', kinds: FB, help: `Total number of HTTP requests not found in the cache on this frontend/backend ${SINCE}`, http: true },
  { stat: 'srv_icur', name: 'idle_connections_current', type: 'gauge', kinds: S, help: 'Current number of idle connections available for reuse on this server' },
  { stat: 'src_ilim', name: 'idle_connections_limit', type: 'gauge', kinds: S, help: "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)" },
  { stat: 'qtime_max', name: 'max_queue_time_seconds', type: 'gauge', kinds: BS, help: 'Maximum observed time spent in the queue', ms: true },
  { stat: 'ctime_max', name: 'max_connect_time_seconds', type: 'gauge', kinds: BS, help: 'Maximum observed time spent waiting for a connection to complete', ms: true },
  { stat: 'rtime_max', name: 'max_response_time_seconds', type: 'gauge', kinds: BS, help: 'Maximum observed time spent waiting for a server response', ms: true },
  { stat: 'ttime_max', name: 'max_total_time_seconds', type: 'gauge', kinds: BS, help: 'Maximum observed total request+response time (request+queue+connect+response+processing)', ms: true },
  { stat: 'eint', name: 'internal_errors_total', type: 'counter', kinds: FBS, help: 'Total number of internal errors since process started' },
  { stat: 'idle_conn_cur', name: 'unsafe_idle_connections_current', type: 'gauge', kinds: S, help: 'Current number of unsafe idle connections' },
  { stat: 'safe_conn_cur', name: 'safe_idle_connections_current', type: 'gauge', kinds: S, help: 'Current number of safe idle connections' },
  { stat: 'used_conn_cur', name: 'used_connections_current', type: 'gauge', kinds: S, help: 'Current number of connections in use' },
  { stat: 'need_conn_est', name: 'need_connections_current', type: 'gauge', kinds: S, help: 'Estimated needed number of connections' },
  { stat: 'uweight', name: 'uweight', type: 'gauge', kinds: BS, help: "Server's user weight, or sum of active servers' user weights for a backend" },
];

/** `status` label values, in HAProxy's order. */
export const FRONTEND_STATES = ['DOWN', 'UP'] as const;
export const BACKEND_STATES = ['DOWN', 'UP'] as const;
export const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
/** `check_status` label values: HAProxy's check results (those at least "failed"), in its order. */
export const CHECK_STATES = ['HANA', 'SOCKERR', 'L4OK', 'L4TOUT', 'L4CON', 'L6OK', 'L6TOUT', 'L6RSP', 'L7TOUT', 'L7RSP', 'L7OK', 'L7OKC', 'L7STS', 'PROCERR', 'PROCTOUT', 'PROCOK'] as const;

/** A server's `status` cell as HAProxy's exporter state: `UP 1/3` (going down) is still UP, `DOWN 1/2` still DOWN. */
export function serverState(status: string): (typeof SERVER_STATES)[number] {
  if (status.startsWith('MAINT')) return 'MAINT';
  if (status.startsWith('DRAIN')) return 'DRAIN';
  if (status.startsWith('NOLB')) return 'NOLB';
  if (status.startsWith('DOWN')) return 'DOWN';
  return 'UP';
}
