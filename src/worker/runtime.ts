// The worker's view of one generation's config: backends with their servers' runtime state,
// pickers and connection pools, frontends with compiled log formatters and counters.
import type { StickClient } from './stick-client.ts';
import { applySlowstart } from './slowstart.ts';
import type { Socket } from 'node:net';
import { SlotSet } from './slot-set.ts';
import type { HeadLimits } from './http1/parse.ts';
import { UpstreamPool, type UpstreamOptions } from './upstream.ts';
import type { Backend, Config, Frontend, Server } from '../config/model.ts';
import type { ServerState, ServerStates } from '../ipc/messages.ts';
import { createPicker, type Candidate, type Picker } from '../balance/algorithms.ts';
import { compileLogFormat, type LogFormatter } from '../log/format.ts';
import { createSinks, type LogSink, type SharedLogResources } from '../log/sinks.ts';
import { countPick, type BackendField, type CounterObject, type CounterRegistry, type FrontendField, type ServerField } from './counters.ts';
import type { BackendLatency, FrontendLatency, LatencyRegistry } from './latency-histogram.ts';
import { reportToMaster, type PassiveState, type ServerErrorReporter } from './passive-health.ts';
import { createServerSessions, healthChanged, type ServerSessions } from './server-sessions.ts';

/** A request between its head and its end, on the client connection `clientSocket`. */
export interface InflightExchange {
  readonly clientSocket: Socket;
  /** Its place in the runtime's `inflight` (SlotSet), -1 outside. */
  inflightSlot: number;
}

export interface ServerRuntime extends Candidate {
  readonly server: Server;
  readonly backend: BackendRuntime;
  readonly counters: CounterObject<ServerField>;
  /** Keep-alive connection pool to this server (HTTP backends); see upstream choice in docs/data-path.md. */
  readonly pool: UpstreamPool;
  /** Consecutive errors seen on real traffic (`observe`). */
  readonly passive: PassiveState;
  /** Open sessions with the server, for `on-marked-down` / `on-marked-up`. */
  readonly sessions: ServerSessions;
  /** The master's last health verdict (UP or NOLB: true). */
  healthUp: boolean;
  /** Up and not in maintenance (HAProxy's cur_state != STOPPED): takes requests its persistence cookie sends, even draining. */
  running: boolean;
}

export interface BackendRuntime {
  readonly backend: Backend;
  readonly servers: ServerRuntime[];
  readonly pick: Picker<ServerRuntime>;
  readonly counters: CounterObject<BackendField>;
  /** Latency histograms, kept only when the configuration serves the Prometheus exporter. */
  readonly latency: BackendLatency | undefined;
  /** `option http-server-close` on the backend: no server connection is reused. */
  readonly serverClose: boolean;
}

export interface FrontendRuntime {
  readonly frontend: Frontend;
  readonly counters: CounterObject<FrontendField>;
  /** Latency histograms, kept only when the configuration serves the Prometheus exporter. */
  readonly latency: FrontendLatency | undefined;
  /** Some condition of this frontend (or a backend it uses) may look at the request path. */
  readonly needsPath: boolean;
  readonly log: { format: LogFormatter; sinks: LogSink[] } | undefined;
}

export interface WorkerRuntime {
  readonly frontends: FrontendRuntime[];
  readonly backends: Map<string, BackendRuntime>;
  /** Client sockets with a request in flight under this runtime: an in-place reload's previous
   * route set has drained only when this is empty (or hard-stop-after kills them). */
  readonly inflight: SlotSet<InflightExchange, 'inflightSlot'>;
  /** Called when `inflight` becomes empty. */
  onIdle?: () => void;
  /** Passive health: tells the master a server reached its `error-limit`. */
  readonly reportServerErrors: ServerErrorReporter;
  /** What a request head may take (`tune.bufsize` − `tune.maxrewrite`, `tune.http.maxhdr`). */
  readonly headLimits: HeadLimits;
  /** The master's stick tables (set by main.ts when the configuration has any). */
  stick?: StickClient;
}

/** Every server the picker hands out is counted (`lbtot`, `lastsess`) on it and its backend. */
function counted(pick: Picker<ServerRuntime>, be: CounterObject<BackendField>): Picker<ServerRuntime> {
  return (ctx) => {
    const srv = pick(ctx);
    if (srv !== undefined) {
      const now = Date.now();
      countPick(srv.counters, now);
      countPick(be, now);
    }
    return srv;
  };
}

/** Hands out upstream pools; the worker shares one pool per server across its route sets. */
export type PoolProvider = (options: UpstreamOptions) => UpstreamPool;

const freshPool: PoolProvider = (options) => new UpstreamPool(options);

export function buildRuntime(
  config: Config,
  states: ServerStates,
  counters: CounterRegistry,
  logResources: SharedLogResources,
  pools: PoolProvider = freshPool,
  reportServerErrors: ServerErrorReporter = reportToMaster,
  latencies?: LatencyRegistry,
): WorkerRuntime {
  const latency = latencies !== undefined && servesExporter(config) ? latencies : undefined;
  const backends = new Map<string, BackendRuntime>();
  for (const b of config.backends) {
    const servers: ServerRuntime[] = [];
    const beCounters = counters.backend(b.name);
    const rt: BackendRuntime = {
      backend: b,
      servers,
      pick: counted(createPicker(b, servers), beCounters),
      counters: beCounters,
      latency: latency?.backend(b.name),
      serverClose: b.httpServerClose,
    };
    for (const s of b.servers) servers.push(buildServerRuntime(rt, s, states[s.id], counters, pools));
    backends.set(b.name, rt);
  }
  const frontends: FrontendRuntime[] = [];
  for (const f of config.frontends) {
    // A dynamic `use_backend %[…]` names its backend per request: only literal names are checked here.
    const literal = f.useBackends.flatMap((u) => (typeof u.backend === 'string' ? [u.backend] : []));
    const names = [...(f.defaultBackend !== undefined ? [f.defaultBackend] : []), ...literal];
    const used = names.map((name) => usedBackend(f, name, backends));
    const sinks = f.logFormat === null ? [] : createSinks(f.logTargets, logResources);
    const lists = [f.http, ...used.map((b) => b.http)];
    const needsPath =
      f.useBackends.length > 0 || f.monitor !== undefined || lists.some((h) => h.httpRequest.length + h.redirects.length + h.httpResponse.length + h.httpAfterResponse.length > 0);
    const captureSlots = f.http.httpRequest.filter((r) => r.action === 'capture').length;
    frontends.push({
      frontend: f,
      counters: counters.frontend(f.name),
      latency: latency?.frontend(f.name),
      needsPath,
      log: f.logFormat === null || sinks.length === 0 ? undefined : { format: compileLogFormat(f.logFormat, { captureSlots }), sinks },
    });
  }
  const g = config.global;
  const headLimits = { maxHeadBytes: Math.max(1024, (g.bufsize ?? 16384) - (g.maxrewrite ?? 1024)), maxHeaders: g.maxHeaders ?? 101 };
  return { frontends, backends, inflight: new SlotSet('inflightSlot'), reportServerErrors, headLimits };
}

/** One server's runtime state in backend `rt` (at build, or added by `add server`). */
export function buildServerRuntime(rt: BackendRuntime, s: Server, state: ServerState | undefined, counters: CounterRegistry, pools: PoolProvider): ServerRuntime {
  const b = rt.backend;
  // `option http-server-close` is applied per request (`reset`), so the pool is the same.
  const pool = pools({
    host: s.host,
    port: s.port,
    connections: s.maxconn ?? null,
    ...(s.maxqueue !== undefined ? { maxqueue: s.maxqueue } : {}),
    ...(s.poolMaxConn !== undefined ? { maxIdle: s.poolMaxConn } : {}),
    ...(s.maxReuse !== undefined ? { maxReuse: s.maxReuse } : {}),
    connectTimeout: b.timeouts.connect,
    serverTimeout: b.timeouts.server,
    // HAProxy: `timeout queue` defaults to `timeout connect`.
    queueTimeout: b.timeouts.queue ?? b.timeouts.connect,
    // Without a Keep-Alive hint from the server (then: its timeout minus 1 s), drop idle
    // connections before a typical server (Node: 5 s) does, so a request rarely meets a
    // connection being closed.
    keepAliveTimeout: 4000,
    ...(s.ssl === true && s.tls !== undefined ? { tls: s.tls } : {}),
  });
  const srv: ServerRuntime = {
    server: s,
    backend: rt,
    name: s.name,
    weight: s.weight,
    usable: !s.disabled,
    backup: s.backup,
    active: 0,
    // This process's share of the server's maxconn, as the pool enforces it.
    ...(pool.options.connections !== null ? { maxconn: pool.options.connections } : {}),
    ...(pool.options.maxqueue !== undefined ? { maxqueue: pool.options.maxqueue } : {}),
    get queued() {
      return pool.queue.length;
    },
    counters: counters.server(b.name, s.name),
    passive: { errors: 0 },
    sessions: createServerSessions(),
    healthUp: true,
    running: !s.disabled,
    pool,
  };
  applyState(srv, state);
  return srv;
}

/** Some proxy has `http-request use-service prometheus-exporter`: latency histograms are worth their marks. */
function servesExporter(config: Config): boolean {
  return [...config.frontends, ...config.backends].some((p) => p.http.httpRequest.some((r) => r.action === 'use-service'));
}

/** The backend frontend `f` names: src/config/validate.ts refuses a missing one, or a tcp one for an http frontend. */
function usedBackend(f: Frontend, name: string, backends: Map<string, BackendRuntime>): Backend {
  const be = backends.get(name)?.backend;
  if (be === undefined || (f.mode === 'http' && be.mode === 'tcp')) {
    const what = be === undefined ? 'which is not defined' : `in mode ${be.mode} (frontend: ${f.mode})`;
    throw new Error(`internal error: frontend '${f.name}' uses backend '${name}' ${what}; the configuration check should have refused it`);
  }
  return be;
}

/** `nbsrv`: a backend's usable active servers, else its usable backups (HAProxy's be_usable_srv); 0 for an unknown one. */
export function usableServers(rt: WorkerRuntime, backend: string): number {
  const be = rt.backends.get(backend);
  if (be === undefined) return 0;
  let active = 0;
  let backups = 0;
  for (const s of be.servers) {
    if (!s.usable) continue;
    if (s.backup) backups++;
    else active++;
  }
  return active > 0 ? active : backups;
}

/** Apply the master's view of a server: down/maint/drain/NOLB servers get no new traffic. */
export function applyState(srv: ServerRuntime, state: ServerState | undefined): void {
  // `disabled` in the config is the initial admin state; once the master speaks, it decides.
  srv.usable = state === undefined ? !srv.server.disabled : state.up && state.admin === 'ready' && state.nolb !== true;
  srv.running = state === undefined ? !srv.server.disabled : state.up && state.admin !== 'maint';
  applySlowstart(srv, state?.weight ?? srv.server.weight, state?.upSince);
  const wasUp = srv.healthUp;
  srv.healthUp = state?.up ?? true;
  if (wasUp !== srv.healthUp) healthChanged(srv, wasUp, srv.healthUp);
}

export function applyStates(rt: WorkerRuntime, states: ServerStates): void {
  for (const be of rt.backends.values()) for (const srv of be.servers) applyState(srv, states[srv.server.id]);
}
