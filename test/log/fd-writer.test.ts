// The bounded log writer (src/log/fd-writer.ts) and the UDP target (src/log/udp-target.ts):
// never block, never throw, bounded queue, one report per failure and one per recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLineWriter, openTarget, type FdOps, type WriteTarget } from '../../src/log/fd-writer.ts';
import { createUdpTarget } from '../../src/log/udp-target.ts';

type Report = { level: 'alert' | 'notice'; message: string };

const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A FIFO with a nonblocking read end we control, and a write end opened as openTarget does. */
function fifo(): { readFd: number; target: WriteTarget; read(): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-fifo-'));
  const file = path.join(dir, 'p');
  assert.equal(spawnSync('mkfifo', [file]).status, 0);
  const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  return {
    readFd,
    target: { fd: writeFd, nonblocking: true, regularFile: false, ownsFd: true, atomicChunk: 4096 },
    read() {
      const buf = Buffer.alloc(65536);
      let out = '';
      for (;;) {
        try {
          const n = fs.readSync(readFd, buf);
          if (n === 0) return out;
          out += buf.toString('utf8', 0, n);
        } catch {
          return out;
        }
      }
    },
    cleanup() {
      try {
        fs.closeSync(readFd);
      } catch {
        /* closed by the test */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a pipe nobody reads: writes return at once, the queue stays under its bound, excess lines are dropped and counted, one alert; reading again gives one notice and the queued lines intact', async () => {
  const p = fifo();
  const reports: Report[] = [];
  let counted = 0;
  const w = createLineWriter({ name: 'stdout', target: p.target, maxQueuedBytes: 64 * 1024, report: (level, message) => reports.push({ level, message }), onDrop: (n) => (counted += n) });
  try {
    const line = 'x'.repeat(99) + '\n';
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) {
      w.write(line);
      if (i % 100 === 0) await tick();
    }
    assert.ok(performance.now() - t0 < 2000);
    assert.ok(w.queuedBytes <= 64 * 1024, `queued ${w.queuedBytes}`);
    assert.ok(w.dropped > 0);
    assert.equal(counted, w.dropped);
    assert.deepEqual(reports.map((r) => r.level), ['alert']);
    assert.match(reports[0]!.message, /^log target stdout: blocked \(\d+ bytes queued/);
    let got = '';
    await until('the queue drains', () => {
      got += p.read();
      return w.queuedBytes === 0;
    });
    await sleep(20);
    got += p.read();
    assert.equal(got.length, (5000 - w.dropped) * line.length);
    assert.ok(got.split('\n').slice(0, -1).every((l) => l === line.slice(0, -1)), 'lines are whole');
    assert.deepEqual(reports.map((r) => r.level), ['alert', 'notice']);
    assert.match(reports[1]!.message, new RegExp(`^log target stdout: writing again \\(${w.dropped} line\\(s\\) dropped meanwhile\\)`));
  } finally {
    w.close();
    p.cleanup();
  }
});

test('a pipe whose reader closed: EPIPE is reported once, every line after it is dropped and counted, nothing throws', async () => {
  const p = fifo();
  fs.closeSync(p.readFd);
  const reports: Report[] = [];
  const w = createLineWriter({ name: 'stdout', target: p.target, report: (level, message) => reports.push({ level, message }), retryAfterMs: 20 });
  try {
    for (let i = 0; i < 200; i++) {
      w.write(`line ${i}\n`);
      if (i % 10 === 0) await sleep(2);
    }
    await sleep(30);
    assert.equal(w.dropped, 200);
    assert.deepEqual(reports.map((r) => r.level), ['alert']);
    assert.match(reports[0]!.message, /^log target stdout: cannot write \(EPIPE: broken pipe\); dropping log lines until it works again$/);
  } finally {
    w.close();
    p.cleanup();
  }
});

test('/dev/full is opened nonblocking; ENOSPC is reported once and lines are dropped', async () => {
  const fd = fs.openSync('/dev/full', 'w');
  const target = openTarget(fd);
  assert.equal(target.nonblocking, true);
  assert.notEqual(target.fd, fd);
  const reports: Report[] = [];
  const w = createLineWriter({ name: 'stdout', target, report: (level, message) => reports.push({ level, message }) });
  try {
    for (let i = 0; i < 100; i++) w.write('a line\n');
    await tick();
    await tick();
    assert.equal(w.dropped, 100);
    assert.deepEqual(reports.map((r) => r.level), ['alert']);
    assert.match(reports[0]!.message, /ENOSPC: no space left on device/);
  } finally {
    w.close();
    fs.closeSync(fd);
  }
});

test('a regular file keeps the inherited descriptor (async writes) and receives every line in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-fw-'));
  const file = path.join(dir, 'log');
  const fd = fs.openSync(file, 'w');
  const target = openTarget(fd);
  assert.deepEqual({ nonblocking: target.nonblocking, regularFile: target.regularFile, fd: target.fd }, { nonblocking: false, regularFile: true, fd });
  const w = createLineWriter({ name: 'stdout', target, report: () => assert.fail('no report expected') });
  try {
    for (let i = 0; i < 3000; i++) w.write(`line ${i}\n`);
    await w.flush(5000);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 3001);
    assert.ok(lines.slice(0, -1).every((l, i) => l === `line ${i}`));
  } finally {
    w.close();
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing target is probed after retryAfterMs; the first write that succeeds gives one notice with the drop count', async () => {
  let failing = true;
  const chunks: string[] = [];
  const ops: FdOps = {
    writeSync(_fd, buf) {
      if (failing) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      chunks.push(buf.toString());
      return buf.length;
    },
    write: () => assert.fail('async write on a nonblocking target'),
    close() {},
  };
  const reports: Report[] = [];
  const w = createLineWriter({ name: 'stderr', target: { fd: 99, nonblocking: true, regularFile: false, ownsFd: false, atomicChunk: 4096 }, ops, retryAfterMs: 30, report: (level, message) => reports.push({ level, message }) });
  for (let i = 0; i < 50; i++) w.write(`a ${i}\n`);
  await tick();
  assert.equal(w.dropped, 50);
  w.write('dropped while waiting\n');
  assert.equal(w.dropped, 51);
  failing = false;
  await sleep(40);
  w.write('probe\n');
  await tick();
  w.write('after\n');
  await tick();
  assert.deepEqual(chunks, ['probe\n', 'after\n']);
  assert.deepEqual(reports, [
    { level: 'alert', message: 'log target stderr: cannot write (ENOSPC: no space left on device); dropping log lines until it works again' },
    { level: 'notice', message: 'log target stderr: writing again (51 line(s) dropped meanwhile)' },
  ]);
});

test('lines logged in one turn are written together, in chunks of whole lines no larger than PIPE_BUF', async () => {
  const chunks: Buffer[] = [];
  const ops: FdOps = {
    writeSync: (_fd, buf) => (chunks.push(Buffer.from(buf)), buf.length),
    write: () => assert.fail('async write'),
    close() {},
  };
  const w = createLineWriter({ name: 'stdout', target: { fd: 99, nonblocking: true, regularFile: false, ownsFd: false, atomicChunk: 4096 }, ops, report: () => {} });
  for (let i = 0; i < 1000; i++) w.write(`${'y'.repeat(i % 50)}\n`);
  assert.equal(chunks.length, 0, 'nothing is written inside the turn that logs');
  await tick();
  assert.ok(chunks.length > 1 && chunks.length < 20, `${chunks.length} writes`);
  for (const c of chunks) {
    assert.ok(c.length <= 4096);
    assert.equal(c[c.length - 1], 0x0a);
  }
  assert.equal(Buffer.concat(chunks).toString().split('\n').length, 1001);
});

test('UDP target nothing listens on: ECONNREFUSED reported once, lines dropped; a receiver appearing gives one notice', async () => {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const reports: Report[] = [];
  const t = createUdpTarget({ host: '127.0.0.1', port, quietMs: 100, report: (level, message) => reports.push({ level, message }) });
  const receiver = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < 50; i++) {
      t.send(`<134>line ${i}`);
      await sleep(2);
    }
    await until('drops counted', () => t.dropped > 0);
    assert.deepEqual(reports.map((r) => r.level), ['alert']);
    assert.match(reports[0]!.message, new RegExp(`^log target 127\\.0\\.0\\.1:${port}: cannot send \\(ECONNREFUSED`));
    let got = 0;
    receiver.on('message', () => got++);
    await new Promise<void>((r) => receiver.bind(port, '127.0.0.1', r));
    await until('a notice', () => {
      t.send('<134>again');
      return reports.length === 2;
    });
    assert.equal(reports[1]!.level, 'notice');
    assert.match(reports[1]!.message, /sending again \(\d+ line\(s\) dropped meanwhile\)/);
    await until('datagrams received', () => got > 0);
  } finally {
    t.close();
    receiver.close();
  }
});
