import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHealthChecker, type HealthEntry } from '../../src/health/checker.ts';
import { makeBackend, makeConfig, makeServer } from '../helpers/worker-harness.ts';
import type { OnError } from '../../src/config/model.ts';
import { fakeHttp } from './fake-servers.ts';
import { freePort } from '../helpers/proxy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listener(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, connections: () => n, close: () => void server.close() };
}

/** One checked server (inter 10 s, fall 3), first check passed; returns the checker and its DOWN events. */
async function checked(onError: OnError, extra: { fastinter?: number } = {}) {
  const l = await listener();
  const be = makeBackend('app', []);
  be.servers.push(makeServer('app', 's1', l.port, { check: true, inter: 10_000, fall: 3, onError, ...extra }));
  const changes: HealthEntry[] = [];
  const checker = createHealthChecker((_id, e) => changes.push({ ...e }));
  checker.apply(makeConfig([], [be]));
  while (l.connections() < 1) await sleep(10);
  await sleep(20);
  return { checker, changes, l, stop: () => (checker.stop(), l.close()) };
}

test('on-error mark-down: the first report marks the server down, with the passive-health reason', async () => {
  const c = await checked('mark-down');
  try {
    assert.equal(c.checker.observedErrors('app/s1', 'detected 10 consecutive errors, last one was: L4 unsuccessful connection'), true);
    assert.equal(c.changes.length, 1);
    assert.equal(c.changes[0]!.up, false);
    assert.match(c.changes[0]!.lastCheck, /^Health analyze: detected 10 consecutive errors/);
    assert.equal(c.checker.observedErrors('app/unknown', 'x'), false, 'a server without check is not the checker\'s');
  } finally {
    c.stop();
  }
});

test('on-error fail-check counts one failed check (fall 3 reports), sudden-death leaves one more (2 reports)', async () => {
  const fail = await checked('fail-check');
  const sudden = await checked('sudden-death');
  try {
    for (let i = 1; i <= 3; i++) {
      fail.checker.observedErrors('app/s1', 'e');
      assert.equal(fail.changes.length, i === 3 ? 1 : 0, `fail-check report ${i}`);
    }
    sudden.checker.observedErrors('app/s1', 'e');
    assert.equal(sudden.changes.length, 0, 'pre-fatal: still up');
    assert.equal(sudden.checker.states().get('app/s1')?.up, true);
    sudden.checker.observedErrors('app/s1', 'e');
    assert.equal(sudden.changes.length, 1);
    assert.equal(sudden.changes[0]!.up, false);
  } finally {
    fail.stop();
    sudden.stop();
  }
});

test('on-error fastinter brings the next check forward to fastinter and changes no state', async () => {
  const c = await checked('fastinter', { fastinter: 50 });
  try {
    const before = c.l.connections();
    c.checker.observedErrors('app/s1', 'e');
    assert.equal(c.changes.length, 0);
    await sleep(400);
    assert.ok(c.l.connections() > before, 'a check ran within fastinter instead of inter 10 s');
  } finally {
    c.stop();
  }
});

test('disable-on-404: an UP server answering 404 goes to NOLB (still up), and back to UP on the next 2xx; a check result carries HAProxy\'s status', async () => {
  let answer = '200 OK';
  const srv = await fakeHttp(() => `HTTP/1.1 ${answer}\r\nContent-Length: 0\r\n\r\n`);
  const be = makeBackend('app', []);
  be.healthCheck = {
    kind: 'http',
    rules: [{ action: 'connect', implicit: true }, { action: 'http-send', method: 'GET', uri: '/', version: 'HTTP/1.0', headers: [], body: '' }, { action: 'expect', match: { type: 'status', ranges: [[200, 399]] }, negate: false, minRecv: -1 }],
    disableOn404: true,
  };
  be.servers.push(makeServer('app', 's1', srv.port, { check: true, inter: 30, rise: 1, fall: 2 }));
  const changes: HealthEntry[] = [];
  const checker = createHealthChecker((_id, e) => changes.push({ ...e }));
  try {
    checker.apply(makeConfig([], [be]));
    while (srv.connections() < 2) await sleep(10);
    assert.equal(changes.length, 0, 'UP from the start, nothing changed');
    assert.deepEqual([checker.states().get('app/s1')?.status, checker.states().get('app/s1')?.code], ['L7OK', 200]);
    answer = '404 Not Found';
    while (changes.length < 1) await sleep(10);
    assert.deepEqual([changes[0]!.up, changes[0]!.nolb, changes[0]!.status, changes[0]!.lastCheck], [true, true, 'L7OKC', 'Layer7 check conditionally passed, code: 404']);
    answer = '200 OK';
    while (changes.length < 2) await sleep(10);
    assert.deepEqual([changes[1]!.up, changes[1]!.nolb], [true, false]);
    answer = '503 Service Unavailable';
    while (changes.length < 3) await sleep(10);
    assert.deepEqual([changes[2]!.up, changes[2]!.nolb, changes[2]!.status, changes[2]!.code], [false, false, 'L7STS', 503]);
  } finally {
    checker.stop();
    await srv.close();
  }
});

test('downinter is used while fully down, fastinter while transitional', async () => {
  const closed = await freePort();
  const be = makeBackend('app', []);
  be.servers.push(makeServer('app', 's1', closed, { check: true, inter: 10_000, fastinter: 20, downinter: 10_000, fall: 3 }));
  const changes: HealthEntry[] = [];
  const checker = createHealthChecker((_id, e) => changes.push({ ...e }));
  try {
    const t0 = Date.now();
    checker.apply(makeConfig([], [be]));
    // Three failures 20 ms apart (fastinter, not inter 10 s) mark it down.
    while (changes.length < 1) await sleep(10);
    assert.ok(Date.now() - t0 < 2000, `DOWN after ${Date.now() - t0} ms`);
    assert.equal(changes[0]!.status, 'L4CON');
    const failures = checker.states().get('app/s1')!.failures;
    await sleep(200);
    assert.equal(checker.states().get('app/s1')!.failures, failures, 'fully down: the next check is downinter (10 s) away');
  } finally {
    checker.stop();
  }
});
