// WebSocket / `Upgrade` requests: forward the handshake, then pipe bytes both ways. Tunnels are
// long-lived by nature: a drain leaves them open until hard-stop-after. A failed connect is retried
// by the decision every data path shares (retry.ts): the handshake has no body and nothing of the
// client's tunnel bytes is sent before the server switched protocols.
import http from 'node:http';
import type { Socket } from 'node:net';
import { evaluate, applyHeaderRules, type RuleContext } from './rules.ts';
import type { HttpDeps } from './http-proxy.ts';
import { clientAddress } from './log-record.ts';
import { errorBody, errorReason } from './errors.ts';
import { decideRetry, nextServer, spendRetry, usableActive, type RetryState } from './retry.ts';
import { observe } from './passive-health.ts';
import type { BackendRuntime, FrontendRuntime, ServerRuntime } from './runtime.ts';

/** One Upgrade request, across its connect attempts. */
interface Tunnel extends RetryState {
  fe: FrontendRuntime;
  be: BackendRuntime;
  deps: HttpDeps;
  req: http.IncomingMessage;
  client: Socket;
  /** The client's first tunnel bytes, read with the request head. */
  head: Buffer;
  clientIp: string;
  headers: string[];
  tried: Set<ServerRuntime>;
  /** The current attempt's request to the server. */
  up: http.ClientRequest | undefined;
  retryTimer: NodeJS.Timeout | undefined;
}

function noop(): void {}

export function proxyUpgrade(fe: FrontendRuntime, tls: boolean, deps: HttpDeps, req: http.IncomingMessage, client: Socket, head: Buffer): void {
  client.on('error', noop);
  fe.counters.values.req_tot++;
  deps.connections.conn(client).tunnel = true;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const { ip } = clientAddress(client);
  const rule: RuleContext = { ssl: tls, path: q === -1 ? url : url.slice(0, q), host: req.headers.host ?? '', method: req.method ?? 'GET' };
  const be = chooseBackend(fe, deps, rule);
  const srv = be?.pick({ clientIp: ip });
  if (be === undefined || srv === undefined) {
    fail(client, 503);
    return;
  }
  const headers = upgradeHeaders(fe, be, req, ip, rule);
  const t: Tunnel = { fe, be, deps, req, client, head, clientIp: ip, headers, tried: new Set(), up: undefined, retryTimer: undefined, retries: 0, staleRetried: false };
  client.on('close', () => {
    clearTimeout(t.retryTimer);
    t.up?.destroy();
  });
  connectTunnel(t, srv);
}

function chooseBackend(fe: FrontendRuntime, deps: HttpDeps, rule: RuleContext): BackendRuntime | undefined {
  const f = fe.frontend;
  let name = f.defaultBackend;
  for (const u of f.useBackends) if (evaluate(u.cond, rule)) { name = u.backend; break; }
  return name === undefined ? undefined : deps.runtime.backends.get(name);
}

/** The client's headers as they are, plus X-Forwarded-For and the header rules. */
function upgradeHeaders(fe: FrontendRuntime, be: BackendRuntime, req: http.IncomingMessage, ip: string, rule: RuleContext): string[] {
  const f = fe.frontend;
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  if (f.forwardFor) headers.push(f.forwardForHeader ?? 'X-Forwarded-For', ip);
  else if (be.backend.forwardFor) headers.push(be.backend.forwardForHeader ?? 'X-Forwarded-For', ip);
  applyHeaderRules(headers, f.requestRules, rule);
  applyHeaderRules(headers, be.backend.requestRules, rule);
  return headers;
}

/** One attempt: send the handshake to `srv`; it switches protocols, refuses, or cannot be reached. */
function connectTunnel(t: Tunnel, srv: ServerRuntime): void {
  srv.active++;
  srv.counters.scur++;
  const report = t.deps.runtime.reportServerErrors;
  const up = http.request({ host: srv.server.host, port: srv.server.port, method: t.req.method, path: t.req.url ?? '/', headers: t.headers, agent: false });
  t.up = up;
  let connected = false;
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), t.be.backend.timeouts.connect);
  up.on('socket', (s: Socket) => s.once('connect', () => {
    clearTimeout(timer);
    connected = true;
    observe(srv, 'l4-ok', 'L4 successful connection', report);
  }));
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    srv.active--;
    srv.counters.scur--;
  };
  up.on('upgrade', (upRes: http.IncomingMessage, upSock: Socket, upHead: Buffer) => {
    clearTimeout(timer);
    splice(t, srv, upRes, upSock, upHead, release);
  });
  up.on('response', (upRes: http.IncomingMessage) => {
    clearTimeout(timer);
    relayRefusal(t.client, upRes, release);
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    release();
    if (connected) fail(t.client, 503);
    else connectFailed(t, srv, err);
  });
  up.end();
}

/** The server switched protocols: relay its answer, then pipe both ways. */
function splice(t: Tunnel, srv: ServerRuntime, upRes: http.IncomingMessage, upSock: Socket, upHead: Buffer, release: () => void): void {
  const client = t.client;
  upSock.on('error', noop);
  let text = `HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}\r\n`;
  for (let i = 0; i < upRes.rawHeaders.length; i += 2) text += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
  client.write(text + '\r\n');
  if (upHead.length > 0) client.write(upHead);
  if (t.head.length > 0) upSock.write(t.head);
  t.fe.counters.values.hrsp_1xx++;
  srv.counters.values.stot++;
  const idle = t.be.backend.timeouts.tunnel ?? t.fe.frontend.timeouts.tunnel;
  if (idle !== undefined && idle > 0) {
    client.setTimeout(idle, () => client.destroy());
    upSock.setTimeout(idle, () => upSock.destroy());
  } else {
    client.setTimeout(0);
  }
  upSock.pipe(client);
  client.pipe(upSock);
  upSock.on('close', () => {
    release();
    client.destroySoon();
  });
  client.on('close', () => upSock.destroy());
}

/** The server refused the upgrade: relay its answer and close. */
function relayRefusal(client: Socket, upRes: http.IncomingMessage, release: () => void): void {
  let text = `HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}\r\n`;
  for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
    const k = (upRes.rawHeaders[i] as string).toLowerCase();
    if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive') continue;
    text += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
  }
  client.write(text + 'connection: close\r\n\r\n');
  upRes.pipe(client);
  upRes.on('close', release);
}

/** A connect failed: retry it (the one decision in retry.ts) or answer 503. */
function connectFailed(t: Tunnel, srv: ServerRuntime, err: NodeJS.ErrnoException): void {
  if (t.client.destroyed) return;
  const be = t.be;
  srv.counters.values.econ++;
  be.counters.values.econ++;
  observe(srv, 'l4-error', `L4 unsuccessful connection (${err.code ?? err.message})`, t.deps.runtime.reportServerErrors);
  const d = decideRetry(be.backend, { kind: 'conn-failure', reused: false }, t, { replayable: true, serverUsable: srv.usable, usableActive: usableActive(be.servers) });
  if (!d.retry) {
    fail(t.client, 503);
    return;
  }
  spendRetry(t, d);
  const next = nextServer(be, t.clientIp, srv, t.tried, d);
  if (next === undefined) {
    fail(t.client, 503);
    return;
  }
  if (d.delayMs === 0) {
    connectTunnel(t, next);
    return;
  }
  t.retryTimer = setTimeout(() => {
    t.retryTimer = undefined;
    if (!t.client.destroyed) connectTunnel(t, next);
  }, d.delayMs);
}

function fail(client: Socket, code: number): void {
  if (!client.writable) return;
  const body = errorBody(code);
  client.end(`HTTP/1.1 ${code} ${errorReason(code)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n${body}`);
}
