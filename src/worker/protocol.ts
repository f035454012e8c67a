// The protocol layer of one bind: HTTP/1.1 on each accepted socket (http1/server.ts), behind a
// tls.Server that is never listened for TLS binds, or the TCP relay (whose connections routed to an
// http backend are served as HTTP/1.1 too, tcp-upgrade.ts). Accepted sockets are handed
// in, so closing the accepting net.Server only stops accepts and never touches a connection.
// A layer serves whichever route set is newest; see ProtocolLayer.
import type { Socket } from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../config/lazy-builtins.ts';
import type { Bind } from '../config/model.ts';
import type { ConnectionRegistry } from './connections.ts';
import { createHttpHandler, type HttpDeps } from './http-proxy.ts';
import { acceptTimes } from './log-record.ts';
import type { Clock } from './http1/clock.ts';
import { serveHttp1, type Http1Settings, type Http1Site } from './http1/server.ts';
import type { FrontendRuntime, WorkerRuntime } from './runtime.ts';
import { createTcpHandler, type Upgrade } from './tcp-proxy.ts';
import { createUpgradedHandler, serveUpgraded } from './tcp-upgrade.ts';
import { buildTlsOptions } from '../config/tls-context.ts';
import type { SniSelector } from '../config/tls-sni.ts';
import { refusal } from './client-cert.ts';

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
  tls?: { options: tls.TlsOptions; sni: SniSelector | null; fingerprint: string };
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
  return { ok: true, route: { shape: 'https', fe, bind, runtime, serveStats, tls: { options: built.options, sni: built.sni, fingerprint: JSON.stringify(bind.tls) } } };
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

export function createLayer(route: BindRoute, ticketKeys: Buffer, connections: ConnectionRegistry, clock: Clock): ProtocolLayer {
  if (route.shape === 'tcp') return tcpLayer(route, connections, clock);
  const secure = route.shape === 'https';
  const depsOf = (r: BindRoute): HttpDeps => ({ runtime: r.runtime, connections, serveStats: r.serveStats });
  const site: Http1Site = { handler: createHttpHandler(route.fe, secure, depsOf(route)), settings: settingsOf(route), connections, clock };
  const sni = { current: route.tls?.sni ?? null };
  const tlsServer = secure ? tlsTerminator(route, ticketKeys, site, sni, () => layer.route) : undefined;
  let tlsFingerprint = route.tls?.fingerprint;
  const layer: ProtocolLayer = {
    shape: route.shape,
    connections,
    route,
    sink(sock) {
      acceptTimes.set(sock, Date.now());
      if (tlsServer !== undefined) tlsServer.emit('connection', sock);
      else serveHttp1(site, sock);
    },
    setRoute(r) {
      layer.route = r;
      site.handler = createHttpHandler(r.fe, secure, depsOf(r));
      site.settings = settingsOf(r);
      if (tlsServer !== undefined && r.tls !== undefined && r.tls.fingerprint !== tlsFingerprint) {
        // New handshakes use the new certificate/ciphers; established connections keep theirs.
        tlsServer.setSecureContext(r.tls.options);
        // A new context has new ticket keys: the shared ones keep tickets valid across the reload.
        tlsServer.setTicketKeys(ticketKeys);
        sni.current = r.tls.sni;
        tlsFingerprint = r.tls.fingerprint;
      }
    },
  };
  return layer;
}

/** The TCP relay; connections routed to an http backend are served as HTTP/1.1 on `site`, whose
 * handler follows the newest route set as an http layer's does. */
function tcpLayer(route: BindRoute, connections: ConnectionRegistry, clock: Clock): ProtocolLayer {
  const depsOf = (r: BindRoute): HttpDeps => ({ runtime: r.runtime, connections, serveStats: r.serveStats });
  const site: Http1Site = { handler: createUpgradedHandler(route.fe, depsOf(route)), settings: settingsOf(route), connections, clock };
  const upgradeFor = (r: BindRoute): Upgrade => (sock, be) => serveUpgraded(site, sock, be, r.runtime);
  let handle = createTcpHandler(route.fe, route.runtime, upgradeFor(route));
  const layer: ProtocolLayer = {
    shape: 'tcp',
    connections,
    route,
    sink: (sock) => handle(sock),
    setRoute(r) {
      layer.route = r;
      handle = createTcpHandler(r.fe, r.runtime, upgradeFor(r));
      site.handler = createUpgradedHandler(r.fe, depsOf(r));
      site.settings = settingsOf(r);
    },
  };
  return layer;
}

/** A tls.Server that is never listened: accepted sockets are emitted into it, and each completed
 * handshake's TLSSocket is served as HTTP/1.1. */
function tlsTerminator(route: BindRoute, ticketKeys: Buffer, site: Http1Site, sni: { current: SniSelector | null }, current: () => BindRoute): tls.Server {
  // Several certificates: the SNI name picks one (the selector follows reloads); none: the default.
  // `strict-sni`: a name no certificate has aborts the handshake (HAProxy: no default certificate).
  const server = tlsModule().createServer({
    ...route.tls?.options,
    SNICallback: (name, cb) => {
      const context = sni.current?.(name);
      if (context === undefined && current().bind.tls?.strictSni === true) cb(new Error(`strict-sni: no certificate for '${name}'`));
      else cb(null, context);
    },
  });
  server.setTicketKeys(ticketKeys);
  // Handshake failures (scanners, wrong protocol) are the client's problem, never ours.
  server.on('tlsClientError', (_err, sock) => sock.destroy());
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    // `verify`: a missing or invalid client certificate ends the connection (HAProxy aborts the handshake).
    // `strict-sni` and no SNI at all: Node completes such a handshake with the default certificate
    // (it asks for a context only when a name is sent); the connection ends before any request.
    const strictWithoutName = current().bind.tls?.strictSni === true && typeof sock.servername !== 'string';
    if (strictWithoutName || refusal(sock, current().bind.tls?.clientVerify) !== undefined) {
      sock.destroy();
      return;
    }
    acceptTimes.set(sock, Date.now());
    serveHttp1(site, sock);
  });
  return server;
}

function settingsOf(r: BindRoute): Http1Settings {
  const t = r.fe.frontend.timeouts;
  const request = t.httpRequest ?? t.client;
  return {
    limits: r.runtime.headLimits,
    requestTimeout: request,
    // HAProxy: `timeout http-keep-alive`, else `timeout http-request`.
    keepAliveTimeout: t.httpKeepAlive ?? request,
    clientTimeout: t.client,
    keepAlive: r.fe.frontend.clientKeepAlive,
  };
}
