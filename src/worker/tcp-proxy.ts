// `mode tcp`: a byte pipe from the client to the chosen server (`use_backend` conditions on the
// connection, else default_backend), with connect timeout and retries
// (connection failures only: the retry decision is retry.ts's, shared with HTTP and tunnels).
// A connection whose backend is in http mode is handed to `upgrade` (tcp-upgrade.ts) instead.
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serverConnectOptions } from '../config/server-tls-context.ts';
import { connectTls } from './upstream.ts';
import { usableServers, type BackendRuntime, type FrontendRuntime, type ServerRuntime, type WorkerRuntime } from './runtime.ts';
import { routeBackend } from './rules.ts';
import { sampleKey } from './balance-key.ts';
import { storeServer, stuckServer } from './stick-servers.ts';
import { sampleText, type SampleContext } from './sample.ts';
import { clientAddress } from './log-record.ts';
import { destinationAddress } from './client-address.ts';
import { proxyHeaderFor } from './proxy-send.ts';
import { decideRetry, nextServer, spendRetry, usableActive, type RetryState } from './retry.ts';
import { observe } from './passive-health.ts';
import { contentVerdict, inspectContent } from './content-inspect.ts';
import { observeTimes } from './counters.ts';
import { addPairSession } from './server-sessions.ts';

/** One client's session, across its connect attempts. */
interface TcpSession extends RetryState {
  fe: FrontendRuntime;
  be: BackendRuntime;
  runtime: WorkerRuntime;
  client: net.Socket;
  clientIp: string;
  tried: Set<ServerRuntime>;
  /** Inspected bytes of a client that had ended its side: written to the server first. */
  rest?: Buffer;
  /** performance.now() when the session began (the stat table's ttime). */
  startedMs: number;
}

function noop(): void {}

/** Serves a connection whose chosen backend is in http mode as HTTP. */
export type Upgrade = (client: net.Socket, be: BackendRuntime) => void;

export function createTcpHandler(fe: FrontendRuntime, runtime: WorkerRuntime, upgrade: Upgrade): (client: net.Socket) => void {
  const f = fe.frontend;
  return (client) => {
    client.on('error', noop);
    const ctx = new TcpSampleContext(client, runtime);
    // No content rule: no inspection, even with a delay (HAProxy: use_backend sees what came with the connection).
    const rules = f.tcpContent;
    if (rules === undefined) {
      route(fe, runtime, upgrade, client, ctx, undefined);
      return;
    }
    inspectContent(client, rules, { delayMs: f.inspectDelay ?? 0, maxBytes: runtime.headLimits.maxHeadBytes }, ctx, (verdict, rest) => {
      if (verdict === 'accept') route(fe, runtime, upgrade, client, ctx, rest);
      else if (verdict === 'reject') contentRejected(fe, client);
    });
  };
}

/** `tcp-request content reject`: closed at once, a denied request of the frontend — also for a
 * backend's rule, as HAProxy 2.6 counts it (measured: the backend's dreq stays 0). */
function contentRejected(fe: FrontendRuntime, client: net.Socket): void {
  fe.counters.values.dreq++;
  client.destroy();
}

/** `use_backend` (the inspected bytes visible to its conditions), then the server. `rest`: bytes
 * read that could not go back on the socket (the client had ended), sent first. */
function route(fe: FrontendRuntime, runtime: WorkerRuntime, upgrade: Upgrade, client: net.Socket, ctx: TcpSampleContext, rest: Buffer | undefined): void {
  const f = fe.frontend;
  if (client.destroyed) return;
  // HAProxy evaluates use_backend on final contents (WAIT_END holds, a partial hello is none).
  if (ctx.inspect !== undefined) ctx.inspect.final = true;
  const be = routeBackend(f, runtime.backends, ctx);
  if (be === undefined) {
    client.destroy();
    return;
  }
  const rules = be.backend.tcpContent;
  if (rules === undefined) return serve(fe, be, runtime, upgrade, client, rest, ctx);
  if (rest !== undefined) {
    // The client ended during the frontend's inspection: its bytes are final.
    const verdict = contentVerdict(rules, ctx, { data: rest, final: true, mayChange: false });
    return verdict === 'accept' ? serve(fe, be, runtime, upgrade, client, rest, ctx) : contentRejected(fe, client);
  }
  // The backend's own content rules, with its own delay (HAProxy: a second inspection).
  inspectContent(client, rules, { delayMs: be.backend.inspectDelay ?? 0, maxBytes: runtime.headLimits.maxHeadBytes }, ctx, (verdict, more) => {
    if (verdict === 'accept') serve(fe, be, runtime, upgrade, client, more ?? rest, ctx);
    else if (verdict === 'reject') contentRejected(fe, client);
  });
}

/** The chosen backend serves the connection: as HTTP when it is an http one, else piped to a server. */
function serve(fe: FrontendRuntime, be: BackendRuntime, runtime: WorkerRuntime, upgrade: Upgrade, client: net.Socket, rest: Buffer | undefined, ctx: TcpSampleContext): void {
  const f = fe.frontend;
  if (client.destroyed) return;
  if (be.backend.mode === 'http') {
    upgrade(client, be);
    return;
  }
  const clientTimeout = f.timeouts.tunnel ?? f.timeouts.client;
  if (clientTimeout > 0) client.setTimeout(clientTimeout, () => client.destroy());
  // Nothing of the client's bytes is read until a server accepted: a failed connect can be retried.
  client.pause();
  be.counters.values.stot++;
  const s: TcpSession = { fe, be, runtime, client, clientIp: clientAddress(client).ip, retries: 0, staleRetried: false, tried: new Set(), startedMs: performance.now() };
  if (rest !== undefined) s.rest = rest;
  // `stick on|match|store-request` in a tcp backend: the stuck server first, the chosen one stored.
  const pick = (stuck: { srv?: ServerRuntime; table?: string }): void => {
    if (client.destroyed) return;
    const srv = stuck.srv ?? be.pick({ clientIp: s.clientIp, hashKey: sampleKey(be.backend, ctx) });
    if (srv !== undefined && be.backend.stickRules !== undefined) storeServer(ctx, be, srv, stuck.srv === srv ? stuck.table : undefined);
    connectServer(s, srv);
  };
  if (be.backend.stickRules !== undefined && runtime.stick !== undefined) {
    ctx.stick ??= { client: runtime.stick, slots: [] };
    const sticking = stuckServer(ctx, be, be.backend.persist ? 'persist' : 'normal');
    if (sticking !== undefined) return void sticking.then(pick, () => pick({}));
  }
  pick({});
}

const NO_HEADERS: string[] = [];

/** What a tcp-mode `use_backend` condition can read: the connection (src, dst, ports, variables). */
export class TcpSampleContext implements SampleContext {
  conn: SampleContext['conn'];
  inspect: SampleContext['inspect'] = undefined;
  ssl = false;
  head = undefined;
  method = '';
  path = '';
  upstreamHeaders = NO_HEADERS;
  status = 0;
  resHeaders = undefined;
  vars: SampleContext['vars'] = undefined;
  stick: SampleContext['stick'] = undefined;
  private readonly runtime: WorkerRuntime;

  constructor(client: net.Socket, runtime: WorkerRuntime) {
    const { ip, port } = clientAddress(client);
    this.conn = { clientIp: ip, clientPort: port, socket: client };
    this.runtime = runtime;
  }

  nbsrv(backend: string): number {
    return usableServers(this.runtime, backend);
  }
}

function connectServer(s: TcpSession, srv: ServerRuntime | undefined): void {
  const client = s.client;
  if (srv === undefined || client.destroyed) {
    client.destroy();
    return;
  }
  // A server without a port (or with +N/-N) takes the port the client connected to, as HAProxy.
  const offset = srv.server.portOffset;
  const port = offset === undefined ? srv.server.port : (destinationAddress(client)?.port ?? 0) + offset;
  if (port < 1 || port > 65535) {
    client.destroy();
    return;
  }
  srv.active++;
  srv.counters.scur++;
  // As HAProxy: a session of the server per connect attempt.
  srv.counters.values.stot++;
  srv.counters.values.connect++;
  s.be.counters.values.connect++;
  let connected = false;
  const connectStart = performance.now();
  let ctime = 0;
  const header = proxyHeaderFor(srv.server, client);
  const upstream = openUpstream(s, srv, port, header);
  if (s.rest !== undefined) upstream.write(s.rest);
  // on-marked-down / on-marked-up: the master's verdict ends the session (both sides).
  const unregister = addPairSession(srv.sessions, client, upstream);
  const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), s.be.backend.timeouts.connect);
  upstream.once((upstream as TLSSocket).encrypted === true ? 'secureConnect' : 'connect', () => {
    clearTimeout(timer);
    connected = true;
    ctime = performance.now() - connectStart;
    splice(s, srv, upstream);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (!connected) connectFailed(s, srv, err);
  });
  upstream.once('close', () => {
    clearTimeout(timer);
    unregister();
    srv.active--;
    srv.counters.scur--;
    if (connected) {
      countTimes(s, srv, ctime);
      sessionEnded(s, srv, upstream);
    }
  });
  client.once('close', () => upstream.destroySoon());
}

/** The connection to the server: TLS for an `ssl` server (its `sni` evaluated on the connection). */
function openUpstream(s: TcpSession, srv: ServerRuntime, port: number, header: Buffer | undefined): net.Socket {
  const server = srv.server;
  if (server.ssl !== true || server.tls === undefined) {
    const upstream = net.connect({ host: server.host, port });
    if (header !== undefined) upstream.write(header);
    return upstream;
  }
  const t = server.tls;
  const sni = t.sni === undefined ? undefined : sampleText(t.sni, new TcpSampleContext(s.client, s.runtime));
  const name = sni ?? '';
  const session = t.noReuse === true ? undefined : srv.pool.tlsSessions.get(name);
  const upstream = connectTls(server.host, port, { ...serverConnectOptions(t, sni), ...(session !== undefined ? { session } : {}) }, header);
  if (t.noReuse !== true) upstream.on('session', (b: Buffer) => srv.pool.tlsSessions.set(name, b));
  return upstream;
}

/** The server accepted: pipe both ways. */
function splice(s: TcpSession, srv: ServerRuntime, upstream: net.Socket): void {
  observe(srv, 'l4-ok', 'L4 successful connection', s.runtime.reportServerErrors);
  const b = s.be.backend;
  const serverTimeout = b.timeouts.tunnel ?? b.timeouts.server;
  if (serverTimeout > 0) upstream.setTimeout(serverTimeout, () => upstream.destroy());
  s.client.pipe(upstream);
  upstream.pipe(s.client);
  s.client.resume();
}

/** A connect failed: retry it (the one decision in retry.ts) or close the client's socket. */
function connectFailed(s: TcpSession, srv: ServerRuntime, err: NodeJS.ErrnoException): void {
  const be = s.be;
  observe(srv, 'l4-error', `L4 unsuccessful connection (${err.code ?? err.message})`, s.runtime.reportServerErrors);
  const d = decideRetry(be.backend, { kind: 'conn-failure', reused: false }, s, { replayable: true, serverUsable: srv.usable, usableActive: usableActive(be.servers) });
  if (!d.retry || s.client.destroyed) {
    // As HAProxy: a connection error counts once the session gives up (its retries count in wretr).
    srv.counters.values.econ++;
    be.counters.values.econ++;
    s.client.destroy();
    return;
  }
  spendRetry(s, d);
  const next = nextServer(be, s.clientIp, srv, s.tried, d);
  if (d.delayMs === 0) connectServer(s, next);
  else setTimeout(() => connectServer(s, next), d.delayMs);
}

/** The stat table's times of a tcp session (HAProxy: no queue here, no response time in tcp). */
function countTimes(s: TcpSession, srv: ServerRuntime, ctime: number): void {
  const total = performance.now() - s.startedMs;
  observeTimes(srv.counters, 0, ctime, 0, total);
  observeTimes(s.be.counters, 0, ctime, 0, total);
}

/** The server side closed: count the bytes and let the client's side finish writing. */
function sessionEnded(s: TcpSession, srv: ServerRuntime, upstream: net.Socket): void {
  const up = upstream.bytesRead;
  const down = upstream.bytesWritten;
  srv.counters.values.bout += up;
  srv.counters.values.bin += down;
  s.be.counters.values.bout += up;
  s.be.counters.values.bin += down;
  s.fe.counters.values.bout += up;
  s.fe.counters.values.bin += down;
  s.client.destroySoon();
}
