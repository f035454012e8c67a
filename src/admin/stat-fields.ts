// HAProxy's stat fields, in HAProxy 2.6's order (management guide §9.1: the `show stat` columns,
// then the `-` column and the stat modules' fields HAProxy 2.6.12 prints), each with its typed
// output type and tags, its description, and how handoff obtains its value from a StatsRow. One
// table: `show stat` (CSV, typed, JSON), the stats page, the exporter, and the worker's counters
// all take their field names from here; a field is added once.
import type { StatsRow } from '../ipc/messages.ts';

export type StatKind = StatsRow['kind'];

/**
 * Where a field's value comes from:
 * - `pxname`, `svname`, `status`: the row's own properties; `type`: HAProxy's type code of its kind;
 * - `separator`: HAProxy's `-` column before the stat modules' fields, always `-`;
 * - `counter`: cumulative, counted by the workers for the kinds in `counted`, summed by the master
 *   across workers and generations (`row.values[name]`);
 * - `gauge`: a current value each live worker reports for the kinds in `counted`, summed;
 * - `max`: a highest value each worker reports; the master keeps the highest ever seen;
 * - `avg`: an average over a worker's last 1024 requests; the master keeps the live workers' highest;
 * - `latest`: an epoch-ms time each worker reports; the master shows seconds since the latest;
 * - `setting`: set on the row by the master (configuration, health checks, rates), in
 *   `row.values` or `row.texts`, for the kinds where HAProxy shows one;
 * - `none`: handoff has no value (an empty CSV cell, as HAProxy's for a field it does not fill).
 */
export type StatSource =
  | { readonly from: 'pxname' | 'svname' | 'status' | 'type' | 'separator' | 'setting' | 'none' }
  | { readonly from: 'counter' | 'gauge' | 'max' | 'avg' | 'latest'; readonly counted: readonly StatKind[] };

/** The typed output's value type. */
export type StatType = 'str' | 'u32' | 's32' | 'u64';

export interface StatField {
  /** HAProxy's CSV name. */
  readonly name: string;
  /** The column title on the stats page; a field without one is not a column there. */
  readonly page?: string;
  readonly type: StatType;
  /** Origin, nature and scope letters of the typed output (`MCP`: metric, counter, process). */
  readonly tags: string;
  /** Where HAProxy tags a kind's value otherwise. */
  readonly tagsFor?: Partial<Record<StatKind, string>>;
  /** HAProxy's description (`show stat typed desc`). */
  readonly desc: string;
  readonly source: StatSource;
}

const FBS = ['frontend', 'backend', 'server'] as const;
const BS = ['backend', 'server'] as const;
const NONE = { from: 'none' } as const;
const counter = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'counter', counted }) as const;
const gauge = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'gauge', counted }) as const;
const max = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'max', counted }) as const;
const avg = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'avg', counted }) as const;
const latest = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'latest', counted }) as const;

export const STAT_FIELDS = [
  { name: 'pxname', type: 'str', tags: 'KNS', desc: 'Proxy name', source: { from: 'pxname' } },
  { name: 'svname', page: 'Name', type: 'str', tags: 'KNS', desc: 'Server name', source: { from: 'svname' } },
  { name: 'qcur', type: 'u32', tags: 'MGP', desc: 'Number of current queued connections', source: gauge(BS) },
  { name: 'qmax', type: 'u32', tags: 'MMP', desc: 'Highest value of queued connections encountered since process started', source: max(BS) },
  { name: 'scur', page: 'Sessions cur', type: 'u32', tags: 'MGP', desc: 'Number of current sessions on the frontend, backend or server', source: gauge(FBS) },
  { name: 'smax', type: 'u32', tags: 'MMP', desc: 'Highest value of current sessions encountered since process started', source: max(FBS) },
  { name: 'slim', type: 'u32', tags: 'CLP', desc: 'Frontend/listener/server\'s maxconn, backend\'s fullconn', source: { from: 'setting' } },
  { name: 'stot', page: 'Sessions total', type: 'u64', tags: 'MCP', desc: 'Total number of sessions since process started', source: counter(FBS) },
  { name: 'bin', page: 'Bytes in', type: 'u64', tags: 'MCP', desc: 'Total number of request bytes since process started', source: counter(FBS) },
  { name: 'bout', page: 'Bytes out', type: 'u64', tags: 'MCP', desc: 'Total number of response bytes since process started', source: counter(FBS) },
  { name: 'dreq', type: 'u64', tags: 'MCP', desc: 'Total number of denied requests since process started', source: counter(['frontend', 'backend']) },
  { name: 'dresp', type: 'u64', tags: 'MCP', desc: 'Total number of denied responses since process started', source: counter(FBS) },
  { name: 'ereq', page: 'Req err', type: 'u64', tags: 'MCP', desc: 'Total number of invalid requests since process started', source: counter(['frontend']) },
  { name: 'econ', page: 'Conn err', type: 'u64', tags: 'MCP', desc: 'Total number of failed connections to server since the worker process started', source: counter(BS) },
  { name: 'eresp', page: 'Resp err', type: 'u64', tags: 'MCP', desc: 'Total number of invalid responses since the worker process started', source: counter(BS) },
  { name: 'wretr', page: 'Retr', type: 'u64', tags: 'MCP', desc: 'Total number of server connection retries since the worker process started', source: counter(BS) },
  { name: 'wredis', page: 'Redis', type: 'u64', tags: 'MCP', desc: 'Total number of server redispatches due to connection failures since the worker process started', source: counter(BS) },
  { name: 'status', page: 'Status', type: 'str', tags: 'SGP', desc: 'Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status', source: { from: 'status' } },
  { name: 'weight', page: 'Weight', type: 'u32', tags: 'MaP', desc: 'Server\'s effective weight, or sum of active servers\' effective weights for a backend', source: { from: 'setting' } },
  { name: 'act', type: 'u32', tags: 'MGP', tagsFor: { server: 'SGP' }, desc: 'Total number of active UP servers with a non-zero weight', source: { from: 'setting' } },
  { name: 'bck', type: 'u32', tags: 'MGP', tagsFor: { server: 'SGP' }, desc: 'Total number of backup UP servers with a non-zero weight', source: { from: 'setting' } },
  { name: 'chkfail', type: 'u64', tags: 'MCP', desc: 'Total number of failed individual health checks per server/backend, since the worker process started', source: { from: 'setting' } },
  { name: 'chkdown', type: 'u64', tags: 'MCP', desc: 'Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started', source: { from: 'setting' } },
  { name: 'lastchg', type: 'u32', tags: 'MAP', desc: 'How long ago the last server state changed, in seconds', source: { from: 'setting' } },
  { name: 'downtime', type: 'u32', tags: 'MCP', desc: 'Total time spent in DOWN state, for server or backend', source: { from: 'setting' } },
  { name: 'qlimit', type: 'u32', tags: 'CLP', desc: 'Server\'s maxqueue', source: NONE },
  { name: 'pid', type: 'u32', tags: 'KGP', desc: 'Relative worker process number (1)', source: { from: 'setting' } },
  { name: 'iid', type: 'u32', tags: 'KGS', desc: 'Frontend or Backend numeric identifier (\'id\' setting)', source: { from: 'setting' } },
  { name: 'sid', type: 'u32', tags: 'KGS', desc: 'Server numeric identifier (\'id\' setting)', source: { from: 'setting' } },
  { name: 'throttle', type: 'u32', tags: 'MAP', desc: 'Throttling ratio applied to a server\'s maxconn and weight during the slowstart period (0 to 100%)', source: NONE },
  { name: 'lbtot', type: 'u64', tags: 'MCP', desc: 'Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)', source: counter(BS) },
  { name: 'tracked', type: 'str', tags: 'CGP', desc: 'Name of the other server this server tracks for its state', source: NONE },
  { name: 'type', type: 'u32', tags: 'CGS', desc: 'Type of the object (Listener, Frontend, Backend, Server)', source: { from: 'type' } },
  { name: 'rate', type: 'u32', tags: 'MRP', tagsFor: { backend: 'MGP' }, desc: 'Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)', source: { from: 'setting' } },
  { name: 'rate_lim', type: 'u32', tags: 'CLP', desc: 'Limit on the number of sessions accepted in a second (frontend only, \'rate-limit sessions\' setting)', source: { from: 'setting' } },
  { name: 'rate_max', type: 'u32', tags: 'MMP', tagsFor: { backend: 'MGP' }, desc: 'Highest value of sessions per second observed since the worker process started', source: { from: 'setting' } },
  { name: 'check_status', page: 'Check', type: 'str', tags: 'MOP', desc: 'Status report of the server\'s latest health check, prefixed with \'*\' if a check is currently in progress', source: { from: 'setting' } },
  { name: 'check_code', type: 'u32', tags: 'MOP', desc: 'HTTP/SMTP/LDAP status code reported by the latest server health check', source: { from: 'setting' } },
  { name: 'check_duration', type: 'u64', tags: 'MDP', desc: 'Total duration of the latest server health check, in milliseconds', source: { from: 'setting' } },
  { name: 'hrsp_1xx', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status 100-199 returned by this object since the worker process started', source: counter(FBS) },
  { name: 'hrsp_2xx', page: '2xx', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status 200-299 returned by this object since the worker process started', source: counter(FBS) },
  { name: 'hrsp_3xx', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status 300-399 returned by this object since the worker process started', source: counter(FBS) },
  { name: 'hrsp_4xx', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status 400-499 returned by this object since the worker process started', source: counter(FBS) },
  { name: 'hrsp_5xx', page: '5xx', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status 500-599 returned by this object since the worker process started', source: counter(FBS) },
  { name: 'hrsp_other', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)', source: counter(FBS) },
  { name: 'hanafail', type: 'u64', tags: 'MCP', desc: 'Total number of failed checks caused by an \'on-error\' directive after an \'observe\' condition matched', source: NONE },
  { name: 'req_rate', type: 'u32', tags: 'MRP', desc: 'Number of HTTP requests processed over the last second on this object', source: { from: 'setting' } },
  { name: 'req_rate_max', type: 'u32', tags: 'MMP', desc: 'Highest value of http requests observed since the worker process started', source: { from: 'setting' } },
  { name: 'req_tot', page: 'Requests', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP requests processed by this object since the worker process started', source: counter(FBS) },
  { name: 'cli_abrt', type: 'u64', tags: 'MCP', desc: 'Total number of requests or connections aborted by the client since the worker process started', source: counter(BS) },
  { name: 'srv_abrt', type: 'u64', tags: 'MCP', desc: 'Total number of requests or connections aborted by the server since the worker process started', source: counter(BS) },
  { name: 'comp_in', type: 'u64', tags: 'MCP', desc: 'Total number of bytes submitted to the HTTP compressor for this object since the worker process started', source: counter(['frontend', 'backend']) },
  { name: 'comp_out', type: 'u64', tags: 'MCP', desc: 'Total number of bytes emitted by the HTTP compressor for this object since the worker process started', source: counter(['frontend', 'backend']) },
  { name: 'comp_byp', type: 'u64', tags: 'MCP', desc: 'Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)', source: counter(['frontend', 'backend']) },
  { name: 'comp_rsp', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP responses that were compressed for this object since the worker process started', source: counter(['frontend', 'backend']) },
  { name: 'lastsess', type: 's32', tags: 'MAP', desc: 'How long ago some traffic was seen on this object on this worker process, in seconds', source: latest(BS) },
  { name: 'last_chk', type: 'str', tags: 'MOP', desc: 'Short description of the latest health check report for this server (see also check_desc)', source: { from: 'setting' } },
  { name: 'last_agt', type: 'str', tags: 'MOP', desc: 'Last agent check contents or textual error', source: NONE },
  { name: 'qtime', type: 'u32', tags: 'MaP', desc: 'Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)', source: avg(BS) },
  { name: 'ctime', type: 'u32', tags: 'MaP', desc: 'Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)', source: avg(BS) },
  { name: 'rtime', type: 'u32', tags: 'MaP', desc: 'Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)', source: avg(BS) },
  { name: 'ttime', type: 'u32', tags: 'MaP', desc: 'Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)', source: avg(BS) },
  { name: 'agent_status', type: 'str', tags: 'MOP', desc: 'Status report of the latest agent check, see agent_desc for the text', source: NONE },
  { name: 'agent_code', type: 'u32', tags: 'MOP', desc: 'Status code reported by the latest server agent check', source: NONE },
  { name: 'agent_duration', type: 'u64', tags: 'MDP', desc: 'Total duration of the latest server agent check, in milliseconds', source: NONE },
  { name: 'check_desc', type: 'str', tags: 'MOP', desc: 'Textual description of the latest health check report for this server', source: { from: 'setting' } },
  { name: 'agent_desc', type: 'str', tags: 'MOP', desc: 'Textual description of the latest agent check', source: NONE },
  { name: 'check_rise', type: 'u32', tags: 'CGS', desc: 'Number of successful health checks before declaring a server UP (server \'rise\' setting)', source: { from: 'setting' } },
  { name: 'check_fall', type: 'u32', tags: 'CGS', desc: 'Number of failed health checks before declaring a server DOWN (server \'fall\' setting)', source: { from: 'setting' } },
  { name: 'check_health', type: 'u32', tags: 'CGS', desc: 'Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)', source: { from: 'setting' } },
  { name: 'agent_rise', type: 'u32', tags: 'CGP', desc: 'Number of successful agent checks needed for a server to be considered UP', source: NONE },
  { name: 'agent_fall', type: 'u32', tags: 'CGP', desc: 'Number of failed agent checks needed for a server to be considered DOWN', source: NONE },
  { name: 'agent_health', type: 'u32', tags: 'SGP', desc: 'Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)', source: NONE },
  { name: 'addr', type: 'str', tags: 'CGS', desc: 'Server\'s address:port, shown only if show-legends is set, or at levels oper/admin for the CLI', source: { from: 'setting' } },
  { name: 'cookie', type: 'str', tags: 'CGS', desc: 'Backend\'s cookie name or Server\'s cookie value, shown for servers and backends', source: { from: 'setting' } },
  { name: 'mode', type: 'str', tags: 'CGS', desc: '\'mode\' setting (tcp/http/health/cli)', source: { from: 'setting' } },
  { name: 'algo', type: 'str', tags: 'CGS', desc: 'Backend\'s load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI', source: { from: 'setting' } },
  { name: 'conn_rate', type: 'u32', tags: 'MRP', desc: 'Number of new connections accepted over the last second on the frontend for this worker process', source: { from: 'setting' } },
  { name: 'conn_rate_max', type: 'u32', tags: 'MMP', desc: 'Highest value of connections per second observed since the worker process started', source: { from: 'setting' } },
  { name: 'conn_tot', type: 'u64', tags: 'MCP', desc: 'Total number of new connections accepted on this frontend since the worker process started', source: counter(['frontend']) },
  { name: 'intercepted', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started', source: counter(['frontend']) },
  { name: 'dcon', type: 'u64', tags: 'MCP', desc: 'Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started', source: NONE },
  { name: 'dses', type: 'u64', tags: 'MCP', desc: 'Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started', source: NONE },
  { name: 'wrew', type: 'u64', tags: 'MCP', desc: 'Total number of failed HTTP header rewrites since the worker process started', source: counter(FBS) },
  { name: 'connect', type: 'u64', tags: 'MCP', desc: 'Total number of outgoing connection attempts on this backend/server since the worker process started', source: counter(BS) },
  { name: 'reuse', type: 'u64', tags: 'MCP', desc: 'Total number of reused connection on this backend/server since the worker process started', source: counter(BS) },
  { name: 'cache_lookups', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started', source: NONE },
  { name: 'cache_hits', type: 'u64', tags: 'MCP', desc: 'Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started', source: NONE },
  { name: 'srv_icur', type: 'u32', tags: 'MGP', desc: 'Current number of idle connections available for reuse on this server', source: gauge(['server']) },
  // HAProxy's spelling (for srv_ilim); scripts match it.
  { name: 'src_ilim', type: 'u32', tags: 'MGP', desc: 'Limit on the number of idle connections', source: NONE },
  { name: 'qtime_max', type: 'u32', tags: 'MMP', desc: 'Maximum observed time spent in the queue, in milliseconds (backend/server)', source: max(BS) },
  { name: 'ctime_max', type: 'u32', tags: 'MMP', desc: 'Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)', source: max(BS) },
  { name: 'rtime_max', type: 'u32', tags: 'MMP', desc: 'Maximum observed time spent waiting for a server response, in milliseconds (backend/server)', source: max(BS) },
  { name: 'ttime_max', type: 'u32', tags: 'MMP', desc: 'Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)', source: max(BS) },
  { name: 'eint', type: 'u64', tags: 'MCP', desc: 'Total number of internal errors since process started', source: NONE },
  { name: 'idle_conn_cur', type: 'u32', tags: 'MGP', desc: 'Current number of unsafe idle connections', source: gauge(['server']) },
  { name: 'safe_conn_cur', type: 'u32', tags: 'MGP', desc: 'Current number of safe idle connections', source: gauge(['server']) },
  { name: 'used_conn_cur', type: 'u32', tags: 'MGP', desc: 'Current number of connections in use', source: gauge(['server']) },
  { name: 'need_conn_est', type: 'u32', tags: 'MGP', desc: 'Estimated needed number of connections', source: NONE },
  { name: 'uweight', type: 'u32', tags: 'MaP', desc: 'Server\'s user weight, or sum of active servers\' user weights for a backend', source: { from: 'setting' } },
  { name: 'agg_server_status', type: 'u32', tags: 'MGP', desc: 'Backend\'s aggregated gauge of servers\' status', source: NONE },
  { name: 'agg_server_check_status', type: 'u32', tags: 'MGP', desc: 'Backend\'s aggregated gauge of servers\' state check status', source: NONE },
  { name: 'agg_check_status', type: 'u32', tags: 'MGP', desc: 'Backend\'s aggregated gauge of servers\' state check status', source: NONE },
  // HAProxy 2.6's stat modules (ssl, h2, h1) follow its `-` column; handoff fills none of them.
  { name: '-', type: 'str', tags: 'KNS', desc: '', source: { from: 'separator' } },
  { name: 'ssl_sess', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'ssl_reused_sess', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'ssl_failed_handshake', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_headers_rcvd', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_data_rcvd', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_settings_rcvd', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_rst_stream_rcvd', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_goaway_rcvd', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_detected_conn_protocol_errors', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_detected_strm_protocol_errors', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_rst_stream_resp', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_goaway_resp', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_open_connections', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_backend_open_streams', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_total_connections', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h2_backend_total_streams', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_open_connections', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_open_streams', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_total_connections', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_total_streams', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_bytes_in', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_bytes_out', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_spliced_bytes_in', type: 'u64', tags: 'MCP', desc: '', source: NONE },
  { name: 'h1_spliced_bytes_out', type: 'u64', tags: 'MCP', desc: '', source: NONE },
] as const satisfies readonly StatField[];

type TableField = (typeof STAT_FIELDS)[number];
const TABLE: readonly StatField[] = STAT_FIELDS;

export type StatFieldName = TableField['name'];

/** The fields of `from` (`counter`, or a gauge's combination) that the workers keep for an object of kind K. */
type Counted<From extends 'counter' | GaugeCombine, K extends StatKind> = TableField extends infer F
  ? F extends { name: infer N; source: { from: From; counted: readonly (infer C)[] } }
    ? K extends C
      ? N
      : never
    : never
  : never;

/** The cumulative counters a worker keeps for an object of kind K (`req_tot`, `hrsp_2xx`, …). */
export type CounterField<K extends StatKind> = Counted<'counter', K>;
/** The gauges a worker reports for an object of kind K (`scur`, `smax`, `rtime`, `lastsess`…). */
export type GaugeField<K extends StatKind> = Counted<'gauge' | 'max' | 'avg' | 'latest', K>;

/** How the master combines the workers' reports of a gauge field. */
export type GaugeCombine = 'gauge' | 'max' | 'avg' | 'latest';

function counted(from: 'counter' | GaugeCombine, kind: StatKind): string[] {
  return TABLE.flatMap((f) => ('counted' in f.source && f.source.from === from && f.source.counted.includes(kind) ? [f.name] : []));
}

/** The names of CounterField<K>, in the table's order. */
export function counterFields<K extends StatKind>(kind: K): readonly CounterField<K>[] {
  return counted('counter', kind) as CounterField<K>[];
}

/** The names of GaugeField<K>, in the table's order. */
export function gaugeFields<K extends StatKind>(kind: K): readonly GaugeField<K>[] {
  return TABLE.flatMap((f) => (f.source.from !== 'counter' && 'counted' in f.source && f.source.counted.includes(kind) ? [f.name] : [])) as GaugeField<K>[];
}

/** How each worker-reported gauge field is combined over workers (`scur` summed, `smax` the highest…). */
export const GAUGE_COMBINE: ReadonlyMap<string, GaugeCombine> = new Map(
  TABLE.flatMap((f) => (f.source.from === 'gauge' || f.source.from === 'max' || f.source.from === 'avg' || f.source.from === 'latest' ? [[f.name, f.source.from] as const] : [])),
);

/** Whole-process counters (object `proc`), as HAProxy's `show info` DroppedLogs: not per proxy. */
export const PROCESS_COUNTERS = ['dropped_logs'] as const;
export type ProcessCounter = (typeof PROCESS_COUNTERS)[number];

const TYPE_CODE: Record<StatKind, number> = { frontend: 0, backend: 1, server: 2 };

/** The field's value on this row, or undefined when the row has none. */
export function statValue(row: StatsRow, field: StatField): string | undefined {
  switch (field.source.from) {
    case 'pxname':
      return row.pxname;
    case 'svname':
      return row.svname;
    case 'status':
      return row.status;
    case 'type':
      return String(TYPE_CODE[row.kind]);
    case 'separator':
      return '-';
    case 'none':
      return undefined;
    default: {
      const v = row.values[field.name] ?? row.texts?.[field.name];
      return v === undefined ? undefined : String(v);
    }
  }
}

const BY_NAME = new Map(TABLE.map((f) => [f.name, f]));

/** A named selection of the table, in the selection's order. */
export function statColumns(names: readonly StatFieldName[]): readonly StatField[] {
  return names.map((n) => BY_NAME.get(n) as StatField);
}

/** Every field, in HAProxy's order: the columns of `show stat` and of the stats page's `;csv`. */
export const ALL_STAT_FIELDS: readonly StatField[] = TABLE;

/** The typed output's tags of the field on a row of this kind. */
export function statTags(field: StatField, kind: StatKind): string {
  return field.tagsFor?.[kind] ?? field.tags;
}

/** The table from its first field through `last`. */
export function statFieldsThrough(last: StatFieldName): readonly StatField[] {
  return TABLE.slice(0, TABLE.findIndex((f) => f.name === last) + 1);
}
