// Worker process entry: the worker side of the protocol in src/ipc/messages.ts.
// init → one `listener` per socket → `ready`; then `servers` updates, `stats` answers,
// in-place reloads (`reconfigure` → `ready` → `activate`: a new generation inside this process;
// each listening socket's protocol layer is kept when its shape is unchanged, so kept-alive
// connections carry on and their next request meets the new configuration; layers that cannot be
// kept drain beside the new ones), and at last `drain` (or a lost master) → finish in-flight work
// → final `counters` → `drained` → exit 0.
import net from 'node:net';
import type { Bind, Config } from '../config/model.ts';
import type { MasterToWorker, ServerStates, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import { isMasterToWorker } from '../ipc/messages.ts';
import { createSharedLogResources } from '../log/sinks.ts';
import { createConnectionRegistry, markKilled, type ConnectionRegistry } from './connections.ts';
import { createCounterRegistry } from './counters.ts';
import type { HttpDeps } from './http-proxy.ts';
import { clientAddress } from './http-proxy.ts';
import { createLayer, prepareRoute, type BindRoute, type ProtocolLayer } from './protocol.ts';
import { createAcceptLoop, shareOf, type ConnLimit, type SocketLimits } from './accept-limit.ts';
import { applyStates, buildRuntime, type FrontendRuntime, type WorkerRuntime } from './runtime.ts';
import { UpstreamPool, type UpstreamOptions } from './upstream.ts';
import { serveStatsPage } from './stats.ts';

/** Hard stop for a worker whose master vanished and whose config sets no hard-stop-after. */
const ORPHAN_HARD_STOP_MS = 30_000;
/** How long a kept-alive connection must have been idle before a drain closes it. */
const DRAIN_IDLE_GRACE_MS = 1000;

/** One configuration's worth of runtime inside this process. */
interface WorkerGeneration {
  id: number;
  config: Config;
  runtime: WorkerRuntime;
  routes: Map<string, BindRoute>;
  listenerKeys: string[];
}

/** Layers an activation (or the final drain) could not keep: they drain, then `generation` is done. */
interface RetiredSet {
  generation: number;
  layers: ProtocolLayer[];
  /** The retired generation's runtime: requests it still carries on kept layers finish first. */
  runtime?: WorkerRuntime;
  timer?: NodeJS.Timeout;
}

const counters = createCounterRegistry();
const droppedLogs = counters.proc();
/** Log writers never block or throw: a failing stdout/stderr/syslog drops lines (counted). */
const logResources = createSharedLogResources({ onDrop: (n) => (droppedLogs.values.dropped_logs += n) });
/** This process's share of each maxconn (`global`, `fe:NAME`, `bind:KEY`), kept across reloads
 * so that connections already open keep counting. */
const connLimits = new Map<string, ConnLimit>();
/** The protocol layer each socket's new connections go to. */
const layers = new Map<string, ProtocolLayer>();
/** Handles received for a prepared generation, listened on when it is activated. */
const parked = new Map<string, unknown>();
/** One upstream pool per server and settings, shared by generations that name the same server. */
const pools = new Map<string, UpstreamPool>();
const pendingStats = new Map<number, (s: StatsSnapshot | undefined) => void>();
const retiring = new Set<RetiredSet>();
let active: WorkerGeneration | undefined;
let prepared: WorkerGeneration | undefined;
let ticketKeys: Buffer = Buffer.alloc(48);
let servers: ServerStates = {};
let index = 0;
/** Workers in this process generation: each limit is split into this many shares. */
let workers = 1;
let initialised = false;
let readySent = false;
let stopping = false;
let exiting = false;
let nextStatsId = 1;
let reportTimer: NodeJS.Timeout | undefined;

function send(msg: WorkerToMaster, cb?: () => void): void {
  if (!process.connected || process.send === undefined) {
    cb?.();
    return;
  }
  try {
    process.send(msg, undefined, {}, () => cb?.());
  } catch {
    cb?.();
  }
}

/** This worker's own message on stderr (through the writer that cannot block or throw). */
function say(message: string): void {
  logResources.stderr().write(`handoff worker ${process.pid}: ${message}\n`);
}

function fail(message: string): void {
  say(message);
  logResources.stderr().flushSync();
  send({ type: 'startup-error', message }, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}

function reportCounters(cb?: () => void): void {
  const { deltas, gauges } = counters.take();
  send({ type: 'counters', deltas, gauges }, cb);
}

function poolFor(given: UpstreamOptions): UpstreamPool {
  // A server's maxconn is split over the workers like the others, but never below 1: requests
  // cannot move to another worker's pool, so a share of 0 would starve this worker's clients.
  const max = given.connections;
  const options = max === null ? given : { ...given, connections: Math.max(1, shareOf(max, index, workers)) };
  const key = JSON.stringify(options);
  let pool = pools.get(key);
  if (pool === undefined || pool.closed || pool.destroyed) pools.set(key, (pool = new UpstreamPool(options)));
  return pool;
}

/** Close the pools no live generation or draining layer can use any more (gracefully: requests
 * already on them finish). */
function closeUnusedPools(): void {
  const used = new Set<UpstreamPool>();
  const runtimes = new Set<WorkerRuntime>();
  if (active) runtimes.add(active.runtime);
  if (prepared) runtimes.add(prepared.runtime);
  for (const layer of layers.values()) runtimes.add(layer.route.runtime);
  for (const set of retiring) {
    if (set.runtime !== undefined) runtimes.add(set.runtime);
    for (const layer of set.layers) runtimes.add(layer.route.runtime);
  }
  for (const rt of runtimes) for (const be of rt.backends.values()) for (const srv of be.servers) used.add(srv.pool);
  for (const [key, pool] of pools) {
    if (used.has(pool)) continue;
    pools.delete(key);
    void pool.close().catch(noop);
  }
}

function serveStats(fe: FrontendRuntime, req: Parameters<typeof serveStatsPage>[2], res: Parameters<typeof serveStatsPage>[3]): void {
  if (fe.frontend.stats !== undefined) serveStatsPage(fe.frontend.stats, requestSnapshot, req, res);
}

/** Build a generation: runtime and, per bind, a checked route. Nothing accepts yet. */
function buildGeneration(id: number, config: Config, listenerKeys: string[]): WorkerGeneration | string {
  const built = buildRuntime(config, servers, counters, logResources, poolFor);
  if (!built.ok) return built.message;
  const gen: WorkerGeneration = { id, config, runtime: built.runtime, routes: new Map(), listenerKeys };
  for (const fe of built.runtime.frontends) {
    for (const bind of fe.frontend.binds) {
      const other = gen.routes.get(bind.key);
      if (other !== undefined) return `listener ${bind.key} is used by two frontends ('${other.fe.frontend.name}' and '${fe.frontend.name}')`;
      const r = prepareRoute(fe, bind, built.runtime, serveStats);
      if (!r.ok) return r.message;
      gen.routes.set(bind.key, r.route);
    }
  }
  return gen;
}

/** Point every socket at `gen`: keep layers of the same shape, replace (and retire) the others. */
function adoptRoutes(gen: WorkerGeneration): ProtocolLayer[] {
  const retired: ProtocolLayer[] = [];
  for (const [key, route] of gen.routes) {
    const layer = layers.get(key);
    if (layer !== undefined && layer.shape === route.shape) {
      layer.setRoute(route);
      continue;
    }
    if (layer !== undefined) retired.push(layer);
    layers.set(key, createLayer(route, ticketKeys, createConnectionRegistry()));
  }
  for (const [key, layer] of layers) {
    if (gen.routes.has(key)) continue;
    layers.delete(key);
    retired.push(layer);
  }
  return retired;
}

function onInit(msg: Extract<MasterToWorker, { type: 'init' }>): void {
  if (initialised) return;
  initialised = true;
  index = msg.index;
  workers = msg.workers;
  servers = msg.servers;
  ticketKeys = Buffer.from(msg.ticketKeys, 'base64');
  const gen = buildGeneration(msg.generation, msg.config, msg.listenerKeys);
  if (typeof gen === 'string') {
    fail(gen);
    return;
  }
  active = gen;
  adoptRoutes(gen);
  reportTimer = setInterval(() => reportCounters(), 1000);
  reportTimer.unref();
  maybeReady();
}

/** This process's limits for socket `key` under `gen`: global, frontend (0: the global one) and
 * bind `maxconn`, each split over the workers; the backlog is the frontend's maxconn (HAProxy's). */
function socketLimits(gen: WorkerGeneration, key: string): SocketLimits {
  const route = gen.routes.get(key);
  // A socket none of our frontends uses: held, never accepted on.
  if (route === undefined) return { limits: [{ share: 0, count: 0 }], backlog: 511 };
  const g = gen.config.global.maxconn;
  const fe = route.fe.frontend;
  const feMax = fe.maxconn || g;
  const bindMax = fe.binds.find((b) => b.key === key)?.maxconn;
  const limits = [limitOf('global', g), limitOf(`fe:${fe.name}`, feMax)];
  if (bindMax !== undefined) limits.push(limitOf(`bind:${key}`, bindMax));
  return { limits, backlog: Math.min(65535, Math.max(511, bindMax ?? feMax ?? 0)) };
}

function limitOf(id: string, total: number | undefined): ConnLimit {
  let l = connLimits.get(id);
  if (l === undefined) connLimits.set(id, (l = { share: Infinity, count: 0 }));
  l.share = shareOf(total, index, workers);
  return l;
}

/** Each accepted connection goes to the generation active *now*. */
const acceptLoop = createAcceptLoop({
  onConnection(key, sock) {
    const layer = layers.get(key);
    if (layer === undefined) {
      sock.destroy();
      return;
    }
    const fe = layer.route.fe;
    // Half-open clients are an HTTP-level matter; under TLS the raw socket must close when the
    // peer does, or a client that hung up leaves it in CLOSE-WAIT (and a drain waiting on it).
    if (layer.shape === 'https') sock.allowHalfOpen = false;
    layer.connections.accepted(sock);
    sock.on('error', noop);
    fe.counters.values.stot++;
    fe.counters.scur++;
    sock.once('close', () => {
      fe.counters.scur--;
      if (sock.bytesRead === 0 && !fe.frontend.dontLogNull) logNullConnection(fe, layer.connections, sock);
    });
    layer.sink(sock);
  },
  requestHandle(key) {
    if (!stopping) send({ type: 'listener-request', key });
  },
  onError(key, err) {
    if (readySent) say(`cannot accept on ${key}: ${err.message}`);
    else fail(`cannot accept on ${key}: ${err.message}`);
  },
});

function onListener(key: string, handle: unknown, spare: boolean): void {
  if (handle === undefined || handle === null) return;
  if (stopping || (spare && !acceptLoop.has(key))) {
    (handle as { close?: () => void }).close?.();
    return;
  }
  if (spare || acceptLoop.has(key)) {
    // Another copy of a socket we accept on: the answer to a listener-request.
    const gen = active;
    if (gen === undefined) return;
    acceptLoop.addHandle(key, handle, socketLimits(gen, key));
    return;
  }
  if (readySent && prepared !== undefined) {
    // For a prepared generation: listen only once it is activated.
    parked.set(key, handle);
    maybePreparedReady();
    return;
  }
  if (active === undefined) return;
  acceptLoop.addHandle(key, handle, socketLimits(active, key), maybeReady);
}

function noop(): void {}

function logNullConnection(fe: FrontendRuntime, connections: ConnectionRegistry, sock: net.Socket): void {
  const log = fe.log;
  if (log === undefined || fe.frontend.mode === 'tcp') return;
  const { ip, port } = clientAddress(sock);
  const now = Date.now();
  const line = log.format({
    clientIp: ip, clientPort: port, acceptMs: now, requestMs: now, frontend: fe.frontend.name, tls: false,
    backend: fe.frontend.name, server: '<NOSRV>', TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1, Tt: 0, status: -1,
    bytesOut: 0, bytesIn: 0, termination: 'CR--', actconn: connections.openCount, feconn: fe.counters.scur,
    beconn: 0, srvconn: 0, retries: 0, method: '', uri: '', httpVersion: '1.1', pid: process.pid,
  });
  for (const sink of log.sinks) sink(line);
}

function maybeReady(): void {
  if (readySent || active === undefined) return;
  for (const key of active.listenerKeys) if (!acceptLoop.has(key)) return;
  readySent = true;
  send({ type: 'ready', generation: active.id, index, pid: process.pid });
}

function onReconfigure(msg: Extract<MasterToWorker, { type: 'reconfigure' }>): void {
  if (stopping || !readySent) return;
  if (prepared !== undefined) discard(prepared.id);
  servers = msg.servers;
  const gen = buildGeneration(msg.generation, msg.config, msg.listenerKeys);
  if (typeof gen === 'string') {
    send({ type: 'reconfigure-error', generation: msg.generation, message: gen });
    return;
  }
  prepared = gen;
  maybePreparedReady();
}

function maybePreparedReady(): void {
  const gen = prepared;
  if (gen === undefined) return;
  for (const key of gen.listenerKeys) if (!acceptLoop.has(key) && !parked.has(key)) return;
  send({ type: 'ready', generation: gen.id, index, pid: process.pid });
}

function activate(id: number, hardStopAfterMs: number, maxOld: number): void {
  const next = prepared;
  if (next === undefined || next.id !== id || stopping) return;
  prepared = undefined;
  const previous = active;
  active = next;
  const retired = adoptRoutes(next);
  // Sockets the new configuration no longer names: stop accepting (the master closes its copy).
  // The others take the new shares of maxconn (a lower one pauses accepting, never closes).
  for (const key of acceptLoop.keys()) {
    if (!next.listenerKeys.includes(key)) acceptLoop.close(key);
    else acceptLoop.setLimits(key, socketLimits(next, key));
  }
  for (const [key, handle] of parked) acceptLoop.addHandle(key, handle, socketLimits(next, key));
  parked.clear();
  if (previous !== undefined) retire({ generation: previous.id, layers: retired, runtime: previous.runtime }, hardStopAfterMs);
  // Bound the generations draining side by side: the oldest beyond the limit closes now.
  for (const set of retiring) {
    if (retiring.size <= maxOld) break;
    say(`more than ${maxOld} generations draining, closing generation ${set.generation} now`);
    closeNow(set);
  }
  closeUnusedPools();
  send({ type: 'activated', generation: id });
}

function discard(id: number): void {
  if (prepared === undefined || prepared.id !== id) return;
  prepared = undefined;
  for (const handle of parked.values()) (handle as { close?: () => void }).close?.();
  parked.clear();
  closeUnusedPools();
}

/** Let retired layers finish their connections (drain rules in connections.ts) and the retired
 * runtime its requests in flight on kept layers, then free them. */
function retire(set: RetiredSet, hardStopAfterMs: number): void {
  const rt = set.runtime;
  if (set.layers.length === 0 && (rt === undefined || rt.inflight.size === 0)) {
    if (!stopping) send({ type: 'generation-drained', generation: set.generation });
    return;
  }
  retiring.add(set);
  if (hardStopAfterMs > 0) {
    set.timer = setTimeout(() => {
      if (!retiring.has(set)) return;
      const open = set.layers.reduce((n, l) => n + l.connections.openCount, 0) + (rt?.inflight.size ?? 0);
      say(`hard-stop-after reached, closing ${open} connection(s) of generation ${set.generation}`);
      closeNow(set);
    }, hardStopAfterMs);
    set.timer.unref();
  }
  let left = set.layers.length + 1;
  const done = () => {
    if (--left === 0) finishRetired(set);
  };
  for (const layer of set.layers) {
    const t = layer.route.fe.frontend.timeouts;
    const grace = Math.min(DRAIN_IDLE_GRACE_MS, ...[t.httpKeepAlive ?? t.client].filter((x) => x > 0));
    layer.connections.drain(grace, done);
  }
  // One-shot: once the retired runtime is idle, what it could still serve is on retired layers,
  // whose own drain waits for it.
  if (rt === undefined || rt.inflight.size === 0) done();
  else
    rt.onIdle = () => {
      rt.onIdle = undefined;
      done();
    };
}

/** Stop a retired generation now: its layers' connections and its requests on kept layers. */
function closeNow(set: RetiredSet): void {
  for (const layer of set.layers) layer.connections.destroyAll();
  for (const sock of set.runtime?.inflight ?? []) {
    markKilled(sock);
    sock.destroy();
  }
  finishRetired(set);
}

function finishRetired(set: RetiredSet): void {
  if (!retiring.delete(set)) return;
  if (set.timer !== undefined) clearTimeout(set.timer);
  if (set.runtime !== undefined) set.runtime.onIdle = undefined;
  closeUnusedPools();
  if (!stopping) send({ type: 'generation-drained', generation: set.generation });
  else if (retiring.size === 0) exitDrained();
}

function requestSnapshot(timeoutMs: number): Promise<StatsSnapshot | undefined> {
  return new Promise((resolve) => {
    if (!process.connected) {
      resolve(undefined);
      return;
    }
    const requestId = nextStatsId++;
    const timer = setTimeout(() => {
      pendingStats.delete(requestId);
      resolve(undefined);
    }, timeoutMs);
    pendingStats.set(requestId, (s) => {
      clearTimeout(timer);
      pendingStats.delete(requestId);
      resolve(s);
    });
    send({ type: 'stats-request', requestId });
  });
}

/** The whole process goes: stop accepting, drain every layer it holds, exit. */
function drain(hardStopAfterMs: number): void {
  if (stopping) return;
  stopping = true;
  // Stop accepting at once; the master keeps the sockets, the new processes accept from them.
  acceptLoop.closeAll();
  if (prepared !== undefined) discard(prepared.id);
  const current = [...layers.values()];
  layers.clear();
  retire({ generation: active?.id ?? 0, layers: current, ...(active ? { runtime: active.runtime } : {}) }, hardStopAfterMs);
  if (hardStopAfterMs > 0) {
    // Generations already draining get the same bound as the process.
    setTimeout(() => {
      for (const set of retiring) closeNow(set);
    }, hardStopAfterMs).unref();
  }
  if (retiring.size === 0) exitDrained();
}

function exitDrained(): void {
  if (exiting) return;
  exiting = true;
  if (reportTimer !== undefined) clearInterval(reportTimer);
  // Queued log lines get a moment to be written; what is still queued is dropped (and counted).
  void logResources.close(500).then(() => reportCounters(() => send({ type: 'drained' }, () => process.exit(0))));
  // If the channel is stuck, do not linger.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('message', (msg: unknown, handle: unknown) => {
  if (!isMasterToWorker(msg)) return;
  switch (msg.type) {
    case 'init':
      onInit(msg);
      break;
    case 'listener':
      onListener(msg.key, handle, msg.spare === true);
      break;
    case 'reconfigure':
      onReconfigure(msg);
      break;
    case 'activate':
      activate(msg.generation, msg.hardStopAfterMs, msg.maxOldGenerations);
      break;
    case 'discard':
      discard(msg.generation);
      break;
    case 'servers': {
      servers = msg.servers;
      const runtimes = new Set<WorkerRuntime>();
      for (const gen of [active, prepared]) if (gen !== undefined) runtimes.add(gen.runtime);
      for (const layer of layers.values()) runtimes.add(layer.route.runtime);
      for (const set of retiring) for (const layer of set.layers) runtimes.add(layer.route.runtime);
      for (const rt of runtimes) applyStates(rt, msg.servers);
      break;
    }
    case 'drain':
      drain(msg.hardStopAfterMs);
      break;
    case 'stats':
      pendingStats.get(msg.requestId)?.(msg.snapshot);
      break;
  }
});

process.on('disconnect', () => {
  // The master died: no orphan workers. Drain as for a reload, bounded even without hard-stop-after.
  if (active === undefined) process.exit(1);
  drain(active.config.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => drain(active?.config.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS));
}

process.on('uncaughtException', (err) => {
  say(`uncaught exception, exiting: ${err.stack ?? String(err)}`);
  logResources.stderr().flushSync();
  process.exit(1);
});
