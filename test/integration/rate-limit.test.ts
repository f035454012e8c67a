// `track-sc0 src` + `deny deny_status 429 if { sc_http_req_rate(0) gt 100 }` through the real
// binary: the 101st request in the window is refused whether the client's connections reach one
// worker or both, and the count survives in-place and full reloads and a killed worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startBackends, startHandoff, freePort, tempDir, type Handoff } from '../helpers/proxy.ts';
import { STICK_HEAD } from '../helpers/stick-config.ts';

function config(port: number, backend: number, track = 'http-request track-sc0 src'): string {
  return `${STICK_HEAD}frontend fe
  bind 127.0.0.1:${port}
  log stdout format raw local0
  log-format "served-by %pid %ST"
  stick-table type ip size 100k expire 60s store http_req_rate(60s),conn_cur,http_req_cnt
  ${track}
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
  default_backend be
backend be
  server s1 127.0.0.1:${backend}
`;
}

/** One request on a new connection (so connections spread over the workers): its status. */
function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

async function statuses(port: number, n: number, parallel = 4): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => get(port)));
    out.push(...batch);
  }
  return out;
}

async function withProxy(workers: number, fn: (h: Handoff, port: number) => Promise<void>, track?: string): Promise<void> {
  const backends = await startBackends(1);
  const dir = tempDir('handoff-rate-');
  const port = await freePort();
  const h = await startHandoff(dir, config(port, backends.ports[0] as number, track), ['--workers', String(workers)]);
  try {
    await fn(h, port);
  } finally {
    h.kill();
    backends.kill();
    await h.exited;
  }
}

for (const workers of [1, 2]) {
  test(`the 101st request in the window is refused with ${workers} worker(s)`, { timeout: 60_000 }, async () => {
    await withProxy(workers, async (h, port) => {
      const first = await statuses(port, 100);
      assert.deepEqual(first.filter((s) => s !== 200), [], 'the first 100 pass');
      assert.equal(await get(port), 429, 'the 101st is refused');
      await new Promise((r) => setTimeout(r, 200));
      const pids = new Set([...h.output().matchAll(/served-by (\d+) 200/g)].map((m) => m[1]));
      assert.equal(pids.size, workers, `the connections reached ${workers} worker(s): ${[...pids].join(' ')}`);
    });
  });
}

for (const step of ['reload', 'reload full', 'kill a worker'] as const) {
  test(`the count survives: ${step} (2 workers)`, { timeout: 60_000 }, async () => {
    await withProxy(2, async (h, port) => {
      assert.deepEqual((await statuses(port, 60)).filter((s) => s !== 200), []);
      if (step === 'kill a worker') {
        const [pid] = await h.workerPids();
        process.kill(pid as number, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 1500));
      } else {
        const r = await h.ctl(step);
        assert.ok(r.ok, r.output);
      }
      assert.deepEqual((await statuses(port, 40)).filter((s) => s !== 200), [], 'requests 61..100 pass');
      assert.equal(await get(port), 429, 'the 101st is refused after the ' + step);
      const shown = (await h.ctl('show table fe')).output;
      assert.match(shown, /key=127\.0\.0\.1 .*http_req_rate\(60000\)=10[12]/);
    });
  });
}

test('tcp-request content track-sc0 src in an http frontend counts each request (2 workers)', { timeout: 60_000 }, async () => {
  await withProxy(2, async (_h, port) => {
    assert.deepEqual((await statuses(port, 100)).filter((s) => s !== 200), []);
    assert.equal(await get(port), 429);
  }, 'tcp-request content track-sc0 src');
});
