import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../helpers/worker-harness.ts';
import { get, startUpstream, type Upstream } from './upstreams.ts';

const upstreams: Upstream[] = [];
after(async () => {
  for (const u of upstreams) await u.close();
});

test('roundrobin spreads keep-alive requests evenly over 3 local servers', async () => {
  for (const n of ['a', 'b', 'c']) upstreams.push(await startUpstream(n));
  const { handle, port } = bindHandle();
  const be = makeBackend('app', upstreams.map((u) => u.port));
  const fe = makeFrontend('web', [makeBind(`127.0.0.1:${port}`, port)], { defaultBackend: 'app' });
  const w = await startWorker({ config: makeConfig([fe], [be]), handles: new Map([[`127.0.0.1:${port}`, handle]]) });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const seen: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const r = await get(port, '/', { agent });
      assert.equal(r.status, 200);
      seen[r.body] = (seen[r.body] ?? 0) + 1;
    }
    agent.destroy();
    assert.deepEqual(seen, { a: 10, b: 10, c: 10 });
    w.drain();
    assert.equal(await w.exited, 0);
    assert.equal(w.counter('fe/web', 'req_tot'), 30);
    assert.equal(w.counter('fe/web', 'hrsp_2xx'), 30);
    assert.equal(w.counter('srv/app/s1', 'hrsp_2xx'), 10);
    assert.ok(w.messages.some((m) => m.type === 'drained'));
  } finally {
    w.kill();
    handle.close();
  }
});
