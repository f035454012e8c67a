// The retry decision inside a real worker: status retries with the response head held, what is
// never replayed, the turn-around wait before reconnecting to a server that refused, and Upgrade
// tunnels retried like any connection failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../helpers/worker-harness.ts';
import { get, refusedPort, startUpstream } from './upstreams.ts';
import type { Backend } from '../../src/config/model.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function proxy(backend: Backend) {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('fe', [makeBind('k', port)], { defaultBackend: backend.name });
  const w = await startWorker({ config: makeConfig([fe], [backend]), handles: new Map([['k', handle]]) });
  cleanups.push(() => {
    w.kill();
    handle.close();
  });
  return { w, port };
}

/** A server that answers every request `503 busy`, counting them by method. */
async function busyServer(): Promise<{ port: number; seen: Record<string, number> }> {
  const seen: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    seen[req.method ?? '?'] = (seen[req.method ?? '?'] ?? 0) + 1;
    req.resume();
    res.writeHead(503, { 'content-type': 'text/plain', 'x-from': 'busy' });
    res.end('busy');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => void server.close());
  return { port: (server.address() as net.AddressInfo).port, seen };
}

test('retry-on 503 with redispatch: the 503 is held and the GET answered by the next server; a POST gets the 503 as the server sent it', async () => {
  const busy = await busyServer();
  const good = await startUpstream('good');
  cleanups.push(() => good.close());
  const be = makeBackend('app', [busy.port, good.port], { retries: 2, redispatch: true, retryOn: { conditions: ['conn-failure'], statuses: [503] } });
  const { port } = await proxy(be);
  for (let i = 0; i < 4; i++) {
    const r = await get(port, '/');
    assert.equal(r.status, 200, `GET ${i}`);
    assert.equal(r.headers['x-from'], undefined, 'nothing of the held response reached the client');
  }
  assert.ok((busy.seen.GET ?? 0) >= 2, 'the busy server was asked and its answers retried elsewhere');
  const posts = [await get(port, '/echo', { method: 'POST', body: 'x' }), await get(port, '/echo', { method: 'POST', body: 'x' })];
  const refused = posts.find((r) => r.status === 503);
  assert.ok(refused !== undefined, 'one POST landed on the busy server');
  assert.equal(refused.body, 'busy', "not replayable: the server's own 503 is forwarded");
  assert.equal(busy.seen.POST, 1);
});

test('retry-on 503 without redispatch and one server: retried on it, then its last 503 is forwarded as it is', async () => {
  const busy = await busyServer();
  const be = makeBackend('app', [busy.port], { retries: 2, retryOn: { conditions: [], statuses: [503] } });
  const { port } = await proxy(be);
  const r = await get(port, '/');
  assert.deepEqual([r.status, r.body, r.headers['x-from']], [503, 'busy', 'busy']);
  assert.equal(busy.seen.GET, 3, 'the first attempt and two retries');
});

test('a refused connect retried on the same server waits min(timeout connect, 1 s) first', async () => {
  const dead = await refusedPort();
  const be = makeBackend('app', [dead], { retries: 1, timeouts: { connect: 400, client: 10_000, server: 10_000 } });
  const { port } = await proxy(be);
  const t0 = Date.now();
  const r = await get(port, '/');
  assert.equal(r.status, 503);
  assert.ok(Date.now() - t0 >= 350, `waited the turn-around: ${Date.now() - t0} ms`);
});

test('retry-on empty-response without redispatch stays on the server; with it, a reset GET is answered by another', async () => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  cleanups.push(() => a.close(), () => b.close());
  const on = { conditions: ['conn-failure' as const, 'empty-response' as const], statuses: [] };
  const same = await proxy(makeBackend('one', [a.port], { retries: 2, retryOn: on }));
  assert.equal((await get(same.port, '/reset')).status, 502, 'every attempt reset by the same server');
  const both = await proxy(makeBackend('two', [a.port, b.port], { retries: 1, redispatch: true, retryOn: on }));
  // /reset resets on both servers: one retry, then the 502; the retry went to the other server.
  const r = await get(both.port, '/reset');
  assert.equal(r.status, 502);
  both.w.drain();
  await both.w.exited;
  assert.equal(both.w.counter('be/two', 'wredis'), 1);
  assert.equal(both.w.counter('be/two', 'eresp'), 2);
});

/** A server that switches every Upgrade request to an echo tunnel. */
async function echoTunnelServer(): Promise<number> {
  const server = http.createServer((_req, res) => res.end('not an upgrade'));
  server.on('upgrade', (_req, sock: net.Socket, head: Buffer) => {
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    if (head.length > 0) sock.write(head);
    sock.pipe(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** An Upgrade request: 101 and what the tunnel echoed of `ping`, or the status of the refusal. */
function upgrade(port: number): Promise<{ status: number; echo: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ws', agent: false, headers: { connection: 'Upgrade', upgrade: 'echo' } });
    req.on('upgrade', (res, sock: net.Socket) => {
      sock.once('data', (d: Buffer) => {
        sock.destroy();
        resolve({ status: res.statusCode ?? 0, echo: d.toString() });
      });
      sock.write('ping');
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, echo: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

test('an Upgrade whose server refuses the connect is retried on another with retries 1 and redispatch; without them it fails', async () => {
  const dead = await refusedPort();
  const live = await echoTunnelServer();
  const retried = await proxy(makeBackend('ws', [dead, live], { retries: 1, redispatch: true }));
  const plain = await proxy(makeBackend('ws0', [dead, live]));
  // Round robin over two servers: of four tunnels, two are first sent to the refusing one.
  const withRetry: { status: number; echo: string }[] = [];
  const without: { status: number; echo: string }[] = [];
  for (let i = 0; i < 4; i++) withRetry.push(await upgrade(retried.port));
  for (let i = 0; i < 4; i++) without.push(await upgrade(plain.port));
  assert.deepEqual(withRetry, Array(4).fill({ status: 101, echo: 'ping' }), 'every tunnel opened, the refused connects redispatched');
  assert.equal(without.filter((r) => r.status === 503).length, 2, 'no retry: the tunnels sent to the refusing server fail');
  assert.equal(without.filter((r) => r.status === 101 && r.echo === 'ping').length, 2);
  retried.w.drain();
  await retried.w.exited;
  assert.equal(retried.w.counter('be/ws', 'wredis'), 2);
  assert.equal(retried.w.counter('be/ws', 'econ'), 2);
});
