// Process faults under load: a worker killed or frozen, the master killed, a server that never
// answers, a reload whose certificate vanished, a request line without a version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { BIN, startBackends, startHandoff, freePort, tempDir, writeCert, seedLikeConfig, load, describeFailures, alive, sleep, until, stopAll } from '../helpers/proxy.ts';

/** One raw request on `sock`; resolves with the status, or 0 when the connection closed first. */
function requestOn(sock: net.Socket): Promise<number> {
  return new Promise((resolve) => {
    let data = '';
    const onData = (d: Buffer) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n/.exec(data);
      const len = /content-length: (\d+)/i.exec(data);
      if (m && len && data.length >= m[0].length + Number(len[1])) done(Number(m[1]));
    };
    const onClose = () => done(0);
    const done = (status: number) => {
      sock.off('data', onData);
      sock.off('close', onClose);
      resolve(status);
    };
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

async function keptAliveClients(port: number, n: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    assert.equal(await requestOn(s), 200);
    socks.push(s);
  }
  return socks;
}

test('a worker killed with SIGKILL under load: only what it held fails, the socket never refuses, it is replaced', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(3);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports }), ['--workers', '2']);
  try {
    const [victim] = await proxy.workerPids();
    // Paced load, a new connection per request. A request the victim holds at the kill dies with
    // it (at 200/s with sub-millisecond answers, usually none; at most one per connection of the
    // load); everything else is served: the kernel socket stays up, the other worker accepts.
    // HAProxy 2.6 master-worker, the same kill: the master stops everything (exit-on-failure).
    const concurrency = 5;
    const loading = load(`http://127.0.0.1:${port}/`, { requests: 1000, concurrency, rate: 200 });
    await sleep(1500);
    process.kill(victim ?? -1, 'SIGKILL');
    const report = await loading;
    const f = report.failures;
    assert.ok(report.failedRequests <= concurrency, describeFailures(report));
    assert.equal(f.connect_refused + f.connect_error + f.connect_timeout, 0, describeFailures(report));
    await until('two workers again', async () => (await proxy.workerPids()).filter((p) => p !== victim).length === 2, 5000);
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('the master killed with SIGKILL: every worker exits, nothing is orphaned, the port is free', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports }), ['--workers', '2']);
  const clients = await keptAliveClients(port, 4); // idle kept-alive connections must not hold a worker
  try {
    const procs = (await proxy.ctl('show proc')).output;
    const pids = [...procs.matchAll(/^(\d+)\s+(worker|spare)\s/gm)].map((m) => Number(m[1]));
    assert.ok(pids.length >= 2, procs);
    proxy.kill('SIGKILL');
    await proxy.exited;
    const took = await until('every worker gone', () => pids.every((p) => !alive(p)), 10_000);
    assert.ok(took < 5000, `workers took ${took} ms to go`);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    probe.close();
  } finally {
    for (const c of clients) c.destroy();
    proxy.kill('SIGKILL');
    backends.kill('SIGTERM');
    await backends.exited;
  }
});

test('a worker frozen by SIGSTOP for 3 s: its kept-alive clients wait no longer than timeout client, then it is replaced', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const config = seedLikeConfig({ port, backends: backends.ports }).replace('timeout client 50s', 'timeout client 2s').replace('timeout server 50s', 'timeout server 2s');
  const proxy = await startHandoff(dir, config, ['--workers', '2']);
  const clients = await keptAliveClients(port, 16);
  const [victim] = await proxy.workerPids();
  try {
    process.kill(victim ?? -1, 'SIGSTOP');
    const t0 = Date.now();
    const cont = sleep(3000).then(() => {
      if (alive(victim ?? -1)) process.kill(victim ?? -1, 'SIGCONT');
    });
    // Each client asks again: those on the other worker are answered at once; those on the frozen
    // one see their connection closed once the master has given up on it.
    const waits = await Promise.all(clients.map(async (c) => ({ status: await requestOn(c), ms: Date.now() - t0 })));
    const longest = Math.max(...waits.map((w) => w.ms));
    assert.ok(waits.some((w) => w.status === 200), 'the other worker answered');
    assert.ok(longest < 2800, `a client waited ${longest} ms (timeout client 2 s, frozen 3 s): ${JSON.stringify(waits)}`);
    await cont;
    assert.ok(!alive(victim ?? -1), 'the frozen worker was killed');
    assert.match(proxy.output(), new RegExp(`pid ${victim}\\) has not reported for \\d+ ms`));
    await until('two workers again', async () => (await proxy.workerPids()).filter((p) => p !== victim).length === 2, 5000);
    const report = await load(`http://127.0.0.1:${port}/`, { requests: 300, concurrency: 10, keepAlive: true });
    assert.equal(report.failedRequests, 0, describeFailures(report));
  } finally {
    for (const c of clients) c.destroy();
    if (alive(victim ?? -1)) process.kill(victim ?? -1, 'SIGCONT');
    await stopAll([proxy, backends]);
  }
});

test('a server that accepts and never answers: 504 after timeout server, the other backend unaffected', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => held.push(s.on('error', () => {})));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as net.AddressInfo).port;
  const port = await freePort();
  const config = seedLikeConfig({ port, backends: backends.ports, extraFrontend: '    use_backend mute if { path_beg /mute }' }) +
    `\nbackend mute\n    timeout server 1s\n    server m 127.0.0.1:${silentPort}\n`;
  const proxy = await startHandoff(dir, config, ['--workers', '2']);
  try {
    const t0 = Date.now();
    const muted = Promise.all(Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/mute`).then((r) => ({ status: r.status, ms: Date.now() - t0 }))));
    const report = await load(`http://127.0.0.1:${port}/`, { requests: 500, concurrency: 10, keepAlive: true });
    assert.equal(report.failedRequests, 0, describeFailures(report));
    for (const m of await muted) {
      assert.equal(m.status, 504);
      assert.ok(m.ms >= 950 && m.ms < 3000, `504 after ${m.ms} ms`);
    }
  } finally {
    for (const s of held) s.destroy();
    silent.close();
    await stopAll([proxy, backends]);
  }
});

test('a reload whose certificate file was deleted is refused with FILE:LINE; the running one keeps serving', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const cert = await writeCert(dir);
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert }), ['--workers', '1']);
  try {
    const generation = (await proxy.info()).Generation;
    fs.unlinkSync(cert);
    const r = spawnSync(process.execPath, [BIN, 'reload', '-S', proxy.socket], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stdout);
    const line = fs.readFileSync(proxy.configFile, 'utf8').split('\n').findIndex((l) => l.includes('ssl crt')) + 1;
    assert.match(r.stderr, new RegExp(`handoff\\.cfg:${line}\\] : .*${cert.replace(/[.]/g, '\\.')}`));
    assert.equal((await proxy.info()).Generation, generation);
    const report = await load(`https://127.0.0.1:${port}/`, { requests: 50, concurrency: 5 });
    assert.equal(report.failedRequests, 0, describeFailures(report));
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('a request line without an HTTP version, or with version 2.0, is refused with 400; nothing reaches the server', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  let reached = 0;
  const server = http.createServer((_req, res) => {
    reached++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: [(server.address() as net.AddressInfo).port] }), ['--workers', '1']);
  try {
    for (const line of ['GET /\r\n\r\n', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n']) {
      const answer = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(line));
        let d = '';
        s.on('data', (b) => (d += b.toString()));
        s.on('close', () => resolve(d));
        s.on('error', () => {});
        setTimeout(() => s.destroy(), 3000).unref();
      });
      assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(line));
      assert.match(answer, /connection: close/i);
    }
    assert.equal(reached, 0);
  } finally {
    proxy.kill('SIGTERM');
    server.close();
    await proxy.exited;
  }
});
