// Worker process entry: the worker side of the protocol in src/ipc/messages.ts.
// init → one `listener` per socket → `ready`; then `servers` updates, `stats` answers,
// in-place reloads (`reconfigure` → `ready` → `activate`: a new route set inside this process, see
// route-sets.ts), and at last `drain` (or a lost master) → finish in-flight work → final
// `counters` → `drained` → exit 0.
// The process's state lives here, the entry point; the other modules are factories wired below.
import type { MasterToWorker, ServerStates, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import type { StatsReply } from './metrics.ts';
import { isMasterToWorker } from '../ipc/messages.ts';
import { createSharedLogResources } from '../log/sinks.ts';
import { createAcceptLoop, createSocketLimits, shareOf } from './accept-limit.ts';
import { createCounterRegistry } from './counters.ts';
import { sampleConnections } from './connection-gauges.ts';
import { createLatencyRegistry } from './latency-histogram.ts';
import { reportToMaster } from './passive-health.ts';
import { createPools } from './pools.ts';
import { createRouteSets } from './route-sets.ts';
import { createClock } from './http1/clock.ts';
import { applyStates, buildRuntime } from './runtime.ts';
import type { HttpDeps } from './http-proxy.ts';
import type { StatsMaster } from './stats.ts';
import { createPageActions } from './stats-admin.ts';
import { applyRefEntries } from '../config/pattern-refs.ts';
import { createWorkerAdmin } from './admin.ts';
import { createStickClient } from './stick-client.ts';
import type { WorkerRuntime } from './runtime.ts';
import type { Config } from '../config/model.ts';

/** The hard-stop-after of a worker whose master vanished and whose config sets none. */
const ORPHAN_HARD_STOP_MS = 30_000;

const counters = createCounterRegistry();
const droppedLogs = counters.proc();
const latencies = createLatencyRegistry();
/** Log writers never block or throw: a failing stdout/stderr/syslog drops lines (counted). */
const logResources = createSharedLogResources({ onDrop: (n) => (droppedLogs.values.dropped_logs += n) });
const pendingStats = new Map<number, (s: StatsReply | undefined) => void>();
let ticketKeys: Buffer = Buffer.alloc(48);
let servers: ServerStates = {};
let index = 0;
/** Workers forked together with this one: each limit is split into this many shares. */
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

/** `requestId`: the answer to the master's `counters-request`. */
function reportCounters(cb?: () => void, requestId?: number): void {
  sampleConnections(routeSets.runtimesInUse());
  const { deltas, gauges } = counters.take();
  const histograms = latencies.take();
  send({ type: 'counters', deltas, gauges, ...(Object.keys(histograms).length > 0 ? { histograms } : {}), ...(requestId !== undefined ? { requestId } : {}) }, cb);
}

/** This process's share of a limit of `total`. */
const share = (total: number | undefined): number => shareOf(total, index, workers);
const limitsFor = createSocketLimits(share);
const pools = createPools({ share, runtimesInUse: () => routeSets.runtimesInUse() });

/** Each accepted connection goes to the route set active *now*. */
const acceptLoop = createAcceptLoop({
  layerFor: (key) => routeSets.layerFor(key),
  requestHandle(key) {
    if (!stopping) send({ type: 'listener-request', key });
  },
  onError(key, err) {
    if (readySent) say(`cannot accept on ${key}: ${err.message}`);
    else fail(`cannot accept on ${key}: ${err.message}`);
  },
});

const stickClient = createStickClient((msg) => send(msg));

/** A configuration with stick tables tracks through the master; one without pays nothing. */
function withStick(rt: WorkerRuntime, config: Config): WorkerRuntime {
  if (config.stickTables !== undefined) rt.stick = stickClient;
  return rt;
}

const routeSets = createRouteSets({
  buildRuntime: (config) => withStick(buildRuntime(config, servers, counters, logResources, pools.poolFor, reportToMaster, latencies), config),
  serveStats,
  ticketKeys: () => ticketKeys,
  clock: createClock(),
  listeners: {
    has: (key) => acceptLoop.has(key),
    keys: () => acceptLoop.keys(),
    close: (key) => acceptLoop.close(key),
    follow: (key, set) => acceptLoop.setLimits(key, limitsFor(set, key)),
    add: (key, handle, set) => acceptLoop.addHandle(key, handle, limitsFor(set, key)),
  },
  closeUnusedPools: () => pools.closeUnused(),
  drained(generation) {
    // While the whole process drains, the master waits for `drained` only.
    if (!stopping) send({ type: 'generation-drained', generation });
  },
  say,
});

/** Runtime API commands on what this process holds (servers added/deleted, sessions, sockets). */
const workerAdmin = createWorkerAdmin({
  runtimes: () => routeSets.runtimesInUse(),
  layers: () => routeSets.layers(),
  servers: () => servers,
  counters,
  pools: pools.poolFor,
  closeUnusedPools: () => pools.closeUnused(),
  listeners: { has: (key) => acceptLoop.has(key), close: (key) => acceptLoop.close(key) },
});

const pageActions = createPageActions((msg) => {
  if (!process.connected) return false;
  send(msg);
  return true;
});
const statsMaster: StatsMaster = { snapshot: requestSnapshot, act: pageActions.act, maxconn: () => routeSets.active()?.config.global.maxconn };

// Loaded at their first request: most configurations serve neither, and the exporter's prom-client
// alone costs a worker ~15 MB of RSS.
let metricsModule: Promise<typeof import('./metrics.ts')> | undefined;
let statsModule: Promise<typeof import('./stats.ts')> | undefined;

function serveStats(...[fe, client, head, admin, done, service]: Parameters<HttpDeps['serveStats']>): void {
  const page = fe.frontend.stats;
  if (service === 'prometheus-exporter') {
    (metricsModule ??= import('./metrics.ts')).then(
      (m) => client.closedOrGone || m.serveMetrics(requestStats, client, head, done),
      () => client.abort(),
    );
  } else if (page !== undefined) {
    (statsModule ??= import('./stats.ts')).then(
      (m) => client.closedOrGone || m.serveStatsPage(page, statsMaster, client, head, admin, done),
      () => client.abort(),
    );
  }
}

function onInit(msg: Extract<MasterToWorker, { type: 'init' }>): void {
  if (initialised) return;
  initialised = true;
  index = msg.index;
  workers = msg.workers;
  servers = msg.servers;
  ticketKeys = Buffer.from(msg.ticketKeys, 'base64');
  const error = routeSets.start(msg.generation, msg.config, msg.listenerKeys);
  if (error !== undefined) {
    fail(error);
    return;
  }
  reportTimer = setInterval(() => reportCounters(), 1000);
  reportTimer.unref();
  maybeReady();
}

function onListener(key: string, handle: unknown, spare: boolean): void {
  if (handle === undefined || handle === null) return;
  if (stopping || (spare && !acceptLoop.has(key))) {
    (handle as { close?: () => void }).close?.();
    return;
  }
  if (spare || acceptLoop.has(key)) {
    // Another copy of a socket we accept on: the answer to a listener-request.
    const set = routeSets.active();
    if (set === undefined) return;
    acceptLoop.addHandle(key, handle, limitsFor(set, key));
    return;
  }
  if (readySent && routeSets.prepared() !== undefined) {
    // For a prepared route set: listen only once it is activated.
    routeSets.park(key, handle);
    maybePreparedReady();
    return;
  }
  const set = routeSets.active();
  if (set === undefined) return;
  acceptLoop.addHandle(key, handle, limitsFor(set, key), maybeReady);
}

function maybeReady(): void {
  const set = routeSets.active();
  if (readySent || set === undefined) return;
  for (const key of set.listenerKeys) if (!acceptLoop.has(key)) return;
  readySent = true;
  send({ type: 'ready', generation: set.generation, index, pid: process.pid });
}

function onReconfigure(msg: Extract<MasterToWorker, { type: 'reconfigure' }>): void {
  if (stopping || !readySent) return;
  servers = msg.servers;
  const error = routeSets.prepare(msg.generation, msg.config, msg.listenerKeys);
  if (error !== undefined) {
    send({ type: 'reconfigure-error', generation: msg.generation, message: error });
    return;
  }
  maybePreparedReady();
}

function maybePreparedReady(): void {
  const generation = routeSets.preparedReady();
  if (generation !== undefined) send({ type: 'ready', generation, index, pid: process.pid });
}

function onActivate(msg: Extract<MasterToWorker, { type: 'activate' }>): void {
  if (stopping) return;
  const activated = routeSets.activate(msg.generation, msg.hardStopAfterMs, msg.maxOldGenerations);
  if (activated !== undefined) send({ type: 'activated', generation: msg.generation, carried: activated.carried });
}

function requestSnapshot(timeoutMs: number): Promise<StatsSnapshot | undefined> {
  return requestStats(timeoutMs, false).then((r) => r?.snapshot);
}

/** Ask the master for the stat rows (and, with `metrics`, what the exporter needs beyond them). */
function requestStats(timeoutMs: number, metrics: boolean): Promise<StatsReply | undefined> {
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
    send({ type: 'stats-request', requestId, ...(metrics ? { metrics: true as const } : {}) });
  });
}

/** The whole process goes: stop accepting, drain every layer it holds, exit. */
function drain(hardStopAfterMs: number): void {
  if (stopping) return;
  stopping = true;
  // Stop accepting at once; the master keeps the sockets, the new processes accept from them.
  acceptLoop.closeAll();
  routeSets.drainAll(hardStopAfterMs, exitWhenDrained);
}

function exitWhenDrained(): void {
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
      onActivate(msg);
      break;
    case 'discard':
      routeSets.discard(msg.generation);
      break;
    case 'servers':
      servers = msg.servers;
      for (const rt of routeSets.runtimesInUse()) applyStates(rt, msg.servers);
      break;
    case 'pattern-ref':
      for (const set of [routeSets.active(), routeSets.prepared()]) if (set?.generation === msg.generation) applyRefEntries(set.config, msg.path, msg.entries);
      break;
    case 'drain':
      drain(msg.hardStopAfterMs);
      break;
    case 'stats':
      pendingStats.get(msg.requestId)?.(msg);
      break;
    case 'stats-admin-result':
      pageActions.answered(msg.requestId, msg.code);
      break;
    case 'server-add':
      workerAdmin.addServer(msg.backend, msg.server);
      break;
    case 'server-del':
      workerAdmin.delServer(msg.id);
      break;
    case 'server-update':
      workerAdmin.updateServer(msg.backend, msg.server);
      break;
    case 'admin-query':
      send({ type: 'admin-answer', requestId: msg.requestId, ...workerAdmin.answer(msg.query) });
      break;
    case 'counters-request':
      reportCounters(undefined, msg.requestId);
      break;
    case 'clear-counters':
      counters.clearMaxima();
      break;
    case 'stick-entries':
      for (const a of msg.answers) stickClient.answered(a);
      break;
  }
});

process.on('disconnect', () => {
  // The master died: no orphan workers. Drain as for a reload, bounded even without hard-stop-after.
  const set = routeSets.active();
  if (set === undefined) process.exit(1);
  drain(set.config.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => drain(routeSets.active()?.config.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS));
}

process.on('uncaughtException', (err) => {
  say(`uncaught exception, exiting: ${err.stack ?? String(err)}`);
  logResources.stderr().flushSync();
  process.exit(1);
});
