// The product's promise, proven on real processes: reload every 100 ms under load, drop nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBackends, startHandoff, freePort, tempDir, writeCert, seedLikeConfig, load, every, describeFailures, type Backends, type Handoff } from '../helpers/proxy.ts';

let backends: Backends;
let proxy: Handoff;
let url: string;

before(async () => {
  const dir = tempDir();
  backends = await startBackends(3);
  const port = await freePort();
  proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '2']);
  url = `https://127.0.0.1:${port}/`;
});

after(async () => {
  proxy?.kill('SIGTERM');
  backends?.kill('SIGTERM');
  await Promise.all([proxy?.exited, backends?.exited]);
});

/** SIGUSR2 reloads in place (same processes, new configuration); `reload full` forks new workers. */
const fire = {
  'in-place': () => process.kill(proxy.pid, 'SIGUSR2'),
  'new-process': () => void proxy.ctl('reload full').catch(() => {}),
};

async function underReloads(opts: Parameters<typeof load>[1], mode: keyof typeof fire = 'in-place') {
  const before = Number((await proxy.info()).Reloads);
  const stop = new AbortController();
  const reloading = every(100, stop.signal, fire[mode], 400);
  const report = await load(url, opts);
  stop.abort();
  const requested = await reloading;
  // Let the last coalesced reload finish before reading the count.
  await new Promise((r) => setTimeout(r, 400));
  const completed = Number((await proxy.info()).Reloads) - before;
  return { report, requested, completed };
}

test('TLS clients without keep-alive, an in-place reload every 100 ms: zero failed requests', { timeout: 90_000 }, async () => {
  const { report, requested, completed } = await underReloads({ requests: 1500, concurrency: 30, keepAlive: false });
  assert.equal(report.completeRequests, 1500);
  assert.equal(report.failedRequests, 0, describeFailures(report));
  assert.equal(report.non2xx, 0);
  assert.ok(requested >= 5, `reloads requested: ${requested}`);
  assert.ok(completed >= 3, `reloads completed: ${completed} of ${requested} requested`);
});

test('keep-alive TLS clients, an in-place reload every 100 ms: zero failed requests', { timeout: 90_000 }, async () => {
  const { report, requested, completed } = await underReloads({ requests: 6000, concurrency: 30, keepAlive: true });
  assert.equal(report.completeRequests, 6000);
  assert.equal(report.failedRequests, 0, describeFailures(report));
  assert.equal(report.non2xx, 0);
  assert.ok(completed >= 3, `reloads completed: ${completed} of ${requested} requested`);
});

test('TLS clients without keep-alive, a full reload (new worker processes) every 100 ms: zero failed requests', { timeout: 90_000 }, async () => {
  const { report, requested, completed } = await underReloads({ requests: 1500, concurrency: 30, keepAlive: false }, 'new-process');
  assert.equal(report.failedRequests, 0, describeFailures(report));
  assert.equal(report.non2xx, 0);
  assert.ok(completed >= 3, `reloads completed: ${completed} of ${requested} requested`);
});

test('keep-alive TLS clients, a full reload (new worker processes) every 100 ms: zero failed requests', { timeout: 90_000 }, async () => {
  const { report, requested, completed } = await underReloads({ requests: 6000, concurrency: 30, keepAlive: true }, 'new-process');
  assert.equal(report.failedRequests, 0, describeFailures(report));
  assert.equal(report.non2xx, 0);
  assert.ok(completed >= 3, `reloads completed: ${completed} of ${requested} requested`);
});
