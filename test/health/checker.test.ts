import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHealthChecker, type HealthEntry } from '../../src/health/checker.ts';
import { makeBackend, makeConfig, makeServer } from '../helpers/worker-harness.ts';
import type { OnError } from '../../src/config/model.ts';

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
