// WebSocket / `Upgrade` and CONNECT requests, once every request phase has run (rules, redirects,
// use_backend, the server choice): forward the handshake, then pipe bytes both ways. Tunnels are
// long-lived by nature: a drain leaves them open until hard-stop-after. A failed connect is retried
// by the decision every data path shares (retry.ts): the handshake has no body and nothing of the
// client's tunnel bytes is sent before the server switched protocols.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { addPairSession } from './server-sessions.ts';
import type tls from 'node:tls';
import { serverConnectOptions } from '../config/server-tls-context.ts';
import { sampleText } from './sample.ts';
import { connectTls } from './upstream.ts';
import type { Exchange } from './http-proxy.ts';
import { decideRetry, nextServer, spendRetry, usableActive } from './retry.ts';
import { observe } from './passive-health.ts';
import type { BackendRuntime, ServerRuntime } from './runtime.ts';

/** How the exchange ends: answered (`status`), or cut (0), with HAProxy's termination state. */
export type TunnelEnd = (status: number, termination: string) => void;

/** One tunnel request, across its connect attempts. */
interface Tunnel {
  x: Exchange;
  be: BackendRuntime;
  headers: string[];
  tried: Set<ServerRuntime>;
  /** The current attempt's request to the server. */
  up: http.ClientRequest | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  end: TunnelEnd;
}

function noop(): void {}

/** Open a tunnel to the server the exchange chose (`x.srv`), with these request headers. */
export function openTunnel(x: Exchange, headers: string[], end: TunnelEnd): void {
  const be = x.be as BackendRuntime;
  x.conn.tunnel = true;
  const t: Tunnel = { x, be, headers, tried: new Set(), up: undefined, retryTimer: undefined, end };
  x.client.socket.once('close', () => {
    clearTimeout(t.retryTimer);
    t.up?.destroy();
  });
  connectTunnel(t, x.srv as ServerRuntime);
}

/** The TLS options of a tunnel to an `ssl` server (its `sni` evaluated on the request). */
function serverTls(srv: ServerRuntime, x: Exchange): tls.ConnectionOptions | undefined {
  const t = srv.server.ssl === true ? srv.server.tls : undefined;
  if (t === undefined) return undefined;
  const name = t.sni === undefined ? '' : sampleText(t.sni, x);
  return serverConnectOptions(t, name === '' ? undefined : name);
}

/** One attempt: send the handshake to `srv`; it switches protocols, refuses, or cannot be reached. */
function connectTunnel(t: Tunnel, srv: ServerRuntime): void {
  t.x.srv = srv;
  srv.active++;
  srv.counters.scur++;
  const report = t.x.deps.runtime.reportServerErrors;
  const head = t.x.head;
  const secure = serverTls(srv, t.x);
  // Not an `import`: the ESM facade of node:http loads tls, http2 and zlib too (~12 MB of RSS per
  // worker); the CommonJS exports, fetched at the first tunnel, load http alone.
  const up = process.getBuiltinModule('node:http').request({
    host: srv.server.host,
    port: srv.server.port,
    method: t.x.method,
    path: head.uri,
    headers: t.headers,
    setHost: false,
    // An `ssl` server's tunnel is TLS too, with the same settings as its pooled connections
    // (Node uses `createConnection` only without an agent).
    ...(secure !== undefined ? { createConnection: () => connectTls(srv.server.host, srv.server.port, secure) } : { agent: false }),
  });
  t.up = up;
  let connected = false;
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), t.be.backend.timeouts.connect);
  up.on('socket', (s: Socket) =>
    s.once(secure !== undefined ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      connected = true;
      observe(srv, 'l4-ok', 'L4 successful connection', report);
    }),
  );
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    srv.active--;
    srv.counters.scur--;
  };
  const spliced = (upRes: http.IncomingMessage, upSock: Socket, upHead: Buffer): void => {
    clearTimeout(timer);
    splice(t, srv, upRes, upSock, upHead, release);
  };
  up.on('upgrade', spliced);
  up.on('connect', spliced);
  up.on('response', (upRes: http.IncomingMessage) => {
    clearTimeout(timer);
    relayRefusal(t, upRes, release);
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    release();
    if (connected) t.end(503, 'SH--');
    else connectFailed(t, srv, err);
  });
  up.end();
}

/** The server switched protocols: relay its answer, then pipe both ways. */
function splice(t: Tunnel, srv: ServerRuntime, upRes: http.IncomingMessage, upSock: Socket, upHead: Buffer, release: () => void): void {
  const { x } = t;
  const status = upRes.statusCode ?? 101;
  let text = `HTTP/1.1 ${status} ${upRes.statusMessage ?? 'Switching Protocols'}\r\n`;
  for (let i = 0; i < upRes.rawHeaders.length; i += 2) text += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
  const client = x.client.socket;
  const rest = x.client.detach();
  upSock.on('error', noop);
  client.write(`${text}\r\n`, 'latin1');
  if (upHead.length > 0) client.write(upHead);
  if (rest.length > 0) upSock.write(rest);
  x.status = status;
  x.upstreamStarted = true;
  srv.counters.values.stot++;
  const idle = t.be.backend.timeouts.tunnel ?? x.fe.frontend.timeouts.tunnel;
  if (idle !== undefined && idle > 0) {
    client.setTimeout(idle, () => client.destroy());
    upSock.setTimeout(idle, () => upSock.destroy());
  }
  upSock.pipe(client);
  client.pipe(upSock);
  // on-marked-down / on-marked-up: the master's verdict ends the tunnel (termination D or U).
  let killed = '';
  const unregister = addPairSession(srv.sessions, client, upSock, (why) => (killed = why));
  upSock.on('close', () => {
    unregister();
    release();
    client.destroySoon();
  });
  client.on('close', () => {
    upSock.destroy();
    t.end(status, killed === '' ? '----' : `${killed}D--`);
  });
}

/** The server refused the tunnel: relay its answer, and close the connection after it. */
function relayRefusal(t: Tunnel, upRes: http.IncomingMessage, release: () => void): void {
  const client = t.x.client;
  const headers: string[] = [];
  for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
    const k = (upRes.rawHeaders[i] as string).toLowerCase();
    if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive' || k === 'upgrade') continue;
    headers.push(upRes.rawHeaders[i] as string, upRes.rawHeaders[i + 1] as string);
  }
  const status = upRes.statusCode ?? 502;
  client.closeAfterResponse();
  client.writeHead(status, upRes.statusMessage ?? '', headers);
  t.x.headSent = true;
  t.x.resume = () => upRes.resume();
  upRes.on('data', (chunk: Buffer) => {
    if (client.write(chunk)) return;
    t.x.waitingDrain = true;
    upRes.pause();
  });
  upRes.on('end', () => {
    release();
    client.end();
    t.end(status, '----');
  });
  upRes.on('error', () => {
    release();
    t.end(0, 'SD--');
  });
}

/** A connect failed: retry it (the one decision in retry.ts) or answer 503. */
function connectFailed(t: Tunnel, srv: ServerRuntime, err: NodeJS.ErrnoException): void {
  const { x, be } = t;
  if (x.client.closedOrGone) return;
  srv.counters.values.econ++;
  be.counters.values.econ++;
  observe(srv, 'l4-error', `L4 unsuccessful connection (${err.code ?? err.message})`, x.deps.runtime.reportServerErrors);
  const d = decideRetry(be.backend, { kind: 'conn-failure', reused: false }, x, { replayable: true, serverUsable: srv.usable, usableActive: usableActive(be.servers) });
  if (!d.retry) {
    t.end(503, err.message === 'connect timeout' ? 'sC--' : 'SC--');
    return;
  }
  spendRetry(x, d);
  const next = nextServer(be, x.conn.clientIp, srv, t.tried, d);
  if (next === undefined) {
    t.end(503, 'SC--');
    return;
  }
  if (d.delayMs === 0) {
    connectTunnel(t, next);
    return;
  }
  t.retryTimer = setTimeout(() => {
    t.retryTimer = undefined;
    if (!x.client.closedOrGone) connectTunnel(t, next);
  }, d.delayMs);
}
