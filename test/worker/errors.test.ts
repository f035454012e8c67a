import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker, defaultTimeouts } from '../helpers/worker-harness.ts';
import { get, refusedPort, startUpstream, type Upstream } from './upstreams.ts';
import type { Backend, Frontend } from '../../src/config/model.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function proxy(backend: Backend, feExtra: Partial<Frontend> = {}) {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('fe', [makeBind('k', port)], { defaultBackend: backend.name, ...feExtra });
  const w = await startWorker({ config: makeConfig([fe], [backend]), handles: new Map([['k', handle]]) });
  cleanups.push(() => {
    w.kill();
    handle.close();
  });
  return { w, port };
}

async function upstream(name: string): Promise<Upstream> {
  const u = await startUpstream(name);
  cleanups.push(() => u.close());
  return u;
}

test('503 with HAProxy body when the master marks every server down', async () => {
  const u = await upstream('a');
  const { w, port } = await proxy(makeBackend('app', [u.port]));
  assert.equal((await get(port, '/')).status, 200);
  w.send({ type: 'servers', servers: { 'app/s1': { up: false, admin: 'ready' } } });
  await new Promise((r) => setTimeout(r, 100));
  const r = await get(port, '/');
  assert.equal(r.status, 503);
  assert.equal(r.body, '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n');
  w.send({ type: 'servers', servers: { 'app/s1': { up: true, admin: 'maint' } } });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await get(port, '/')).status, 503);
  w.send({ type: 'servers', servers: {} });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await get(port, '/')).status, 200);
});

test('a backup server serves only while no active server is up', async () => {
  const a = await upstream('active');
  const b = await upstream('backup');
  const be = makeBackend('app', [a.port, b.port]);
  be.servers[1]!.backup = true;
  const { w, port } = await proxy(be);
  for (let i = 0; i < 4; i++) assert.equal((await get(port, '/')).body, 'active');
  w.send({ type: 'servers', servers: { 'app/s1': { up: false, admin: 'ready' } } });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await get(port, '/')).body, 'backup');
});

test('502 when the server resets the connection or answers garbage', async () => {
  const u = await upstream('a');
  const { w, port } = await proxy(makeBackend('app', [u.port]));
  const r = await get(port, '/reset');
  assert.equal(r.status, 502);
  assert.match(r.body, /502 Bad Gateway/);
  assert.equal((await get(port, '/garbage')).status, 502);
  w.drain();
  await w.exited;
  assert.equal(w.counter('be/app', 'eresp'), 2);
});

test('504 when the server does not answer within timeout server', async () => {
  const u = await upstream('a');
  const be = makeBackend('app', [u.port], { timeouts: { ...defaultTimeouts(), server: 300 } });
  const { port } = await proxy(be);
  const t0 = Date.now();
  const r = await get(port, '/slow?ms=2000');
  assert.equal(r.status, 504);
  assert.match(r.body, /504 Gateway Time-out/);
  assert.ok(Date.now() - t0 < 1500);
});

test('a configured errorfile is sent as-is instead of the built-in 503', async () => {
  const dead = await refusedPort();
  const errorfile = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nsorry, down';
  const { port } = await proxy(makeBackend('app', [dead], { errorfiles: { '503': errorfile } }));
  const r = await get(port, '/');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'sorry, down');
  assert.equal(r.headers['content-type'], 'text/plain');
});

test('retries with redispatch move a refused connect to the next server; the client sees no error', async () => {
  const u = await upstream('alive');
  const dead = await refusedPort();
  const { w, port } = await proxy(makeBackend('app', [dead, u.port], { retries: 2, redispatch: true }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 6; i++) {
    const r = await get(port, '/', { agent });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'alive');
  }
  agent.destroy();
  w.drain();
  await w.exited;
  // As HAProxy 2.6: a connection error (econ) counts only when the retries are spent, on the server
  // and the backend; a redispatched request that got its answer counts a retry and a redispatch.
  assert.equal(w.counter('srv/app/s1', 'econ'), 0);
  assert.equal(w.counter('be/app', 'econ'), 0);
  assert.equal(w.counter('be/app', 'wretr'), 3);
  assert.equal(w.counter('be/app', 'wredis'), 3);
});

test('without retries a refused connect is a 503', async () => {
  const dead = await refusedPort();
  const { port } = await proxy(makeBackend('app', [dead]));
  assert.equal((await get(port, '/')).status, 503);
});

test('a malformed request gets HAProxy 400 and counts as ereq', async () => {
  const u = await upstream('a');
  const { w, port } = await proxy(makeBackend('app', [u.port]));
  const net = await import('node:net');
  const text = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('GARBAGE\x01 / HTTP/1.1\r\n\r\n'));
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve(data));
  });
  assert.match(text, /^HTTP\/1.1 400 /);
  assert.match(text, /400 Bad request/);
  w.drain();
  await w.exited;
  assert.equal(w.counter('fe/fe', 'ereq'), 1);
});

test('POST bodies stream through to the server and back', async () => {
  const u = await upstream('a');
  const { port } = await proxy(makeBackend('app', [u.port]));
  const body = 'x'.repeat(200_000);
  const r = await get(port, '/echo', { method: 'POST', body });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, body.length);
});

test('a chunked upload of unknown length streams through to the server', async () => {
  const u = await upstream('a');
  const { port } = await proxy(makeBackend('app', [u.port]));
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.write('part one, ');
    setTimeout(() => req.end('part two'), 50);
  });
  assert.equal(body, 'part one, part two');
});

test('a client that goes away mid-response counts as cli_abrt and does not disturb the worker', async () => {
  const u = await upstream('a');
  const { w, port } = await proxy(makeBackend('app', [u.port]));
  // Gone once the response head and a first piece of its body have arrived (a FIN before any
  // answer is a half-close, which is answered: see test/integration/http-edge.test.ts).
  await new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/drip?ms=400', agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await get(port, '/')).status, 200);
  w.drain();
  await w.exited;
  assert.equal(w.counter('be/app', 'cli_abrt'), 1);
});

test('a server that never accepts: timeout connect, then 503 (and a retry to the next server succeeds)', async (t) => {
  // Node always accepts, so the stuck server is a tiny python3 listener with a full backlog.
  const { spawn } = await import('node:child_process');
  const py = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanups.push(() => void py.kill());
  const stuck = await new Promise<number | undefined>((resolve) => {
    py.once('error', () => resolve(undefined));
    py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  if (stuck === undefined) {
    t.skip('python3 is not installed');
    return;
  }
  // Fill the listener's backlog so that further connects hang in SYN_SENT.
  const { default: net } = await import('node:net');
  const fillers = Array.from({ length: 4 }, () => net.connect(stuck, '127.0.0.1').on('error', () => {}));
  cleanups.push(() => fillers.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 100));
  const timeouts = { ...defaultTimeouts(), connect: 200 };
  const alone = await proxy(makeBackend('app', [stuck], { timeouts }));
  const t0 = Date.now();
  const r = await get(alone.port, '/');
  assert.equal(r.status, 503);
  assert.ok(Date.now() - t0 >= 180, 'waited for timeout connect');
  const u = await upstream('ok');
  const both = await proxy(makeBackend('app2', [stuck, u.port], { timeouts, retries: 1, redispatch: true }));
  for (let i = 0; i < 2; i++) assert.equal((await get(both.port, '/')).status, 200);
});

test('a kept-alive upstream connection closed just as it is reused: the GET is sent again, the client sees 200', async () => {
  const { default: net } = await import('node:net');
  let connections = 0;
  // Answers the first request of each connection (keep-alive), then hangs up on the second
  // without a byte of response: the race with a server's keep-alive timeout.
  const server = net.createServer((sock) => {
    connections++;
    let served = 0;
    sock.on('data', () => {
      served++;
      if (served === 1) sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=60\r\n\r\nok');
      else sock.destroy();
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => void server.close());
  const { port } = await proxy(makeBackend('app', [(server.address() as import('node:net').AddressInfo).port]));
  for (let i = 0; i < 3; i++) {
    const r = await get(port, '/');
    assert.equal(r.status, 200, `request ${i}`);
    assert.equal(r.body, 'ok');
  }
  assert.ok(connections >= 2, 'the stale connection was replaced');
});
