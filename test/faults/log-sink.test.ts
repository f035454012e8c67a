// A log target that fails (full disk, closed pipe, unreachable syslog) or blocks (a reader that
// stops reading) never costs a request or a worker: lines are dropped and counted (`DroppedLogs`
// in show info), and each worker reports the failure once and the recovery once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, describeFailures, freePort, load, seedLikeConfig, startBackends, startHandoff, tempDir, type Handoff, until, stopAll } from '../helpers/proxy.ts';
import { sendCommand } from '../../src/admin/client.ts';

const LOGGED = '    log global\n    option httplog\n';

/** Reports per worker pid of the lines matching `re` in the process's stderr. */
function reportsByPid(output: string, re: RegExp): Map<number, number> {
  const by = new Map<number, number>();
  for (const line of output.split('\n')) {
    const m = /^\[(?:ALERT|NOTICE|WARNING)\] +\((\d+)\) : /.exec(line);
    if (m !== null && re.test(line)) by.set(Number(m[1]), (by.get(Number(m[1])) ?? 0) + 1);
  }
  return by;
}

async function droppedLogs(h: Handoff): Promise<number> {
  return Number((await h.info()).DroppedLogs ?? 'NaN');
}

/** Every worker (and no one else) reported `re` exactly once. */
function assertOncePerWorker(output: string, re: RegExp, workers: number[]): void {
  const by = reportsByPid(output, re);
  assert.deepEqual([...by.keys()].sort(), [...workers].sort(), `reports matching ${re} by pid ${JSON.stringify([...by])}:\n${output}`);
  for (const [pid, n] of by) assert.equal(n, 1, `worker ${pid} reported ${re} ${n} times:\n${output}`);
}

test('log stdout on a full device (/dev/full): 3000 requests at 1000/s all answered, no worker lost, one ENOSPC alert per worker, DroppedLogs counted', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const full = fs.openSync('/dev/full', 'w');
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, extraGlobal: '    log stdout local0', extraFrontend: LOGGED }), ['--workers', '2'], { stdout: full });
  fs.closeSync(full);
  try {
    const before = await proxy.workerPids();
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 3000, concurrency: 10, rate: 1000, timeoutMs: 5000 });
    assert.equal(r.failedRequests, 0, describeFailures(r));
    assert.equal(r.completeRequests, 3000);
    assert.deepEqual(await proxy.workerPids(), before);
    assert.doesNotMatch(proxy.output(), /exited/);
    await until('DroppedLogs counted', async () => (await droppedLogs(proxy)) >= 2900);
    assertOncePerWorker(proxy.output(), /log target stdout: .*ENOSPC/, before);
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('log stdout into a pipe closed after 300 bytes (EPIPE): every request answered, one alert per worker, reload still works', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, extraGlobal: '    log stdout local0', extraFrontend: LOGGED }), ['--workers', '2'], { stdout: 'pipe' });
  try {
    const stdout = proxy.child.stdout;
    assert.ok(stdout !== null);
    let read = 0;
    stdout.on('data', (d: Buffer) => {
      read += d.length;
      if (read >= 300) stdout.destroy();
    });
    const before = await proxy.workerPids();
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 3000, concurrency: 10, rate: 1000, timeoutMs: 5000 });
    assert.equal(r.failedRequests, 0, describeFailures(r));
    assert.deepEqual(await proxy.workerPids(), before);
    assert.doesNotMatch(proxy.output(), /exited/);
    await until('DroppedLogs counted', async () => (await droppedLogs(proxy)) > 0);
    assertOncePerWorker(proxy.output(), /log target stdout: .*EPIPE/, before);
    const reload = await proxy.ctl('reload');
    assert.match(reload.output, /reload succeeded/);
    const again = await load(`http://127.0.0.1:${port}/`, { requests: 200, concurrency: 5 });
    assert.equal(again.failedRequests, 0, describeFailures(again));
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('log stdout into a pipe nobody reads: requests unaffected, queue bounded (lines dropped, one alert per worker), then one recovery notice each once it is read again', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  // ~2 KB lines: the 1 MiB queue of each worker holds ~500, so 3000 requests must overflow it.
  const format = `    log-format "%ci:%cp %ST ${'x'.repeat(2000)}"\n`;
  // `len 4096`: lines are cut at HAProxy's default 1024 otherwise.
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, extraGlobal: '    log stdout len 4096 local0', extraFrontend: LOGGED + format }), ['--workers', '2'], { stdout: 'pipe' });
  try {
    const stdout = proxy.child.stdout;
    assert.ok(stdout !== null);
    stdout.pause();
    const before = await proxy.workerPids();
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 3000, concurrency: 10, rate: 1000, timeoutMs: 5000 });
    assert.equal(r.failedRequests, 0, describeFailures(r));
    assert.deepEqual(await proxy.workerPids(), before);
    // Bounded: each worker holds at most 1 MiB queued plus what the socket buffers (~500 + ~100
    // lines of 2 KB here); the rest of the 3000 lines is dropped, not kept in memory.
    await until('DroppedLogs counted', async () => (await droppedLogs(proxy)) >= 1000);
    assertOncePerWorker(proxy.output(), /log target stdout: .*blocked/, before);
    stdout.resume();
    await load(`http://127.0.0.1:${port}/`, { requests: 20, concurrency: 2 });
    await until('a recovery notice from every worker', () => reportsByPid(proxy.output(), /log target stdout: writing again/).size === before.length);
    assertOncePerWorker(proxy.output(), /log target stdout: writing again/, before);
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('UDP syslog target nothing listens on (ECONNREFUSED): every request answered, one alert per worker, recovery once a receiver appears', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const syslogPort = await freePort();
  const proxy = await startHandoff(dir, seedLikeConfig({ port, backends: backends.ports, extraGlobal: `    log 127.0.0.1:${syslogPort} local0`, extraFrontend: LOGGED }), ['--workers', '2']);
  const receiver = dgram.createSocket('udp4');
  try {
    const before = await proxy.workerPids();
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 2000, concurrency: 10, rate: 1000, timeoutMs: 5000 });
    assert.equal(r.failedRequests, 0, describeFailures(r));
    assert.deepEqual(await proxy.workerPids(), before);
    await until('DroppedLogs counted', async () => (await droppedLogs(proxy)) > 0);
    assertOncePerWorker(proxy.output(), new RegExp(`log target 127\\.0\\.0\\.1:${syslogPort}: .*ECONNREFUSED`), before);
    let received = 0;
    receiver.on('message', () => received++);
    await new Promise<void>((res) => receiver.bind(syslogPort, '127.0.0.1', res));
    // Recovery is declared after a second without errors: keep a trickle of requests going.
    await until('a recovery notice from every worker', async () => {
      await load(`http://127.0.0.1:${port}/`, { requests: 10, concurrency: 2 });
      return reportsByPid(proxy.output(), new RegExp(`log target 127\\.0\\.0\\.1:${syslogPort}: sending again`)).size === before.length;
    }, 15_000);
    assertOncePerWorker(proxy.output(), new RegExp(`log target 127\\.0\\.0\\.1:${syslogPort}: sending again`), before);
    assert.ok(received > 0);
  } finally {
    receiver.close();
    await stopAll([proxy, backends]);
  }
});

test('master and workers with stdout and stderr on /dev/full keep serving and reloading', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const configFile = path.join(dir, 'handoff.cfg');
  fs.writeFileSync(configFile, seedLikeConfig({ port, backends: backends.ports, extraGlobal: '    log stderr local0', extraFrontend: LOGGED }));
  const socket = path.join(dir, 'master.sock');
  const pidFile = path.join(dir, 'handoff.pid');
  const full = fs.openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [BIN, 'run', '-f', configFile, '-S', socket, '-p', pidFile, '--workers', '2'], { stdio: ['ignore', full, full] });
  fs.closeSync(full);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await until('handoff ready (pid file)', () => fs.existsSync(pidFile) || child.exitCode !== null, 20_000);
    assert.equal(child.exitCode, null);
    const r = await load(`http://127.0.0.1:${port}/`, { requests: 1000, concurrency: 10, rate: 1000, timeoutMs: 5000 });
    assert.equal(r.failedRequests, 0, describeFailures(r));
    for (const kind of ['reload', 'reload full']) {
      const reload = await sendCommand(socket, kind, 30_000);
      assert.match(reload.output, /reload succeeded/, kind);
      const after = await load(`http://127.0.0.1:${port}/`, { requests: 500, concurrency: 10 });
      assert.equal(after.failedRequests, 0, describeFailures(after));
    }
    const info = await sendCommand(socket, 'show info', 5000);
    assert.match(info.output, /DroppedLogs: [1-9]/);
    assert.equal(child.exitCode, null);
  } finally {
    child.kill('SIGTERM');
    backends.kill();
    await Promise.all([exited, backends.exited]);
  }
});
