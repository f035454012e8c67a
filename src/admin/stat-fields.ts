// HAProxy's stat fields, in HAProxy 2.6's order (management guide §9.1, the `show stat` columns up
// to agg_server_check_status; later HAProxy versions append more), each with how handoff obtains
// its value from a StatsRow. One table: `show stat`, the stats page's `;csv` and HTML, and the
// worker's counters all take their field names from here; a field is added once.
import type { StatsRow } from '../ipc/messages.ts';

export type StatKind = StatsRow['kind'];

/**
 * Where a field's value comes from:
 * - `pxname`, `svname`, `status`: the row's own properties; `type`: HAProxy's type code of its kind;
 * - `counter`: cumulative, counted by the workers for the kinds in `counted`, summed by the master
 *   across workers and generations (`row.values[name]`);
 * - `gauge`: a current value each live worker reports for the kinds in `counted`, summed;
 * - `setting`: set on the row by the master from the configuration or the runtime API (`weight`);
 * - `none`: handoff has no value (an empty CSV cell, as HAProxy's for a field it does not fill).
 */
export type StatSource =
  | { readonly from: 'pxname' | 'svname' | 'status' | 'type' | 'setting' | 'none' }
  | { readonly from: 'counter' | 'gauge'; readonly counted: readonly StatKind[] };

export interface StatField {
  /** HAProxy's CSV name. */
  readonly name: string;
  /** The column title on the stats page; a field without one is not a column there. */
  readonly page?: string;
  readonly source: StatSource;
}

const FBS = ['frontend', 'backend', 'server'] as const;
const BS = ['backend', 'server'] as const;
const FB = ['frontend', 'backend'] as const;
const NONE = { from: 'none' } as const;
const counter = <const K extends readonly StatKind[]>(counted: K) => ({ from: 'counter', counted }) as const;

export const STAT_FIELDS = [
  { name: 'pxname', source: { from: 'pxname' } },
  { name: 'svname', page: 'Name', source: { from: 'svname' } },
  { name: 'qcur', source: NONE },
  { name: 'qmax', source: NONE },
  { name: 'scur', page: 'Sessions cur', source: { from: 'gauge', counted: FBS } },
  { name: 'smax', source: NONE },
  { name: 'slim', source: NONE },
  { name: 'stot', page: 'Sessions total', source: counter(FBS) },
  { name: 'bin', page: 'Bytes in', source: counter(FBS) },
  { name: 'bout', page: 'Bytes out', source: counter(FBS) },
  { name: 'dreq', source: NONE },
  { name: 'dresp', source: NONE },
  { name: 'ereq', page: 'Req err', source: counter(['frontend']) },
  { name: 'econ', page: 'Conn err', source: counter(BS) },
  { name: 'eresp', page: 'Resp err', source: counter(BS) },
  { name: 'wretr', page: 'Retr', source: counter(BS) },
  { name: 'wredis', page: 'Redis', source: counter(BS) },
  { name: 'status', page: 'Status', source: { from: 'status' } },
  { name: 'weight', page: 'Weight', source: { from: 'setting' } },
  { name: 'act', source: NONE },
  { name: 'bck', source: NONE },
  { name: 'chkfail', source: NONE },
  { name: 'chkdown', source: NONE },
  { name: 'lastchg', source: NONE },
  { name: 'downtime', source: NONE },
  { name: 'qlimit', source: NONE },
  { name: 'pid', source: NONE },
  { name: 'iid', source: NONE },
  { name: 'sid', source: NONE },
  { name: 'throttle', source: NONE },
  { name: 'lbtot', source: NONE },
  { name: 'tracked', source: NONE },
  { name: 'type', source: { from: 'type' } },
  { name: 'rate', source: NONE },
  { name: 'rate_lim', source: NONE },
  { name: 'rate_max', source: NONE },
  { name: 'check_status', page: 'Check', source: NONE },
  { name: 'check_code', source: NONE },
  { name: 'check_duration', source: NONE },
  { name: 'hrsp_1xx', source: counter(FBS) },
  { name: 'hrsp_2xx', page: '2xx', source: counter(FBS) },
  { name: 'hrsp_3xx', source: counter(FBS) },
  { name: 'hrsp_4xx', source: counter(FBS) },
  { name: 'hrsp_5xx', page: '5xx', source: counter(FBS) },
  { name: 'hrsp_other', source: counter(FBS) },
  { name: 'hanafail', source: NONE },
  { name: 'req_rate', source: NONE },
  { name: 'req_rate_max', source: NONE },
  { name: 'req_tot', page: 'Requests', source: counter(FBS) },
  { name: 'cli_abrt', source: counter(BS) },
  { name: 'srv_abrt', source: counter(BS) },
  { name: 'comp_in', source: counter(FB) },
  { name: 'comp_out', source: counter(FB) },
  { name: 'comp_byp', source: counter(FB) },
  { name: 'comp_rsp', source: counter(FB) },
  { name: 'lastsess', source: NONE },
  { name: 'last_chk', source: NONE },
  { name: 'last_agt', source: NONE },
  { name: 'qtime', source: NONE },
  { name: 'ctime', source: NONE },
  { name: 'rtime', source: NONE },
  { name: 'ttime', source: NONE },
  { name: 'agent_status', source: NONE },
  { name: 'agent_code', source: NONE },
  { name: 'agent_duration', source: NONE },
  { name: 'check_desc', source: NONE },
  { name: 'agent_desc', source: NONE },
  { name: 'check_rise', source: NONE },
  { name: 'check_fall', source: NONE },
  { name: 'check_health', source: NONE },
  { name: 'agent_rise', source: NONE },
  { name: 'agent_fall', source: NONE },
  { name: 'agent_health', source: NONE },
  { name: 'addr', source: NONE },
  { name: 'cookie', source: NONE },
  { name: 'mode', source: NONE },
  { name: 'algo', source: NONE },
  { name: 'conn_rate', source: NONE },
  { name: 'conn_rate_max', source: NONE },
  { name: 'conn_tot', source: NONE },
  { name: 'intercepted', source: NONE },
  { name: 'dcon', source: NONE },
  { name: 'dses', source: NONE },
  { name: 'wrew', source: NONE },
  { name: 'connect', source: NONE },
  { name: 'reuse', source: NONE },
  { name: 'cache_lookups', source: NONE },
  { name: 'cache_hits', source: NONE },
  { name: 'srv_icur', source: NONE },
  // HAProxy's spelling (for srv_ilim); scripts match it.
  { name: 'src_ilim', source: NONE },
  { name: 'qtime_max', source: NONE },
  { name: 'ctime_max', source: NONE },
  { name: 'rtime_max', source: NONE },
  { name: 'ttime_max', source: NONE },
  { name: 'eint', source: NONE },
  { name: 'idle_conn_cur', source: NONE },
  { name: 'safe_conn_cur', source: NONE },
  { name: 'used_conn_cur', source: NONE },
  { name: 'need_conn_est', source: NONE },
  { name: 'uweight', source: NONE },
  { name: 'agg_server_check_status', source: NONE },
] as const satisfies readonly StatField[];

type TableField = (typeof STAT_FIELDS)[number];
const TABLE: readonly StatField[] = STAT_FIELDS;

export type StatFieldName = TableField['name'];

/** The fields of `from` (`counter` or `gauge`) that the workers keep for an object of kind K. */
type Counted<From extends 'counter' | 'gauge', K extends StatKind> = TableField extends infer F
  ? F extends { name: infer N; source: { from: From; counted: readonly (infer C)[] } }
    ? K extends C
      ? N
      : never
    : never
  : never;

/** The cumulative counters a worker keeps for an object of kind K (`req_tot`, `hrsp_2xx`, …). */
export type CounterField<K extends StatKind> = Counted<'counter', K>;
/** The gauges a worker reports for an object of kind K (`scur`). */
export type GaugeField<K extends StatKind> = Counted<'gauge', K>;

function counted(from: 'counter' | 'gauge', kind: StatKind): string[] {
  return TABLE.flatMap((f) => ('counted' in f.source && f.source.from === from && f.source.counted.includes(kind) ? [f.name] : []));
}

/** The names of CounterField<K>, in the table's order. */
export function counterFields<K extends StatKind>(kind: K): readonly CounterField<K>[] {
  return counted('counter', kind) as CounterField<K>[];
}

/** The names of GaugeField<K>, in the table's order. */
export function gaugeFields<K extends StatKind>(kind: K): readonly GaugeField<K>[] {
  return counted('gauge', kind) as GaugeField<K>[];
}

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
    case 'none':
      return undefined;
    default: {
      const v = row.values[field.name];
      return v === undefined ? undefined : String(v);
    }
  }
}

const BY_NAME = new Map(TABLE.map((f) => [f.name, f]));

/** A named selection of the table, in the selection's order. */
export function statColumns(names: readonly StatFieldName[]): readonly StatField[] {
  return names.map((n) => BY_NAME.get(n) as StatField);
}

/** The table from its first field through `last`. */
export function statFieldsThrough(last: StatFieldName): readonly StatField[] {
  return TABLE.slice(0, TABLE.findIndex((f) => f.name === last) + 1);
}
