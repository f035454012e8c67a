// The protocol layer of one bind: an http.Server or https.Server that is never itself listened.
// Accepted sockets are emitted into it, so closing the accepting net.Server only stops accepts and
// never touches kept-alive connections (http.Server.close() would close idle ones).
// A layer serves whichever route set is newest; see ProtocolLayer.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type tls from 'node:tls';
import type { Bind } from '../config/model.ts';
import type { ConnectionRegistry } from './connections.ts';
import { errorBody, errorReason } from './errors.ts';
import { createHttpHandler, type HttpDeps } from './http-proxy.ts';
import { acceptTimes, connectionRecord, writeLog } from './log-record.ts';
import type { FrontendRuntime, WorkerRuntime } from './runtime.ts';
import { createTcpHandler } from './tcp-proxy.ts';
import { buildTlsOptions } from './tls.ts';
import { proxyUpgrade } from './tunnel.ts';

/** Receives each accepted TCP socket of the bind. */
export type ConnectionSink = (socket: Socket) => void;

export type LayerShape = 'http' | 'https' | 'tcp';

/**
 * What one route set asks of a bind: its frontend and runtime, checked when the route set is
 * prepared (TLS options are built there, so a bad certificate fails the reload, not the serving).
 */
export interface BindRoute {
  shape: LayerShape;
  fe: FrontendRuntime;
  bind: Bind;
  runtime: WorkerRuntime;
  tls?: { options: tls.TlsOptions; fingerprint: string };
  serveStats: HttpDeps['serveStats'];
}

export type RouteResult = { ok: true; route: BindRoute } | { ok: false; message: string };

export function prepareRoute(fe: FrontendRuntime, bind: Bind, runtime: WorkerRuntime, serveStats: HttpDeps['serveStats']): RouteResult {
  const f = fe.frontend;
  if (f.mode === 'tcp') {
    // src/config/validate.ts refuses `ssl` on a tcp frontend's bind.
    if (bind.tls !== undefined) throw new Error(`internal error: frontend '${f.name}' bind ${bind.key} terminates TLS in mode tcp; the configuration check should have refused it`);
    return { ok: true, route: { shape: 'tcp', fe, bind, runtime, serveStats } };
  }
  if (bind.tls === undefined) return { ok: true, route: { shape: 'http', fe, bind, runtime, serveStats } };
  const built = buildTlsOptions(f.name, bind, handshakeTimeout(fe));
  if (!built.ok) return built;
  return { ok: true, route: { shape: 'https', fe, bind, runtime, serveStats, tls: { options: built.options, fingerprint: JSON.stringify(bind.tls) } } };
}

function handshakeTimeout(fe: FrontendRuntime): number {
  const t = fe.frontend.timeouts;
  const headersTimeout = t.httpRequest ?? t.client;
  return headersTimeout > 0 ? headersTimeout : 60_000;
}

/**
 * The protocol layer of one listening socket. It outlives in-place reloads when the bind keeps its
 * shape: kept-alive connections stay open and their next request is served by the newest
 * route set (`setRoute`), new TLS handshakes use the newest certificate. Its connections are its
 * own, so draining a layer waits for exactly the connections that were accepted on it.
 */
export interface ProtocolLayer {
  readonly shape: LayerShape;
  readonly connections: ConnectionRegistry;
  route: BindRoute;
  sink: ConnectionSink;
  setRoute(route: BindRoute): void;
}

export function createLayer(route: BindRoute, ticketKeys: Buffer, connections: ConnectionRegistry): ProtocolLayer {
  if (route.shape === 'tcp') {
    let handle = createTcpHandler(route.fe, route.runtime);
    const layer: ProtocolLayer = {
      shape: 'tcp',
      connections,
      route,
      sink: (sock) => handle(sock),
      setRoute(r) {
        layer.route = r;
        handle = createTcpHandler(r.fe, r.runtime);
      },
    };
    return layer;
  }
  const secure = route.shape === 'https';
  const depsOf = (r: BindRoute): HttpDeps => ({ runtime: r.runtime, connections, serveStats: r.serveStats });
  let deps = depsOf(route);
  let handler = createHttpHandler(route.fe, secure, deps);
  const settings = (r: BindRoute) => {
    const t = r.fe.frontend.timeouts;
    const headersTimeout = t.httpRequest ?? t.client;
    return { keepAliveTimeout: t.httpKeepAlive ?? t.client, headersTimeout, timeout: t.client };
  };
  const first = settings(route);
  const httpOptions: http.ServerOptions = {
    keepAliveTimeout: first.keepAliveTimeout,
    headersTimeout: first.headersTimeout,
    // HAProxy bounds the headers (http-request) and idleness (client), not a whole upload.
    requestTimeout: 0,
    // Timeouts are checked on this period; the default (30 s) would make `timeout http-request` coarse.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(first.headersTimeout / 4) || 1000)),
    noDelay: true,
    keepAlive: false,
  };
  // The request listener is a trampoline: each request goes to the newest route set's handler.
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => handler(req, res);
  let server: http.Server;
  let tlsFingerprint = route.tls?.fingerprint;
  if (secure) {
    const s = https.createServer({ ...route.tls?.options, ...httpOptions }, onRequest);
    s.setTicketKeys(ticketKeys);
    // Handshake failures (scanners, wrong protocol) are the client's problem, never ours.
    s.on('tlsClientError', (_err, sock) => sock.destroy());
    s.on('secureConnection', (sock: Socket) => acceptTimes.set(sock, Date.now()));
    server = s;
  } else {
    server = http.createServer(httpOptions, onRequest);
  }
  server.timeout = first.timeout;
  server.on('timeout', (sock: Socket) => {
    // Idle beyond `timeout client`, unless we are the ones waiting (for the server's response).
    const c = connections.conn(sock);
    if (c.active === 0 || c.tunnel) sock.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => onClientError(layer.route.fe, connections, err, sock));
  server.on('upgrade', (req: http.IncomingMessage, sock: Socket, head: Buffer) => proxyUpgrade(layer.route.fe, secure, deps, req, sock, head));
  // Starts Node's per-connection timeout checks (headersTimeout), normally begun by listen().
  server.emit('listening');
  const layer: ProtocolLayer = {
    shape: route.shape,
    connections,
    route,
    sink(sock) {
      acceptTimes.set(sock, Date.now());
      server.emit('connection', sock);
    },
    setRoute(r) {
      layer.route = r;
      deps = depsOf(r);
      handler = createHttpHandler(r.fe, secure, deps);
      const st = settings(r);
      server.keepAliveTimeout = st.keepAliveTimeout;
      server.headersTimeout = st.headersTimeout;
      server.timeout = st.timeout;
      if (secure && r.tls !== undefined && r.tls.fingerprint !== tlsFingerprint) {
        // New handshakes use the new certificate/ciphers; established connections keep theirs.
        (server as https.Server).setSecureContext(r.tls.options);
        tlsFingerprint = r.tls.fingerprint;
      }
    },
  };
  return layer;
}

function onClientError(fe: FrontendRuntime, connections: ConnectionRegistry, err: NodeJS.ErrnoException, sock: Socket): void {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || code === 'EPIPE' || !sock.writable) {
    sock.destroy();
    return;
  }
  const c = connections.conn(sock);
  let status: number;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // Nothing received since the last response: an idle connection, closed silently (as HAProxy).
    if (sock.bytesRead === c.bytesReadAtIdle) {
      sock.destroy();
      return;
    }
    status = 408;
  } else if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
  } else {
    status = 400;
  }
  fe.counters.values.ereq++;
  fe.counters.values.req_tot++;
  fe.counters.values.hrsp_4xx++;
  const body = status === 431 ? errorBody(400) : errorBody(status);
  sock.end(
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : errorReason(status)}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n${body}`,
  );
  logBadRequest(fe, sock, status);
}

function logBadRequest(fe: FrontendRuntime, sock: Socket, status: number): void {
  if (fe.log === undefined) return;
  writeLog(fe, connectionRecord(fe, sock, 0, { status, bytesIn: sock.bytesRead, termination: status === 408 ? 'cR--' : 'PR--' }));
}
