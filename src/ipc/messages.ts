// Every message exchanged between the master and its workers, in one place.
// Transport: Node's child_process IPC channel (JSON). Listening sockets travel as the handle of a
// `listener` message (`child.send(msg, tcpHandle)`), one message per socket.
import type { StickSnapshot, StickTrackEvents, StickUpdate } from '../stick/types.ts';
import type { Config, Server } from '../config/model.ts';

/** Runtime state of one server as decided by the master (health checks, admin commands). */
export interface ServerState {
  up: boolean;
  /** HAProxy's NOLB (`http-check disable-on-404` saw a 404): up, but no new traffic. */
  nolb?: boolean;
  /** Runtime weight override (`set weight`); absent means the configured weight. */
  weight?: number;
  admin: 'ready' | 'drain' | 'maint';
  /** In maintenance because its name does not resolve (HAProxy's RMAINT, `MAINT (resolution)`). */
  resolution?: true;
  /** Epoch ms the server last came back UP after being DOWN (for `slowstart`); absent: up since start. */
  upSince?: number;
}

/** Server id (`backend/server`) → state. Servers absent from the map are up and ready. */
export type ServerStates = Record<string, ServerState>;

/**
 * Counter deltas since the worker's previous report, keyed by object then field:
 * objects are `fe/NAME`, `be/NAME`, `srv/BACKEND/SERVER`; fields follow HAProxy's CSV names
 * (`req_tot`, `hrsp_2xx`, `hrsp_5xx`, `bin`, `bout`, `econ`, `eresp`, `wretr`, `stot`, …).
 * Object `proc` holds whole-process counters (`dropped_logs`).
 */
export type CounterDeltas = Record<string, Record<string, number>>;

/** Current values of gauges (`scur`, …), same keys as counters; summed by the master over workers. */
export type Gauges = Record<string, Record<string, number>>;

/** One histogram's new observations: per bucket (not cumulative, the last +Inf), their sum in ms, their count. */
export interface HistogramDelta {
  buckets: number[];
  sumMs: number;
  count: number;
}

/** Latency histogram deltas (src/worker/latency-histogram.ts), keyed by object (`fe/NAME`, `be/NAME`) then time (`rtime`, `ctime`, `ttime`). */
export type HistogramDeltas = Record<string, Record<string, HistogramDelta>>;

/** What the Prometheus exporter needs beyond the stat rows (`stats-request {metrics}`). */
export interface MetricsExtra {
  /** Histogram totals since the master started, same keys as HistogramDeltas. */
  histograms: HistogramDeltas;
  reloads: { inPlaceOk: number; inPlaceFailed: number; newProcessesOk: number; newProcessesFailed: number; failedBeforePath: number; lastDurationMs?: number };
  drainingGenerations: number;
  /** Client connections kept open into a new generation by in-place reloads, summed over workers. */
  carriedConnections: number;
  startedAt: number;
  pid: number;
  workers: number;
  listeners: number;
  /** Each proxy's mode, by `fe/NAME` and `be/NAME`: HTTP-only families are left out for tcp ones, as HAProxy does. */
  modes: Record<string, 'http' | 'tcp'>;
  /** `global maxconn`, when set. */
  maxconn?: number;
  stopping: boolean;
}

export interface StatsRow {
  pxname: string;
  svname: string;
  kind: 'frontend' | 'backend' | 'server';
  status: string;
  values: Record<string, number>;
  /** Text fields the master sets (`check_status`, `addr`, `mode`, `algo`…), by stat field name. */
  texts?: Record<string, string>;
  /** HAProxy's proxy id (`iid`) and server id (`sid`, 0 on FRONTEND and BACKEND rows): filters use them. */
  iid?: number;
  sid?: number;
}

export interface StatsSnapshot {
  generation: number;
  workers: number;
  uptimeMs: number;
  rows: StatsRow[];
  /** Log lines dropped by every worker ever, because a log target failed or blocked. */
  droppedLogs?: number;
}

/** One line of `show sess`: a stream the worker holds (a request in flight, or a tcp session). */
export interface SessionLine {
  /** `0x…`: unique over the workers (it carries the worker's pid). */
  id: string;
  proto: string;
  src: string;
  frontend: string;
  backend: string;
  server: string;
  ageMs: number;
}

/** What the runtime API asks every worker (answered with `admin-answer`, same requestId). */
export type WorkerQuery =
  | { kind: 'sessions' }
  | { kind: 'shutdown-session'; id: string }
  /** `shutdown sessions server`: end every session of server `id`. */
  | { kind: 'shutdown-server'; id: string }
  /** Sessions open with server `id` (`del server` refuses while any). */
  | { kind: 'server-busy'; id: string }
  /** `disable frontend` (`pause`) / `enable frontend`: stop or resume accepting on sockets `keys`. */
  | { kind: 'pause-listeners'; keys: string[] }
  | { kind: 'resume-listeners'; keys: string[] };

/** HAProxy's result of a stats page action, shown by the page as `;st=CODE`. */
export type StatsAdminCode = 'DONE' | 'PART' | 'NONE' | 'ERRP' | 'DENY' | 'EXCD' | 'IVAL' | 'UNKN';

/** One operation on a master-held stick table: a tracker starts (answered), or what it adds / its end. */
export type StickOp =
  | { op: 'track'; requestId: number; table: string; key: string; events: StickTrackEvents }
  | { op: 'update'; table: string; key: string; update: StickUpdate }
  /** A `src_*`/`table_*` fetch on a key not tracked: the entry read (created when `create`, for src_inc/clr_gpc). */
  | { op: 'lookup'; requestId: number; table: string; key: string; create: boolean };

export interface StickAnswer {
  requestId: number;
  entry?: StickSnapshot;
  /** A lookup's table fill (also without an entry): table_cnt, table_avl. */
  used?: number;
  size?: number;
}

export type MasterToWorker =
  | {
      type: 'init';
      generation: number;
      index: number;
      /** Workers in this cohort (forked together): each maxconn is split into this many shares. */
      workers: number;
      config: Config;
      /** Keys of every listener the worker must receive before it may report ready. */
      listenerKeys: string[];
      servers: ServerStates;
      /** Base64 of 48 bytes: TLS session-ticket keys shared by every worker and generation. */
      ticketKeys: string;
    }
  /** `spare`: the answer to a `listener-request` (another copy of a socket the worker accepts on). */
  | { type: 'listener'; key: string; spare?: true }
  /**
   * In-place reload: build generation `generation` from `config` inside this running process
   * (same code, warm JIT, no fork), answer `ready` or `reconfigure-error`, and switch to it only on
   * `activate`. Sockets new to this config follow as `listener` messages (listened on at activate).
   */
  | { type: 'reconfigure'; generation: number; config: Config; listenerKeys: string[]; servers: ServerStates }
  /**
   * Start accepting with `generation`; the previous in-process generation drains, bounded by
   * `hardStopAfterMs` (0: none). At most `maxOldGenerations` drain at once; beyond, the oldest is
   * closed now.
   */
  | { type: 'activate'; generation: number; hardStopAfterMs: number; maxOldGenerations: number }
  /** Forget a prepared generation that will not be activated (another worker failed). */
  | { type: 'discard'; generation: number }
  | { type: 'servers'; servers: ServerStates }
  /** The runtime API changed a map or ACL file (`add map` …): its entries now, for `generation`. */
  | { type: 'pattern-ref'; generation: number; path: string; entries: [key: string, value: string][] }
  | { type: 'drain'; hardStopAfterMs: number }
  | { type: 'stats'; requestId: number; snapshot: StatsSnapshot; metrics?: MetricsExtra }
  | { type: 'stats-admin-result'; requestId: number; code: StatsAdminCode }
  /** `add server`: server `server` joins backend `backend` in every runtime this process holds. */
  | { type: 'server-add'; backend: string; server: Server }
  /** `del server`: server `id` leaves every runtime this process holds. */
  | { type: 'server-del'; id: string }
  /** `set server addr|port`, `set maxconn server`: server `server.id` of backend `backend` connects
   * there from its next connection, in every runtime this process holds. */
  | { type: 'server-update'; backend: string; server: Server }
  | { type: 'admin-query'; requestId: number; query: WorkerQuery }
  /** Report the counters now (answered with `counters` carrying this requestId): `show stat` reads them current. */
  | { type: 'counters-request'; requestId: number }
  /** `clear counters`: the worker's maxima (`smax`, `qmax`, `*time_max`) start again from now. */
  | { type: 'clear-counters' }
  /** Answers to a `stick-ops` batch's tracks: each entry's values after counting (none: no such table, or full). */
  | { type: 'stick-entries'; answers: StickAnswer[] };

export type WorkerToMaster =
  | { type: 'ready'; generation: number; index: number; pid: number }
  | { type: 'startup-error'; message: string }
  /** A `reconfigure` could not be prepared; the process keeps serving its current generation. */
  | { type: 'reconfigure-error'; generation: number; message: string }
  /** Every second, at drain, and (with `requestId`) in answer to `counters-request`. */
  | { type: 'counters'; deltas: CounterDeltas; gauges: Gauges; histograms?: HistogramDeltas; requestId?: number }
  | { type: 'drained' }
  /** The worker now accepts with `generation` (answer to `activate`); `carried`: client connections its kept layers took into it. */
  | { type: 'activated'; generation: number; carried?: number }
  /** An in-process generation this worker was draining has finished (or was killed). */
  | { type: 'generation-drained'; generation: number }
  /** `metrics`: the answer carries MetricsExtra too (for the Prometheus exporter). */
  | { type: 'stats-request'; requestId: number; metrics?: true }
  /**
   * The stats page's admin form was posted (`stats admin` held): apply `action` to the servers
   * named in `backend` (its name), as `set server … state` does; answered with
   * `stats-admin-result`.
   */
  | { type: 'stats-admin'; requestId: number; backend: string; action: string; servers: string[] }
  /**
   * Passive health (`observe`): this worker saw `errors` consecutive errors on server `id`
   * (`error-limit` reached; `last` describes the last one). The master applies `on-error` and
   * answers with `servers`; meanwhile the worker does not pick that server.
   */
  | { type: 'server-errors'; id: string; errors: number; last: string }
  /** The worker closed its copy of socket `key` at its share of maxconn and wants another, to
   * accept again once below it; answered with `listener {key, spare}` + handle. */
  | { type: 'listener-request'; key: string }
  /** Answer to `admin-query`: the sessions listed, or how many were concerned (ended, open, paused). */
  | { type: 'admin-answer'; requestId: number; sessions?: SessionLine[]; count: number }
  /** Stick-table operations of one event-loop turn, in order (tracks answered by `stick-entries`). */
  | { type: 'stick-ops'; ops: StickOp[] };

export function isWorkerToMaster(value: unknown): value is WorkerToMaster {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isMasterToWorker(value: unknown): value is MasterToWorker {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
