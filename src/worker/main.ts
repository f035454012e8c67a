// Worker process entry: the worker side of the protocol in src/ipc/messages.ts.
// init → one `listener` per socket → `ready`; then `servers` updates, `stats` answers, and at last
// `drain` (or a lost master) → finish in-flight work → final `counters` → `drained` → exit 0.
import net from 'node:net';
import type { Bind, Config } from '../config/model.ts';
import type { MasterToWorker, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import { isMasterToWorker } from '../ipc/messages.ts';
import { createSharedLogResources } from '../log/sinks.ts';
import { createConnectionRegistry } from './connections.ts';
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

interface Listener {
  fe: FrontendRuntime;
  bind: Bind;
  sink: ConnectionSink;
  server?: net.Server;
}

const counters = createCounterRegistry();
const connections = createConnectionRegistry();
const logResources = createSharedLogResources();
const listeners = new Map<string, Listener>();
const listening = new Set<string>();
const pendingStats = new Map<number, (s: StatsSnapshot | undefined) => void>();
let runtime: WorkerRuntime | undefined;
let config: Config | undefined;
let expectedKeys: string[] = [];
let generation = 0;
let index = 0;
let readySent = false;
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

function onInit(msg: Extract<MasterToWorker, { type: 'init' }>): void {
  if (config !== undefined) return;
  config = msg.config;
  generation = msg.generation;
  index = msg.index;
  expectedKeys = msg.listenerKeys;
  const built = buildRuntime(msg.config, msg.servers, counters, logResources);
  if (!built.ok) {
    fail(built.message);
    return;
  }
  const rt = built.runtime;
  runtime = rt;
  const ticketKeys = Buffer.from(msg.ticketKeys, 'base64');
  const deps: HttpDeps = {
    runtime: rt,
    connections,
    serveStats(fe, req, res) {
      if (fe.frontend.stats !== undefined) serveStatsPage(fe.frontend.stats, requestSnapshot, req, res);
    },
  };
  for (const fe of rt.frontends) {
    for (const bind of fe.frontend.binds) {
      const made = createProtocol(fe, bind, deps, rt, ticketKeys);
      if (!made.ok) {
        fail(made.message);
        return;
      }
      if (listeners.has(bind.key)) {
        fail(`listener ${bind.key} is used by two frontends ('${listeners.get(bind.key)?.fe.frontend.name}' and '${fe.frontend.name}')`);
        return;
      }
      listeners.set(bind.key, { fe, bind, sink: made.sink });
    }
  }
  reportTimer = setInterval(() => reportCounters(), 1000);
  reportTimer.unref();
  maybeReady();
}

function onListener(key: string, handle: unknown): void {
  const l = listeners.get(key);
  if (l === undefined || handle === undefined || handle === null) {
    // A socket no frontend of ours uses (or none at all): it counts as received.
    listening.add(key);
    maybeReady();
    return;
  }
  if (connections.draining || l.server !== undefined) return;
  const fe = l.fe;
  const f = fe.frontend;
  // allowHalfOpen as http.Server itself does: a client may send its request then shut down writes.
  const server = net.createServer({ pauseOnConnect: false, noDelay: true, allowHalfOpen: true }, (sock) => {
    connections.accepted(sock);
    sock.on('error', noop);
    fe.counters.values.stot++;
    fe.counters.scur++;
    sock.once('close', () => {
      fe.counters.scur--;
      if (sock.bytesRead === 0 && !f.dontLogNull) logNullConnection(fe, sock);
    });
    l.sink(sock);
  });
  l.server = server;
  server.on('error', (err) => fail(`cannot accept on ${key}: ${err.message}`));
  server.maxConnections = f.maxconn ?? config?.global.maxconn ?? Infinity;
  const backlog = Math.min(65535, Math.max(511, config?.global.maxconn ?? 0));
  server.listen(handle as net.ListenOptions, backlog, () => {
    listening.add(key);
    maybeReady();
  });
}

function noop(): void {}

function logNullConnection(fe: FrontendRuntime, sock: net.Socket): void {
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
  if (readySent || runtime === undefined) return;
  for (const key of expectedKeys) if (!listening.has(key)) return;
  readySent = true;
  send({ type: 'ready', generation, index, pid: process.pid });
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

function drain(hardStopAfterMs: number): void {
  if (connections.draining) return;
  // Stop accepting at once; the master keeps the sockets, the new generation accepts from them.
  for (const l of listeners.values()) l.server?.close();
  const keepAlive = Math.min(
    DRAIN_IDLE_GRACE_MS,
    ...(runtime?.frontends.map((fe) => fe.frontend.timeouts.httpKeepAlive ?? fe.frontend.timeouts.client) ?? []).filter((t) => t > 0),
  );
  if (hardStopAfterMs > 0) setTimeout(hardStop, hardStopAfterMs).unref();
  connections.drain(keepAlive, exitDrained);
}

function hardStop(): void {
  if (exiting) return;
  process.stderr.write(`handoff worker ${process.pid}: hard-stop-after reached, closing ${connections.openCount} connection(s)\n`);
  connections.destroyAll();
  exitDrained();
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
    case 'servers':
      if (runtime !== undefined) applyStates(runtime, msg.servers);
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
  if (runtime === undefined) process.exit(1);
  drain(config?.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => drain(config?.global.hardStopAfter ?? ORPHAN_HARD_STOP_MS));
}

process.on('uncaughtException', (err) => {
  process.stderr.write(`handoff worker ${process.pid}: uncaught exception, exiting: ${err.stack ?? String(err)}\n`);
  process.exit(1);
});
