// WebSocket / `Upgrade` requests: forward the handshake, then pipe bytes both ways. Tunnels are
// long-lived by nature: a drain leaves them open until hard-stop-after.
import http from 'node:http';
import type { Socket } from 'node:net';
import { evaluate, applyHeaderRules, type RuleContext } from './rules.ts';
import { clientAddress, type HttpDeps } from './http-proxy.ts';
import { errorBody, errorReason } from './errors.ts';
import type { FrontendRuntime } from './runtime.ts';

export function proxyUpgrade(fe: FrontendRuntime, tls: boolean, deps: HttpDeps, req: http.IncomingMessage, client: Socket, head: Buffer): void {
  const f = fe.frontend;
  client.on('error', () => {});
  fe.counters.values.req_tot++;
  const conn = deps.connections.conn(client);
  conn.tunnel = true;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const { ip } = clientAddress(client);
  const rule: RuleContext = { ssl: tls, path: q === -1 ? url : url.slice(0, q), host: req.headers.host ?? '', method: req.method ?? 'GET' };
  let name = f.defaultBackend;
  for (const u of f.useBackends) if (evaluate(u.cond, rule)) { name = u.backend; break; }
  const be = name === undefined ? undefined : deps.runtime.backends.get(name);
  const srv = be?.pick({ clientIp: ip });
  if (be === undefined || srv === undefined) {
    fail(client, 503);
    return;
  }
  const headers: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  if (f.forwardFor) headers.push(f.forwardForHeader ?? 'X-Forwarded-For', ip);
  else if (be.backend.forwardFor) headers.push(be.backend.forwardForHeader ?? 'X-Forwarded-For', ip);
  applyHeaderRules(headers, f.requestRules, rule);
  applyHeaderRules(headers, be.backend.requestRules, rule);
  srv.active++;
  srv.counters.scur++;
  const up = http.request({ host: srv.server.host, port: srv.server.port, method: req.method, path: url, headers, agent: false });
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), be.backend.timeouts.connect);
  up.on('socket', (s: Socket) => s.once('connect', () => clearTimeout(timer)));
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    srv.active--;
    srv.counters.scur--;
  };
  up.on('upgrade', (upRes, upSock: Socket, upHead: Buffer) => {
    clearTimeout(timer);
    upSock.on('error', () => {});
    let text = `HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}\r\n`;
    for (let i = 0; i < upRes.rawHeaders.length; i += 2) text += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
    client.write(text + '\r\n');
    if (upHead.length > 0) client.write(upHead);
    if (head.length > 0) upSock.write(head);
    fe.counters.values.hrsp_1xx++;
    srv.counters.values.stot++;
    const idle = be.backend.timeouts.tunnel ?? f.timeouts.tunnel;
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
  });
  up.on('response', (upRes) => {
    // The server refused the upgrade: relay its answer and close.
    clearTimeout(timer);
    let text = `HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}\r\n`;
    for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
      const k = (upRes.rawHeaders[i] as string).toLowerCase();
      if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive') continue;
      text += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
    }
    client.write(text + 'connection: close\r\n\r\n');
    upRes.pipe(client);
    upRes.on('close', release);
  });
  up.on('error', () => {
    clearTimeout(timer);
    release();
    fail(client, 503);
  });
  client.on('close', () => up.destroy());
  up.end();
}

function fail(client: Socket, code: number): void {
  if (!client.writable) return;
  const body = errorBody(code);
  client.end(`HTTP/1.1 ${code} ${errorReason(code)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n${body}`);
}
