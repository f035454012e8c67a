// Worker process entry: the worker side of the protocol in src/ipc/messages.ts.
// init → one `listener` per socket → `ready`; then `servers` updates, `stats` answers,
// in-place reloads (`reconfigure` → `ready` → `activate`: a new generation inside this process,
// the previous one drains beside it), and at last `drain` (or a lost master) → finish in-flight
// work → final `counters` → `drained` → exit 0.
import net from 'node:net';
import type { Bind, Config } from '../config/model.ts';
import type { MasterToWorker, ServerStates, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import { isMasterToWorker } from '../ipc/messages.ts';
import { createSharedLogResources } from '../log/sinks.ts';
import { createConnectionRegistry, type ConnectionRegistry } from './connections.ts';
import { createCounterRegistry } from './counters.ts';
import type { HttpDeps } from './http-proxy.ts';
import { clientAddress } from './http-proxy.ts';
import { createProtocol, type ConnectionSink } from './protocol.ts';
import { applyStates, buildRuntime, type FrontendRuntime, type WorkerRuntime } from './runtime.ts';
import { serveStatsPage } from './stats.ts';

/** Hard stop for a worker whose master vanished and whose config sets no hard-stop-after. */
const ORPHAN_HARD_STOP_MS = 30_000;
/** How long a kept-alive connection must have been idle before a drain closes it. */
const DRAIN_IDLE_GRACE_MS = 1000;

interface Route {
  fe: FrontendRuntime;
  bind: Bind;
  sink: ConnectionSink;
}

/** One configuration's worth of runtime inside this process. */
interface WorkerGeneration {
  id: number;
  config: Config;
  runtime: WorkerRuntime;
  connections: ConnectionRegistry;
  routes: Map<string, Route>;
  listenerKeys: string[];
}

const counters = createCounterRegistry();
const logResources = createSharedLogResources();
/** Accepting servers, one per listening socket, shared by the generations of this process. */
const accepting = new Map<string, net.Server>();
/** Handles received for a prepared generation, listened on when it is activated. */
const parked = new Map<string, unknown>();
const pendingStats = new Map<number, (s: StatsSnapshot | undefined) => void>();
const retiring = new Set<WorkerGeneration>();
let active: WorkerGeneration | undefined;
let prepared: WorkerGeneration | undefined;
let ticketKeys: Buffer = Buffer.alloc(48);
let servers: ServerStates = {};
let index = 0;
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

function fail(message: string): void {
  process.stderr.write(`handoff worker ${process.pid}: ${message}\n`);
  send({ type: 'startup-error', message }, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}

function reportCounters(cb?: () => void): void {
  const { deltas, gauges } = counters.take();
  send({ type: 'counters', deltas, gauges }, cb);
}

/** Build a generation: runtime, protocol layers per bind. Nothing accepts yet. */
function buildGeneration(id: number, config: Config, listenerKeys: string[]): WorkerGeneration | string {
  const built = buildRuntime(config, servers, counters, logResources);
  if (!built.ok) return built.message;
  const connections = createConnectionRegistry();
  const gen: WorkerGeneration = { id, config, runtime: built.runtime, connections, routes: new Map(), listenerKeys };
  const deps: HttpDeps = {
    runtime: built.runtime,
    connections,
    serveStats(fe, req, res) {
      if (fe.frontend.stats !== undefined) serveStatsPage(fe.frontend.stats, requestSnapshot, req, res);
    },
  };
  for (const fe of built.runtime.frontends) {
    for (const bind of fe.frontend.binds) {
      const made = createProtocol(fe, bind, deps, built.runtime, ticketKeys);
      if (!made.ok) {
        closeRuntime(gen.runtime);
        return made.message;
      }
      const other = gen.routes.get(bind.key);
      if (other !== undefined) {
        closeRuntime(gen.runtime);
        return `listener ${bind.key} is used by two frontends ('${other.fe.frontend.name}' and '${fe.frontend.name}')`;
      }
      gen.routes.set(bind.key, { fe, bind, sink: made.sink });
    }
  }
  return gen;
}

function closeRuntime(rt: WorkerRuntime): void {
  for (const be of rt.backends.values()) for (const srv of be.servers) void srv.pool.close().catch(noop);
}

function onInit(msg: Extract<MasterToWorker, { type: 'init' }>): void {
  if (initialised) return;
  initialised = true;
  index = msg.index;
  servers = msg.servers;
  ticketKeys = Buffer.from(msg.ticketKeys, 'base64');
  const gen = buildGeneration(msg.generation, msg.config, msg.listenerKeys);
  if (typeof gen === 'string') {
    fail(gen);
    return;
  }
  active = gen;
  reportTimer = setInterval(() => reportCounters(), 1000);
  reportTimer.unref();
  maybeReady();
}

/** Accept on `handle` for listener `key`; each connection goes to the generation active *now*. */
function listen(key: string, handle: unknown, onListening: () => void): void {
  if (accepting.has(key)) return onListening();
  // allowHalfOpen as http.Server itself does: a client may send its request then shut down writes.
  const server = net.createServer({ pauseOnConnect: false, noDelay: true, allowHalfOpen: true }, (sock) => {
    const gen = active;
    const route = gen?.routes.get(key);
    if (gen === undefined || route === undefined) {
      sock.destroy();
      return;
    }
    const fe = route.fe;
    gen.connections.accepted(sock);
    sock.on('error', noop);
    fe.counters.values.stot++;
    fe.counters.scur++;
    sock.once('close', () => {
      fe.counters.scur--;
      if (sock.bytesRead === 0 && !fe.frontend.dontLogNull) logNullConnection(fe, gen.connections, sock);
    });
    route.sink(sock);
  });
  accepting.set(key, server);
  server.on('error', (err) => {
    if (readySent) process.stderr.write(`handoff worker ${process.pid}: cannot accept on ${key}: ${err.message}\n`);
    else fail(`cannot accept on ${key}: ${err.message}`);
  });
  const cfg = active?.config ?? prepared?.config;
  const fe = (active ?? prepared)?.routes.get(key)?.fe.frontend;
  server.maxConnections = fe?.maxconn ?? cfg?.global.maxconn ?? Infinity;
  const backlog = Math.min(65535, Math.max(511, cfg?.global.maxconn ?? 0));
  server.listen(handle as net.ListenOptions, backlog, onListening);
}

function onListener(key: string, handle: unknown): void {
  if (stopping) return;
  if (handle === undefined || handle === null) return;
  if (readySent && prepared !== undefined) {
    // For a prepared generation: listen only once it is activated.
    parked.set(key, handle);
    maybePreparedReady();
    return;
  }
  if (active?.routes.has(key) !== true) {
    // A socket no frontend of ours uses: it counts as received.
    accepting.set(key, net.createServer());
    maybeReady();
    return;
  }
  listen(key, handle, maybeReady);
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
  for (const key of active.listenerKeys) if (!accepting.has(key)) return;
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
  for (const key of gen.listenerKeys) if (!accepting.has(key) && !parked.has(key)) return;
  send({ type: 'ready', generation: gen.id, index, pid: process.pid });
}

function activate(id: number, hardStopAfterMs: number, maxOld: number): void {
  const next = prepared;
  if (next === undefined || next.id !== id || stopping) return;
  prepared = undefined;
  const previous = active;
  active = next;
  for (const [key, handle] of parked) listen(key, handle, noop);
  parked.clear();
  // Sockets the new configuration no longer names: stop accepting (the master closes its copy).
  for (const [key, server] of accepting) {
    if (!next.routes.has(key) && !next.listenerKeys.includes(key)) {
      server.close();
      accepting.delete(key);
    }
  }
  if (previous !== undefined) retire(previous, hardStopAfterMs);
  // Bound the generations draining side by side: the oldest beyond the limit closes now.
  for (const g of retiring) {
    if (retiring.size <= maxOld) break;
    process.stderr.write(`handoff worker ${process.pid}: more than ${maxOld} generations draining, closing generation ${g.id} now\n`);
    g.connections.destroyAll();
    finishRetired(g);
  }
}

function discard(id: number): void {
  if (prepared === undefined || prepared.id !== id) return;
  closeRuntime(prepared.runtime);
  prepared = undefined;
  for (const handle of parked.values()) (handle as { close?: () => void }).close?.();
  parked.clear();
}

/** Let a generation finish its connections (drain rules in connections.ts), then free it. */
function retire(gen: WorkerGeneration, hardStopAfterMs: number): void {
  retiring.add(gen);
  const grace = Math.min(
    DRAIN_IDLE_GRACE_MS,
    ...gen.runtime.frontends.map((fe) => fe.frontend.timeouts.httpKeepAlive ?? fe.frontend.timeouts.client).filter((t) => t > 0),
  );
  if (hardStopAfterMs > 0) {
    const timer = setTimeout(() => {
      if (!retiring.has(gen)) return;
      process.stderr.write(`handoff worker ${process.pid}: hard-stop-after reached, closing ${gen.connections.openCount} connection(s) of generation ${gen.id}\n`);
      gen.connections.destroyAll();
      finishRetired(gen);
    }, hardStopAfterMs);
    timer.unref();
  }
  gen.connections.drain(grace, () => finishRetired(gen));
}

function finishRetired(gen: WorkerGeneration): void {
  if (!retiring.delete(gen)) return;
  closeRuntime(gen.runtime);
  if (!stopping) send({ type: 'generation-drained', generation: gen.id });
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

/** The whole process goes: stop accepting, drain every generation it holds, exit. */
function drain(hardStopAfterMs: number): void {
  if (stopping) return;
  stopping = true;
  // Stop accepting at once; the master keeps the sockets, the new processes accept from them.
  for (const server of accepting.values()) server.close();
  accepting.clear();
  if (prepared !== undefined) discard(prepared.id);
  const gen = active;
  active = undefined;
  if (gen !== undefined) retire(gen, hardStopAfterMs);
  if (hardStopAfterMs > 0) {
    // Generations already draining get the same bound as the process.
    const timer = setTimeout(() => {
      for (const g of retiring) {
        g.connections.destroyAll();
        finishRetired(g);
      }
    }, hardStopAfterMs);
    timer.unref();
  }
  if (retiring.size === 0) exitDrained();
}

function exitDrained(): void {
  if (exiting) return;
  exiting = true;
  if (reportTimer !== undefined) clearInterval(reportTimer);
  logResources.close();
  reportCounters(() => send({ type: 'drained' }, () => process.exit(0)));
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
      onListener(msg.key, handle);
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
    case 'servers':
      servers = msg.servers;
      for (const gen of [active, prepared, ...retiring]) if (gen !== undefined) applyStates(gen.runtime, msg.servers);
      break;
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
  process.stderr.write(`handoff worker ${process.pid}: uncaught exception, exiting: ${err.stack ?? String(err)}\n`);
  process.exit(1);
});
