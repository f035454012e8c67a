// The protocol layer of one bind: an http.Server or https.Server that is never itself listened.
// Accepted sockets are emitted into it, so closing the accepting net.Server only stops accepts and
// never touches kept-alive connections (http.Server.close() would close idle ones).
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Bind } from '../config/model.ts';
import type { ConnectionRegistry } from './connections.ts';
import { errorBody, errorReason } from './errors.ts';
import { acceptTimes, clientAddress, createHttpHandler, type HttpDeps } from './http-proxy.ts';
import type { FrontendRuntime, WorkerRuntime } from './runtime.ts';
import { createTcpHandler } from './tcp-proxy.ts';
import { buildTlsOptions } from './tls.ts';
import { proxyUpgrade } from './tunnel.ts';

/** Receives each accepted TCP socket of the bind. */
export type ConnectionSink = (socket: Socket) => void;

export type ProtocolResult = { ok: true; sink: ConnectionSink } | { ok: false; message: string };

export function createProtocol(
  fe: FrontendRuntime,
  bind: Bind,
  deps: HttpDeps,
  runtime: WorkerRuntime,
  ticketKeys: Buffer,
): ProtocolResult {
  const f = fe.frontend;
  if (f.mode === 'tcp') {
    if (bind.tls !== undefined) {
      return { ok: false, message: `frontend '${f.name}' bind ${bind.key}: TLS termination in mode tcp is not supported; use mode http or pass TLS through without 'ssl'` };
    }
    return { ok: true, sink: createTcpHandler(fe, runtime) };
  }
  const t = f.timeouts;
  const headersTimeout = t.httpRequest ?? t.client;
  const httpOptions: http.ServerOptions = {
    keepAliveTimeout: t.httpKeepAlive ?? t.client,
    headersTimeout,
    // HAProxy bounds the headers (http-request) and idleness (client), not a whole upload.
    requestTimeout: 0,
    // Timeouts are checked on this period; the default (30 s) would make `timeout http-request` coarse.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4) || 1000)),
    noDelay: true,
    keepAlive: false,
  };
  const handler = createHttpHandler(fe, bind.tls !== undefined, deps);
  let server: http.Server;
  if (bind.tls !== undefined) {
    const built = buildTlsOptions(f.name, bind, headersTimeout > 0 ? headersTimeout : 60_000);
    if (!built.ok) return built;
    const s = https.createServer({ ...built.options, ...httpOptions }, handler);
    try {
      s.setTicketKeys(ticketKeys);
    } catch (err) {
      return { ok: false, message: `TLS session-ticket keys from the master are invalid: ${err instanceof Error ? err.message : String(err)}` };
    }
    // Handshake failures (scanners, wrong protocol) are the client's problem, never ours.
    s.on('tlsClientError', (_err, sock) => sock.destroy());
    s.on('secureConnection', (sock: Socket) => acceptTimes.set(sock, Date.now()));
    server = s;
  } else {
    server = http.createServer(httpOptions, handler);
  }
  server.timeout = t.client;
  server.on('timeout', (sock: Socket) => {
    // Idle beyond `timeout client`, unless we are the ones waiting (for the server's response).
    const c = deps.connections.conn(sock);
    if (c.active === 0 || c.tunnel) sock.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => onClientError(fe, deps.connections, err, sock));
  server.on('upgrade', (req: http.IncomingMessage, sock: Socket, head: Buffer) => proxyUpgrade(fe, bind.tls !== undefined, deps, req, sock, head));
  // Starts Node's per-connection timeout checks (headersTimeout), normally begun by listen().
  server.emit('listening');
  const sink: ConnectionSink = (sock) => {
    acceptTimes.set(sock, Date.now());
    server.emit('connection', sock);
  };
  return { ok: true, sink };
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
  const log = fe.log;
  if (log === undefined) return;
  const { ip, port } = clientAddress(sock);
  const acceptMs = acceptTimes.get(sock) ?? Date.now();
  const now = Date.now();
  const line = log.format({
    clientIp: ip, clientPort: port, acceptMs, requestMs: acceptMs, frontend: fe.frontend.name, tls: false,
    backend: fe.frontend.name, server: '<NOSRV>', TR: -1, Tw: -1, Tc: -1, Tr: -1, Ta: -1, Tt: now - acceptMs,
    status, bytesOut: 0, bytesIn: sock.bytesRead, termination: status === 408 ? 'cR--' : 'PR--',
    actconn: 0, feconn: fe.counters.scur, beconn: 0, srvconn: 0, retries: 0, method: '', uri: '', httpVersion: '1.1',
    pid: process.pid,
  });
  for (const sink of log.sinks) sink(line);
}
