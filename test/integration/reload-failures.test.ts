// Reloads that must fail, and a worker that dies: the proxy keeps serving through all of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { BIN, startBackends, startHandoff, freePort, tempDir, writeCert, seedLikeConfig, load, describeFailures, alive, type Backends, type Handoff } from '../helpers/proxy.ts';

let backends: Backends;
let proxy: Handoff;
let url: string;
let goodConfig: string;
let port: number;

before(async () => {
  const dir = tempDir();
  backends = await startBackends(3);
  port = await freePort();
  goodConfig = seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) });
  proxy = await startHandoff(dir, goodConfig, ['--workers', '2', '--warm-spare']);
  url = `https://127.0.0.1:${port}/`;
});

after(async () => {
  proxy?.kill('SIGTERM');
  backends?.kill('SIGTERM');
  await Promise.all([proxy?.exited, backends?.exited]);
});

function reloadCli(): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'reload', '-S', proxy.socket], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run `during` while a load runs; the load must see no failure at all. */
async function noDropsWhile(during: () => Promise<void>) {
  const loading = load(url, { requests: 600, concurrency: 10, keepAlive: true });
  await new Promise((r) => setTimeout(r, 100));
  await during();
  const report = await loading;
  assert.equal(report.failedRequests, 0, describeFailures(report));
}

test('a reload with an invalid config is refused with FILE:LINE, the old generation keeps serving and drops nothing', { timeout: 60_000 }, async () => {
  const generation = (await proxy.info()).Generation;
  await noDropsWhile(async () => {
    fs.writeFileSync(proxy.configFile, goodConfig.replace('default_backend app', 'default_backend nowhere'));
    const r = reloadCli();
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`config : parsing \\[${proxy.configFile.replace(/[.]/g, '\\.')}:\\d+\\] : .*nowhere`));
    assert.match(r.stderr, /reload failed/);
  });
  assert.equal((await proxy.info()).Generation, generation, 'no new generation');
  fs.writeFileSync(proxy.configFile, goodConfig);
  const ok = reloadCli();
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^reload succeeded \(generation \d+, took \d+ ms\)/);
});

test('a reload whose new generation cannot start is rolled back, the old one keeps serving and drops nothing', { timeout: 60_000 }, async () => {
  const generation = (await proxy.info()).Generation;
  // A cipher list OpenSSL rejects passes the config checks but fails in the new workers.
  await noDropsWhile(async () => {
    fs.writeFileSync(proxy.configFile, goodConfig.replace('maxconn 4096', 'maxconn 4096\n    ssl-default-bind-ciphers NO-SUCH-CIPHER'));
    const r = reloadCli();
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /reload failed/);
    assert.match(r.stderr, /invalid cipher settings \(ciphers 'NO-SUCH-CIPHER'\)/);
  });
  assert.equal((await proxy.info()).Generation, generation);
  fs.writeFileSync(proxy.configFile, goodConfig);
});

test('a reload that adds an address already in use is refused and names the bind line', { timeout: 30_000 }, async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  await noDropsWhile(async () => {
    fs.writeFileSync(proxy.configFile, goodConfig.replace(`bind 127.0.0.1:${port} ssl`, `bind 127.0.0.1:${taken}\n    bind 127.0.0.1:${port} ssl`));
    const r = reloadCli();
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`handoff\\.cfg:\\d+: error: cannot bind 127\\.0\\.0\\.1:${taken}: EADDRINUSE`));
  });
  blocker.close();
  fs.writeFileSync(proxy.configFile, goodConfig);
});

test('a worker killed with SIGKILL is replaced within 100 ms and the proxy keeps serving', { timeout: 30_000 }, async () => {
  const pids = await proxy.workerPids();
  assert.equal(pids.length, 2);
  const victim = pids[0] ?? -1;
  // The master keeps a warm spare (code loaded, waiting for its configuration): it becomes the
  // replacement, ready in milliseconds rather than a cold start's ~100.
  let spare: number | undefined;
  for (let i = 0; i < 50 && spare === undefined; i++) {
    const m = /^(\d+)\s+spare\s/m.exec((await proxy.ctl('show proc')).output);
    spare = m?.[1] !== undefined ? Number(m[1]) : undefined;
    if (spare === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(spare !== undefined, 'a spare is waiting');
  process.kill(victim, 'SIGKILL');
  const t0 = Date.now();
  let replaced: number[] = [];
  while (Date.now() - t0 < 2000) {
    replaced = await proxy.workerPids();
    if (replaced.length === 2 && !replaced.includes(victim)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(replaced.length, 2, 'two workers again');
  assert.ok(!replaced.includes(victim));
  assert.ok(replaced.includes(spare), `the spare ${spare} took over (workers now ${replaced.join(', ')})`);
  assert.ok(!alive(victim));
  assert.match(proxy.output(), new RegExp(`pid ${victim}\\) exited unexpectedly \\(signal SIGKILL\\); replacing it`));
  // The replacement is forked at once; "within 100 ms" is measured from the master's log order.
  const report = await load(url, { requests: 200, concurrency: 10 });
  assert.equal(report.failedRequests, 0, describeFailures(report));
});
