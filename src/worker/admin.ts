// The worker's side of the runtime API commands that act on what only a worker holds: servers
// added and deleted at run time (`add server`, `del server`), the sessions it serves (`show sess`,
// `shutdown session`, `shutdown sessions server`) and its accepting sockets (`disable frontend`,
// `enable frontend`). Nothing here runs per request: sessions are found by walking the layers'
// connections when asked.
import type { Socket } from 'node:net';
import type { Server } from '../config/model.ts';
import type { ServerStates, SessionLine, WorkerQuery } from '../ipc/messages.ts';
import { markKilled, type ClientConn } from './connections.ts';
import { acceptTimes, clientAddress } from './log-record.ts';
import type { ProtocolLayer } from './protocol.ts';
import { buildServerRuntime, type PoolProvider, type ServerRuntime, type WorkerRuntime } from './runtime.ts';
import type { CounterRegistry } from './counters.ts';

export interface WorkerAdminDeps {
  runtimes(): Iterable<WorkerRuntime>;
  layers(): ProtocolLayer[];
  servers(): ServerStates;
  counters: CounterRegistry;
  pools: PoolProvider;
  closeUnusedPools(): void;
  /** The sockets this process accepts on: stop (`close`) or ask whether it does. */
  listeners: { has(key: string): boolean; close(key: string): void };
}

export interface WorkerAdmin {
  addServer(backend: string, server: Server): void;
  delServer(id: string): void;
  /** `set server addr` & co.: the server's new settings replace it; connections open stay where they are. */
  updateServer(backend: string, server: Server): void;
  /** The answer to a query: sessions listed, and how many things it concerned. */
  answer(query: WorkerQuery): { sessions?: SessionLine[]; count: number };
}

/** A session's id, given the first time it is listed (nothing is spent on sessions never listed). */
const kId = Symbol('handoff.sessionId');
type Tagged = Socket & { [kId]?: { id: string; seenMs: number } };
let nextId = 1;

function tagOf(sock: Socket): { id: string; seenMs: number } {
  const t = sock as Tagged;
  // HAProxy shows a pointer: ours is the pid and a sequence number, unique over the workers.
  t[kId] ??= { id: `0x${(process.pid * 0x1000000 + (nextId++ % 0x1000000)).toString(16)}`, seenMs: Date.now() };
  return t[kId];
}

interface Stream {
  socket: Socket;
  layer: ProtocolLayer;
  conn?: ClientConn;
}

/** HAProxy's streams: HTTP connections with a request in flight, and every tcp session. */
function* streams(layers: ProtocolLayer[]): Generator<Stream> {
  for (const layer of layers) {
    const seen = new Set<Socket>();
    for (const conn of layer.connections.clientConns()) {
      seen.add(conn.socket);
      if (conn.active > 0 || conn.tunnel) yield { socket: conn.socket, layer, conn };
    }
    if (layer.shape !== 'tcp') continue;
    for (const raw of layer.connections.rawSockets()) if (!seen.has(raw) && !raw.destroyed) yield { socket: raw, layer };
  }
}

function protoOf(layer: ProtocolLayer): string {
  const bind = layer.route.bind;
  if (bind.unix !== undefined) return 'unix_stream';
  return bind.host.includes(':') ? 'tcpv6' : 'tcpv4';
}

function serversByClient(runtimes: Iterable<WorkerRuntime>): Map<Socket, ServerRuntime> {
  const out = new Map<Socket, ServerRuntime>();
  for (const rt of runtimes) for (const be of rt.backends.values()) for (const srv of be.servers) for (const c of srv.sessions.clients()) if (c !== undefined) out.set(c, srv);
  return out;
}

function listSessions(deps: WorkerAdminDeps): SessionLine[] {
  const bySocket = serversByClient(deps.runtimes());
  const now = Date.now();
  const out: SessionLine[] = [];
  for (const s of streams(deps.layers())) {
    const tag = tagOf(s.socket);
    const { ip, port } = s.conn !== undefined ? { ip: s.conn.clientIp, port: s.conn.clientPort } : clientAddress(s.socket);
    const since = (s.conn?.acceptMs || undefined) ?? acceptTimes.get(s.socket) ?? tag.seenMs;
    const srv = bySocket.get(s.socket);
    out.push({
      id: tag.id,
      proto: protoOf(s.layer),
      src: `${ip}:${port}`,
      frontend: s.layer.route.fe.frontend.name,
      backend: srv?.backend.backend.name ?? '<NONE>',
      server: srv?.server.name ?? '<none>',
      ageMs: Math.max(0, now - since),
    });
  }
  return out;
}

function shutdownSession(deps: WorkerAdminDeps, id: string): number {
  for (const s of streams(deps.layers())) {
    if ((s.socket as Tagged)[kId]?.id !== id) continue;
    markKilled(s.socket);
    s.socket.destroy();
    return 1;
  }
  return 0;
}

function serversWithId(deps: WorkerAdminDeps, id: string): ServerRuntime[] {
  const out: ServerRuntime[] = [];
  for (const rt of deps.runtimes()) for (const be of rt.backends.values()) for (const srv of be.servers) if (srv.server.id === id) out.push(srv);
  return out;
}

export function createWorkerAdmin(deps: WorkerAdminDeps): WorkerAdmin {
  return {
    addServer(backend, server) {
      for (const rt of deps.runtimes()) {
        const be = rt.backends.get(backend);
        if (be === undefined || be.servers.some((s) => s.server.name === server.name)) continue;
        // Each runtime has its own copy of the configuration: the server joins it too.
        if (!be.backend.servers.some((s) => s.name === server.name)) be.backend.servers.push(server);
        be.servers.push(buildServerRuntime(be, server, deps.servers()[server.id], deps.counters, deps.pools));
      }
    },
    delServer(id) {
      for (const rt of deps.runtimes()) {
        for (const be of rt.backends.values()) {
          const i = be.servers.findIndex((s) => s.server.id === id);
          if (i !== -1) be.servers.splice(i, 1);
          const j = be.backend.servers.findIndex((s) => s.id === id);
          if (j !== -1) be.backend.servers.splice(j, 1);
        }
      }
      deps.closeUnusedPools();
    },
    updateServer(backend, server) {
      for (const rt of deps.runtimes()) {
        const be = rt.backends.get(backend);
        const i = be?.servers.findIndex((s) => s.server.id === server.id) ?? -1;
        if (be === undefined || i === -1) continue;
        const j = be.backend.servers.findIndex((s) => s.id === server.id);
        if (j !== -1) be.backend.servers[j] = server;
        be.servers[i] = buildServerRuntime(be, server, deps.servers()[server.id], deps.counters, deps.pools);
      }
      deps.closeUnusedPools();
    },
    answer(query) {
      switch (query.kind) {
        case 'sessions': {
          const sessions = listSessions(deps);
          return { sessions, count: sessions.length };
        }
        case 'shutdown-session':
          return { count: shutdownSession(deps, query.id) };
        case 'shutdown-server':
          return { count: serversWithId(deps, query.id).reduce((n, srv) => n + srv.sessions.killAll('K'), 0) };
        case 'server-busy':
          return { count: serversWithId(deps, query.id).reduce((n, srv) => n + srv.sessions.size + srv.active + srv.pool.queue.length, 0) };
        case 'pause-listeners': {
          const held = query.keys.filter((k) => deps.listeners.has(k));
          for (const k of held) deps.listeners.close(k);
          return { count: held.length };
        }
        case 'resume-listeners':
          return { count: query.keys.filter((k) => deps.listeners.has(k)).length };
      }
    },
  };
}
