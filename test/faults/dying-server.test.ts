// A server that resets every connection, and a server killed under load: with `retry-on` and
// `option redispatch` no GET fails, and passive health (`observe layer4`) takes a killed server out
// long before its next active check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBackends, startHandoff, freePort, tempDir, seedLikeConfig, load, describeFailures, type Backends, sleep } from '../helpers/proxy.ts';
import { serverState } from '../helpers/runtime-servers.ts';

/** A server that reads the request and answers with a TCP reset. */
async function resettingServer(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    sock.on('error', () => {});
    sock.once('data', () => sock.resetAndDestroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, close: () => void server.close() };
}

function servers(ports: number[], opts = ''): string {
  return ports.map((p, i) => `    server s${i} 127.0.0.1:${p}${opts}`).join('\n');
}

test('one of three servers resets every connection: 0 failed GETs with retry-on all-retryable-errors and option redispatch', { timeout: 60_000 }, async () => {
  const good = await startBackends(2);
  const bad = await resettingServer();
  const port = await freePort();
  const ports = [good.ports[0] as number, bad.port, good.ports[1] as number];
  const proxy = await startHandoff(tempDir(), seedLikeConfig({ port, backends: [], extraBackend: `    retry-on all-retryable-errors\n    option redispatch\n${servers(ports)}` }));
  try {
    for (const keepAlive of [false, true]) {
      const before = bad.connections();
      const r = await load(`http://127.0.0.1:${port}/`, { requests: 300, concurrency: 10, keepAlive });
      assert.equal(r.failedRequests, 0, `keepAlive ${keepAlive}: ${describeFailures(r)}`);
      assert.ok(bad.connections() - before >= 50, 'the resetting server kept getting its share and every reset was retried elsewhere');
    }
  } finally {
    proxy.kill('SIGTERM');
    good.kill('SIGTERM');
    bad.close();
    await Promise.all([proxy.exited, good.exited]);
  }
});

test('by default (retry-on conn-failure, no redispatch) a server that resets after reading the request fails its share of GETs', { timeout: 60_000 }, async () => {
  const good = await startBackends(2);
  const bad = await resettingServer();
  const port = await freePort();
  const ports = [good.ports[0] as number, bad.port, good.ports[1] as number];
  const proxy = await startHandoff(tempDir(), seedLikeConfig({ port, backends: [], extraBackend: servers(ports) }));
  try {
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 300, concurrency: 10, keepAlive: false });
    // HAProxy's default too: the request reached the server, so only conn-failure would be retried.
    assert.equal(r.failedRequests, r.failures.status, `only 502s: ${describeFailures(r)}`);
    assert.ok(r.non2xx >= 60 && r.non2xx <= 140, `about a third are 502: ${describeFailures(r)}`);
  } finally {
    proxy.kill('SIGTERM');
    good.kill('SIGTERM');
    bad.close();
    await Promise.all([proxy.exited, good.exited]);
  }
});

test('a server killed (SIGKILL) under keep-alive load: 0 failed requests, and observe layer4 marks it DOWN before its next check', { timeout: 60_000 }, async (t) => {
  const backends: Backends[] = [];
  for (let i = 0; i < 3; i++) backends.push(await startBackends(1));
  const port = await freePort();
  const ports = backends.map((b) => b.ports[0] as number);
  // `inter 10s`: after the check at start-up, the next active check is 10 s away; the test ends before.
  const config = seedLikeConfig({
    port,
    backends: [],
    extraBackend: `    retry-on all-retryable-errors\n    option redispatch\n${servers(ports, ' check inter 10s observe layer4 error-limit 5 on-error mark-down')}`,
  });
  const proxy = await startHandoff(tempDir(), config, ['--workers', '2']);
  try {
    const t0 = Date.now();
    const loading = load(`http://127.0.0.1:${port}/`, { requests: 3000, concurrency: 10, keepAlive: true, rate: 600 });
    await sleep(1500);
    const victim = backends[1] as Backends;
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    let downAfter = -1;
    while (downAfter < 0 && Date.now() - killedAt < 5000) {
      if (serverState((await proxy.ctl('show servers state')).output, 'app/s1')?.up === false) downAfter = Date.now() - killedAt;
      else await sleep(50);
    }
    const r = await loading;
    assert.equal(r.failedRequests, 0, describeFailures(r));
    const down = /server app\/s1 is DOWN \(Health analyze: detected \d+ consecutive errors, last one was: L4 unsuccessful connection/.test(proxy.output());
    assert.ok(down, `passive health marked s1 DOWN:\n${proxy.output()}`);
    assert.ok(downAfter >= 0 && downAfter < 2000, `DOWN ${downAfter} ms after the kill`);
    t.diagnostic(`s1 DOWN ${downAfter} ms after SIGKILL; ${r.completeRequests} requests, ${r.failedRequests} failed`);
    assert.ok(Date.now() - t0 < 10_000, 'all of this happened before the next active check');
  } finally {
    proxy.kill('SIGTERM');
    for (const b of backends) b.kill('SIGTERM');
    await Promise.all([proxy.exited, ...backends.map((b) => b.exited)]);
  }
});
