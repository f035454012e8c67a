// Test servers and a client for the TLS tests: an HTTP or HTTPS server answering with what it saw
// (headers, the SNI, the client certificate's CN, whether the session resumed), and one request
// through TLS with or without a client certificate.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, name: string): void {
  const s = req.socket as TLSSocket;
  const secure = typeof s.getPeerCertificate === 'function';
  const body = { server: name, sni: secure ? s.servername || null : null, resumed: secure ? s.isSessionReused() : false, peer: secure ? (s.getPeerCertificate()?.subject?.CN ?? null) : null, headers: req.headers };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** An echo server; with `pem`, HTTPS presenting that certificate (and asking for a client's). */
export async function startEcho(name: string, pem?: string): Promise<EchoServer> {
  const server =
    pem === undefined
      ? http.createServer((q, r) => answer(q, r, name))
      : https.createServer({ cert: fs.readFileSync(pem, 'utf8'), key: fs.readFileSync(pem, 'utf8'), requestCert: true, rejectUnauthorized: false }, (q, r) => answer(q, r, name));
  // `Upgrade: echo`: 101, then every byte comes back.
  server.on('upgrade', (_req, sock: import('node:net').Socket) => {
    sock.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n');
    sock.pipe(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export type Outcome = { status: number; body: Record<string, unknown> } | { error: string };

/** GET `path` over `https` (or http) on `port`; `cert`: a PEM with the client certificate and key. */
export function get(port: number, opts: { path?: string; cert?: string; servername?: string; tls?: boolean } = {}): Promise<Outcome> {
  const lib = opts.tls === false ? http : https;
  const pem = opts.cert === undefined ? undefined : fs.readFileSync(opts.cert, 'utf8');
  return new Promise((resolve) => {
    const req = lib.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        agent: false,
        rejectUnauthorized: false,
        ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
        ...(pem !== undefined ? { cert: pem, key: pem } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

/** The request headers the echo server saw, or the failure. */
export function seen(o: Outcome): Record<string, unknown> | string {
  if ('error' in o) return `error ${o.error}`;
  return (o.body.headers as Record<string, unknown> | undefined) ?? {};
}

/** An `Upgrade: echo` tunnel through a plain HTTP port: what comes back for `ping` (or the failure). */
export function tunnelEcho(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n`));
    let got = '';
    let upgraded = false;
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!upgraded) {
        const end = got.indexOf('\r\n\r\n');
        if (end === -1) return;
        const status = got.slice(9, 12);
        if (status !== '101') {
          s.destroy();
          resolve(`status ${status}`);
          return;
        }
        upgraded = true;
        got = got.slice(end + 4);
        s.write('ping');
      }
      if (got.includes('ping')) {
        s.destroy();
        resolve('ping');
      }
    });
    s.setTimeout(5000, () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => resolve(upgraded ? `upgraded, got '${got}'` : `closed: '${got.slice(0, 40)}'`));
  });
}
