import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker, defaultTimeouts } from '../helpers/worker-harness.ts';
import { get, startUpstream, type Upstream } from './upstreams.ts';

const upstreams: Upstream[] = [];
after(async () => {
  for (const u of upstreams) await u.close();
});

async function setup(feTimeouts = defaultTimeouts()) {
  const u = await startUpstream('a');
  upstreams.push(u);
  const { handle, port } = bindHandle();
  const config = makeConfig(
    [makeFrontend('fe', [makeBind('k', port)], { defaultBackend: 'app', timeouts: feTimeouts })],
    [makeBackend('app', [u.port])],
  );
  return { handle, port, config, handles: new Map([['k', handle]]) };
}

test('drain finishes a 2 s in-flight request, then the worker exits by itself', async () => {
  const { handle, port, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    const pending = get(port, '/slow?ms=2000');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    w.drain();
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'a slow');
    assert.equal(r.headers.connection, 'close');
    assert.equal(await w.exited, 0);
    assert.ok(Date.now() - t0 >= 1500, 'worker waited for the request');
    assert.equal(w.messages.at(-1)?.type, 'drained');
    assert.equal(w.counter('fe/fe', 'hrsp_2xx'), 1);
  } finally {
    w.kill();
    handle.close();
  }
});

test('drain answers a request on a kept-alive connection with Connection: close, then closes idle ones', async () => {
  const { handle, port, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(port, '/', { agent });
    assert.equal(first.headers.connection, 'keep-alive');
    w.drain();
    await new Promise((r) => setTimeout(r, 100));
    const second = await get(port, '/', { agent });
    assert.equal(second.status, 200);
    assert.equal(second.headers.connection, 'close');
    agent.destroy();
    assert.equal(await w.exited, 0);
  } finally {
    w.kill();
    handle.close();
  }
});

test('drain closes a kept-alive connection only after it has been idle for the grace period', async () => {
  const { handle, port, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => sock.once('data', r));
    const closed = new Promise<number>((resolve) => sock.once('close', () => resolve(Date.now())));
    const t0 = Date.now();
    w.drain();
    const at = await closed;
    assert.ok(at - t0 >= 800, `closed after ${at - t0} ms, before the grace`);
    assert.equal(await w.exited, 0);
  } finally {
    w.kill();
    handle.close();
  }
});

test('drain serves a connection that was accepted but had not yet sent its request', async () => {
  const { handle, port, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    await new Promise((r) => setTimeout(r, 100));
    w.drain();
    await new Promise((r) => setTimeout(r, 1500));
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    const closed = new Promise((r) => sock.once('close', r));
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    assert.match(data, /^HTTP\/1.1 200 /);
    assert.match(data, /connection: close/i);
    assert.equal(await w.exited, 0);
  } finally {
    w.kill();
    handle.close();
  }
});

test('hard-stop-after ends a drain that a slow request would prolong', async () => {
  const { handle, port, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    const pending = get(port, '/slow?ms=5000').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    w.drain(500);
    assert.equal(await w.exited, 0);
    assert.ok(Date.now() - t0 < 2000);
    assert.ok((await pending) instanceof Error);
  } finally {
    w.kill();
    handle.close();
  }
});

test('a worker whose master disappears drains and exits: no orphans', async () => {
  const { handle, config, handles } = await setup();
  const w = await startWorker({ config, handles });
  try {
    w.child.disconnect();
    assert.equal(await w.exited, 0);
  } finally {
    w.kill();
    handle.close();
  }
});

test('two generations on one socket: draining A while a keep-alive client loops drops nothing', async () => {
  const { handle, port, config, handles } = await setup();
  const a = await startWorker({ config, handles, generation: 1 });
  let b: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let ok = 0;
    const failures: string[] = [];
    const client = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        try {
          const r = await get(port, '/', { agent });
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const loop = Promise.all([client(75), client(75), client(75), client(75)]);
    await new Promise((r) => setTimeout(r, 100));
    b = await startWorker({ config, handles, generation: 2 });
    a.drain();
    await loop;
    agent.destroy();
    assert.deepEqual(failures, []);
    assert.equal(ok, 300);
    assert.equal(await a.exited, 0);
    b.drain();
    assert.equal(await b.exited, 0);
    const served = a.counter('fe/fe', 'req_tot') + b.counter('fe/fe', 'req_tot');
    assert.equal(served, 300);
  } finally {
    a.kill();
    b?.kill();
    handle.close();
  }
});
