// What a stick table is (configuration.txt `stick-table`) and the values workers and the master
// exchange about its entries. Pure types and names: the config, the master and workers share them.

export type StickKeyType = 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';

/** The data a table can store, in HAProxy's order (`show table` prints them so). */
export const STICK_DATA = [
  'server_id', 'gpt0', 'gpc0', 'gpc0_rate', 'conn_cnt', 'conn_rate', 'conn_cur', 'sess_cnt', 'sess_rate',
  'http_req_cnt', 'http_req_rate', 'http_err_cnt', 'http_err_rate', 'bytes_in_cnt', 'bytes_in_rate',
  'bytes_out_cnt', 'bytes_out_rate', 'gpc1', 'gpc1_rate',
] as const;

export type StickDataName = (typeof STICK_DATA)[number];

/** Data types that are frequency counters and need a period: `http_req_rate(10s)`. */
export function isRate(name: StickDataName): boolean {
  return name.endsWith('_rate');
}

export interface StickStore {
  name: StickDataName;
  /** The period of a rate, in ms. */
  periodMs?: number;
}

export interface StickTableDef {
  /** The proxy that declares it. */
  name: string;
  type: StickKeyType;
  /** Key length for string (default 32) and binary keys. */
  len: number;
  size: number;
  /** Entries untouched this long go (none when undefined). */
  expireMs: number | undefined;
  nopurge: boolean;
  /** In HAProxy's data order. */
  store: StickStore[];
}

/** What a tracking event counts on an entry (HAProxy: start of tracking and the request). */
export interface StickTrackEvents {
  /** A new tracker: conn_cur, conn_cnt, conn_rate. */
  conn: boolean;
  /** A session (tcp-request connection/session tracking): sess_cnt, sess_rate. */
  sess: boolean;
  /** An HTTP request: http_req_cnt, http_req_rate. */
  httpReq: boolean;
}

/** Changes a worker sends without waiting: the tracker's end, errors, bytes, gpc/gpt actions. */
export interface StickUpdate {
  /** The tracker ended: conn_cur and use go down. */
  release?: true;
  httpErr?: number;
  bytesIn?: number;
  bytesOut?: number;
  /** gpc0/gpc1 increments (sc_inc_gpc0, sc-inc-gpc0). */
  gpc0?: number;
  gpc1?: number;
  /** gpc0/gpc1/gpt0 set (sc_clr_gpc0, sc-set-gpt0). */
  setGpc0?: number;
  setGpc1?: number;
  setGpt0?: number;
  /** `stick on|store-request`: the entry (created if absent) names this server (server_id). */
  serverId?: number;
  /** With serverId: the server's name (`server_key`, which matching prefers). */
  serverKey?: string;
}

/** One entry's values as read at the time of the answer, and its table's fill. */
export interface StickSnapshot {
  table: string;
  key: string;
  data: Partial<Record<StickDataName, number>>;
  /** `server_key`: the stored server's name, when one was stored with it. */
  serverKey?: string;
  used: number;
  size: number;
}
