// Local targets for the load tests: real sockets on 127.0.0.1, ephemeral ports.
import http from 'node:http';

import net from 'node:net';
import type { LoadOptions } from '../../src/load/types.ts';

const open = new WeakMap<net.Server, Set<net.Socket>>();

/** Listens on an ephemeral port and tracks connections so `close` can end them all. */
export function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  open.set(server, sockets);
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

export function close(server: net.Server): Promise<void> {
  for (const s of open.get(server) ?? []) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nobody listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

/** An HTTP server that counts requests and connections; `handler` defaults to a 12-byte body. */
export async function countingServer(handler?: http.RequestListener): Promise<{ port: number; requests: () => number; connections: () => number; stop: () => Promise<void> }> {
  let requests = 0;
  let connections = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (handler !== undefined) return handler(req, res);
    res.end('hello world\n');
  });
  server.on('connection', () => connections++);
  const port = await listen(server);
  return { port, requests: () => requests, connections: () => connections, stop: () => close(server) };
}

export function options(url: string, over: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    requests: 1,
    concurrency: 1,
    keepAlive: false,
    variableLength: false,
    tls: 'ALL',
    timeoutMs: 5000,
    headers: [],
    method: 'GET',
    progress: false,
    ...over,
  };
}
