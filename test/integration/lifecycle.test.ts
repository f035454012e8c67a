// Lifecycle on real processes: long requests across reloads, resource hygiene after 100 reloads,
// stopping in the middle of a reload storm, refusing a bad config at start, legacy -sf takeover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import { BIN, startBackends, startHandoff, freePort, tempDir, writeCert, seedLikeConfig, load, describeFailures, alive } from '../helpers/proxy.ts';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

async function portIsFree(port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('requests that take 2 s and straddle a reload complete normally', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2, ['--delay', '2000']);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '2']);
  try {
    const pending = Array.from({ length: 10 }, () => get(`https://127.0.0.1:${port}/?echo=slow`));
    await new Promise((r) => setTimeout(r, 300));
    const r = spawnSync(process.execPath, [BIN, 'reload', '-S', proxy.socket], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const results = await Promise.all(pending);
    for (const res of results) {
      assert.equal(res.status, 200);
      assert.match(res.body, /echo: slow/);
    }
  } finally {
    proxy.kill();
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
});

for (const mode of ['in-place', 'full'] as const) {
  test(`after 100 ${mode} reloads in a row, worker processes and open descriptors are back where they started`, { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const backends = await startBackends(2);
    const port = await freePort();
    const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '2', '--warm-spare']);
    try {
      await load(`https://127.0.0.1:${port}/`, { requests: 50, concurrency: 5 });
      // The master keeps one warm spare process; count descriptors with it in place both times.
      const spareReady = async () => {
        for (let i = 0; i < 100 && !/^\d+\s+spare\s/m.test((await proxy.ctl('show proc')).output); i++) await new Promise((r) => setTimeout(r, 20));
      };
      await spareReady();
      const workersBefore = await proxy.workerPids();
      const fdsBefore = openFds(proxy.pid);
      const workerFdsBefore = workersBefore.map(openFds);
      for (let i = 0; i < 100; i++) {
        const r = await proxy.ctl(mode === 'full' ? 'reload full' : 'reload');
        assert.ok(r.ok, r.output);
        // Traffic on every generation, so each has upstream connections to release.
        if (i % 10 === 0) await load(`https://127.0.0.1:${port}/`, { requests: 20, concurrency: 4, keepAlive: true });
      }
      // Old generations drain in the background; give the last ones a moment.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && ((await proxy.info()).DrainingGenerations !== '0' || (await proxy.workerPids()).length !== workersBefore.length)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await proxy.info()).Generation, '101');
      await spareReady();
      const workersAfter = await proxy.workerPids();
      assert.equal(workersAfter.length, workersBefore.length);
      assert.equal(openFds(proxy.pid), fdsBefore, 'no descriptor leaked by the master');
      if (mode === 'in-place') {
        assert.deepEqual(workersAfter, workersBefore);
        // Idle upstream connections of the last generation may differ; nothing grows with reloads.
        await new Promise((r) => setTimeout(r, 500));
        workersAfter.forEach((pid, i) => assert.ok(openFds(pid) <= (workerFdsBefore[i] ?? 0) + 4, `worker ${pid}: ${openFds(pid)} descriptors, ${workerFdsBefore[i]} before`));
      }
      const report = await load(`https://127.0.0.1:${port}/`, { requests: 50, concurrency: 5 });
      assert.equal(report.failedRequests, 0, describeFailures(report));
    } finally {
      proxy.kill();
      backends.kill();
      await Promise.all([proxy.exited, backends.exited]);
    }
  });
}

test('SIGTERM in the middle of a reload storm stops everything: no handoff process left, the port is free', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '2']);
  const seen = new Set<number>(await proxy.workerPids());
  try {
    for (let i = 0; i < 30; i++) {
      process.kill(proxy.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 15));
      for (const pid of await proxy.workerPids()) seen.add(pid);
    }
    // A reload is in progress right now (they take ~100 ms); stop in its middle.
    process.kill(proxy.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 30));
    for (const pid of await proxy.workerPids()) seen.add(pid);
    process.kill(proxy.pid, 'SIGTERM');
    const exit = await proxy.exited;
    assert.equal(exit.code, 0, proxy.output());
    assert.ok(seen.size >= 2);
    await new Promise((r) => setTimeout(r, 100));
    for (const pid of seen) assert.ok(!alive(pid), `worker ${pid} outlived the master`);
    assert.ok(await portIsFree(port), 'the port is free again');
    assert.ok(!fs.existsSync(proxy.socket), 'master socket removed');
    assert.ok(!fs.existsSync(proxy.pidFile), 'pid file removed');
  } finally {
    proxy.kill('SIGKILL');
    backends.kill();
    await backends.exited;
  }
});

test('handoff run refuses to start on config errors and prints FILE:LINE', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const file = `${dir}/bad.cfg`;
  fs.writeFileSync(file, 'frontend www\n    bind 127.0.0.1:1\n    default_backend missing\n');
  const r = spawnSync(process.execPath, [BIN, 'run', '-f', file, '-S', `${dir}/m.sock`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`\\[ALERT\\] +\\(\\d+\\) : config : parsing \\[${file.replace(/[.]/g, '\\.')}:3\\] : .*missing`));
  assert.match(r.stderr, /not starting/);
});

test('legacy -sf: a new independent instance binds next to the old one, which then finishes and exits', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const config = seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) });
  const oldOne = await startHandoff(dir, config, ['--workers', '1']);
  const newOne = await startHandoff(tempDir(), config, ['--workers', '1', '-sf', String(oldOne.pid)]);
  try {
    const exit = await oldOne.exited;
    assert.equal(exit.code, 0, oldOne.output());
    const report = await load(`https://127.0.0.1:${port}/`, { requests: 100, concurrency: 5 });
    assert.equal(report.failedRequests, 0, describeFailures(report));
    assert.ok(alive(newOne.pid));
  } finally {
    oldOne.kill('SIGKILL');
    newOne.kill();
    backends.kill();
    await Promise.all([newOne.exited, backends.exited]);
  }
});

/** A plain or TLS GET that reports 'completed' or 'cut'. */
function fetchOutcome(url: string): Promise<string> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https') ? https : http;
    mod
      .get(url, { rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve('completed'));
        res.on('error', () => resolve('cut'));
      })
      .on('error', () => resolve('cut'));
  });
}

// An in-place reload keeps a listener's protocol layer (and its connections) when the bind keeps
// its shape; these tests switch the bind between TLS and plain so the old layer must drain.
for (const mode of ['in-place', 'full'] as const) {
  const reload = mode === 'full' ? 'reload full' : 'reload';

  test(`${mode} reloads: at most --max-old-generations drain at once; beyond that the oldest is stopped`, { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const backends = await startBackends(1, ['--delay', '4000']);
    const port = await freePort();
    const cert = await writeCert(dir);
    const configs = [seedLikeConfig({ port, backends: backends.ports, cert }), seedLikeConfig({ port, backends: backends.ports })];
    const proxy = await startHandoff(dir, configs[0] ?? '', ['--workers', '1', '--max-old-generations', '2']);
    try {
      // Each generation gets a slow request in flight before the next reload, so none can finish draining.
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 4; i++) {
        pending.push(fetchOutcome(`${i % 2 === 0 ? 'https' : 'http'}://127.0.0.1:${port}/`));
        await new Promise((r) => setTimeout(r, 150));
        fs.writeFileSync(proxy.configFile, configs[(i + 1) % 2] ?? '');
        assert.ok((await proxy.ctl(reload)).ok);
        await new Promise((r) => setTimeout(r, 100));
        const draining = Number((await proxy.info()).DrainingGenerations);
        assert.ok(draining <= 2, `draining generations: ${draining}`);
      }
      assert.match(proxy.output(), mode === 'full' ? /stopping generation 1 now \(more than 2 generations draining\)/ : /more than 2 generations draining, closing generation 1 now/);
      const outcomes = await Promise.all(pending);
      assert.equal(outcomes[0], 'cut', 'the oldest generation was closed');
      assert.equal(outcomes[3], 'completed');
    } finally {
      proxy.kill();
      backends.kill('SIGKILL');
      await Promise.all([proxy.exited, backends.exited]);
    }
  });

  test(`${mode} reloads: hard-stop-after bounds a drain, a request longer than it is cut`, { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const backends = await startBackends(1, ['--delay', '5000']);
    const port = await freePort();
    const cert = await writeCert(dir);
    const extraGlobal = '    hard-stop-after 500ms';
    const extraFrontend = '    log stdout local0\n    option httplog';
    const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert, extraGlobal, extraFrontend }), ['--workers', '1']);
    try {
      const [oldWorker] = await proxy.workerPids();
      const slow = fetchOutcome(`https://127.0.0.1:${port}/`);
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(proxy.configFile, seedLikeConfig({ port, backends: backends.ports, extraGlobal, extraFrontend }));
      assert.ok((await proxy.ctl(reload)).ok);
      const t0 = Date.now();
      assert.equal(await slow, 'cut');
      assert.ok(Date.now() - t0 < 3000, 'cut near hard-stop-after, not after the 5 s response');
      await new Promise((r) => setTimeout(r, 200));
      // A full reload ends the old process; an in-place one keeps it, serving the new generation.
      assert.equal(alive(oldWorker ?? -1), mode === 'in-place');
      assert.equal((await proxy.info()).DrainingGenerations, '0');
      // Logged as killed by us (K), not as a client abort (C).
      assert.match(proxy.output(), /www~ app\/s0 \S+ -1 \d+ - - KH-- /);
    } finally {
      proxy.kill();
      backends.kill('SIGKILL');
      await Promise.all([proxy.exited, backends.exited]);
    }
  });
}

test('an in-place reload keeps kept-alive connections: the next request on the same connection meets the new configuration', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1, ['--delay', '1000']);
  const port = await freePort();
  const cert = await writeCert(dir);
  const config = (tag: string) => seedLikeConfig({ port, backends: backends.ports, cert, extraFrontend: `    http-response set-header X-Config ${tag}` });
  const proxy = await startHandoff(dir, config('one'), ['--workers', '1']);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  const get1 = () =>
    new Promise<{ tag: string; port: number }>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${port}/`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ tag: String(res.headers['x-config']), port: res.socket?.localPort ?? 0 }));
        })
        .on('error', reject);
    });
  try {
    const first = await get1();
    assert.equal(first.tag, 'one');
    // A request in flight across the reload finishes under the configuration it started with.
    const straddling = get1();
    await new Promise((r) => setTimeout(r, 200));
    fs.writeFileSync(proxy.configFile, config('two'));
    assert.ok((await proxy.ctl('reload')).ok);
    assert.equal((await straddling).tag, 'one');
    const second = await get1();
    assert.equal(second.tag, 'two');
    assert.equal(second.port, first.port, 'the same client connection');
  } finally {
    agent.destroy();
    proxy.kill();
    backends.kill('SIGKILL');
    await Promise.all([proxy.exited, backends.exited]);
  }
});

test('a reload reconfigures the running workers in place, unless the code changed: then it starts new ones', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '2']);
  const source = new URL('../../src/worker/errors.ts', import.meta.url);
  const { atime, mtime } = fs.statSync(source);
  try {
    const first = await proxy.workerPids();
    assert.ok((await proxy.ctl('reload')).ok);
    assert.deepEqual(await proxy.workerPids(), first, 'same processes after an in-place reload');
    // Simulate a deployment of new code: the next reload must start processes that load it.
    fs.utimesSync(source, atime, new Date(mtime.getTime() + 1000));
    const r = await proxy.ctl('reload');
    assert.ok(r.ok, r.output);
    let second = await proxy.workerPids();
    for (let i = 0; i < 100 && second.length !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the old processes drain and exit
      second = await proxy.workerPids();
    }
    assert.equal(second.length, 2);
    assert.ok(second.every((p) => !first.includes(p)), 'new processes after a code change');
    assert.match(proxy.output(), /reload succeeded \(generation 3, took \d+ ms, new-processes\)/);
    const report = await load(`https://127.0.0.1:${port}/`, { requests: 50, concurrency: 5 });
    assert.equal(report.failedRequests, 0, describeFailures(report));
  } finally {
    fs.utimesSync(source, atime, mtime);
    proxy.kill();
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
});

test('an in-place reload with a new certificate: new handshakes present it, the port never closes', { timeout: 30_000 }, async () => {
  const { generateCertificate } = await import('../../src/demo/cert.ts');
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const certFile = await writeCert(dir);
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: certFile }), ['--workers', '1']);
  const peerCn = () =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(String(s.getPeerCertificate().subject?.CN));
        s.destroy();
      });
      s.on('error', reject);
    });
  try {
    assert.equal(await peerCn(), 'localhost');
    fs.writeFileSync(certFile, (await generateCertificate({ commonName: 'renewed.test', ec: true })).pem);
    assert.ok((await proxy.ctl('reload')).ok);
    assert.equal(await peerCn(), 'renewed.test');
  } finally {
    proxy.kill();
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
});

test('a TLS client that hangs up before its first request does not hold a graceful stop', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }), ['--workers', '1']);
  try {
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        // A bare FIN, no close_notify: what a client that simply goes away sends.
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    proxy.kill('SIGTERM');
    const exit = await proxy.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms, not after 'timeout client'`);
  } finally {
    proxy.kill('SIGKILL');
    backends.kill();
    await backends.exited;
  }
});

test('an in-place reload that adds a listener serves on it at once; one that removes it closes the port', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1);
  const [port, extra] = [await freePort(), await freePort()];
  const base = seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) });
  const withExtra = `${base}
frontend plain
    bind 127.0.0.1:${extra}
    default_backend app
`;
  const proxy = await startHandoff(dir, base, ['--workers', '2']);
  try {
    const pids = await proxy.workerPids();
    fs.writeFileSync(proxy.configFile, withExtra);
    assert.ok((await proxy.ctl('reload')).ok);
    const on = await load(`http://127.0.0.1:${extra}/`, { requests: 40, concurrency: 4 });
    assert.equal(on.failedRequests, 0, describeFailures(on));
    fs.writeFileSync(proxy.configFile, base);
    assert.ok((await proxy.ctl('reload')).ok);
    assert.deepEqual(await proxy.workerPids(), pids, 'both reloads were in place');
    const off = await load(`http://127.0.0.1:${extra}/`, { requests: 5, concurrency: 1 });
    assert.equal(off.failures.connect_refused, 5, 'the removed address no longer listens');
    assert.ok(await portIsFree(extra));
    const still = await load(`https://127.0.0.1:${port}/`, { requests: 20, concurrency: 2 });
    assert.equal(still.failedRequests, 0, describeFailures(still));
  } finally {
    proxy.kill();
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
});

test('in-place reload on a kept listener: a request in flight keeps its generation draining, and hard-stop-after bounds it', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(1, ['--delay', '5000']);
  const port = await freePort();
  const cert = await writeCert(dir);
  const config = (tag: string) => seedLikeConfig({ port, backends: backends.ports, cert, extraGlobal: '    hard-stop-after 800ms', extraFrontend: `    http-response set-header X-Config ${tag}` });
  const proxy = await startHandoff(dir, config('one'), ['--workers', '1']);
  try {
    const slow = fetchOutcome(`https://127.0.0.1:${port}/`);
    await new Promise((r) => setTimeout(r, 200));
    fs.writeFileSync(proxy.configFile, config('two'));
    assert.ok((await proxy.ctl('reload')).ok);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await proxy.info()).DrainingGenerations, '1', 'generation 1 still carries a request');
    const t0 = Date.now();
    assert.equal(await slow, 'cut');
    assert.ok(Date.now() - t0 < 3000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await proxy.info()).DrainingGenerations, '0');
    assert.match(proxy.output(), /generation 1 finished draining in \d+ ms/);
  } finally {
    proxy.kill();
    backends.kill('SIGKILL');
    await Promise.all([proxy.exited, backends.exited]);
  }
});
