import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPicker, type Candidate } from '../../src/balance/algorithms.ts';

function servers(spec: [string, number][]): Candidate[] {
  return spec.map(([name, weight]) => ({ name, weight, usable: true, backup: false, active: 0 }));
}

function tally(pick: () => Candidate | undefined, n: number): Record<string, number> {
  const t: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const s = pick();
    const k = s?.name ?? 'none';
    t[k] = (t[k] ?? 0) + 1;
  }
  return t;
}

test('roundrobin gives each server a share proportional to its weight', () => {
  const list = servers([['a', 3], ['b', 2], ['c', 1]]);
  const pick = createPicker('roundrobin', list);
  assert.deepEqual(tally(() => pick({ clientIp: '1.1.1.1' }), 600), { a: 300, b: 200, c: 100 });
});

test('roundrobin is smooth: weights 5,1,1 interleave instead of bursting', () => {
  const list = servers([['a', 5], ['b', 1], ['c', 1]]);
  const pick = createPicker('roundrobin', list);
  const seq = Array.from({ length: 7 }, () => pick({ clientIp: '' })?.name).join('');
  assert.equal(seq, 'aabacaa');
});

test('weight 0, down, drain and maint servers get no traffic', () => {
  const list = servers([['a', 1], ['b', 0], ['c', 1], ['d', 1]]);
  list[2]!.usable = false;
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random'] as const) {
    const pick = createPicker(algo, list);
    const t = tally(() => pick({ clientIp: `10.0.0.${Math.floor(Math.random() * 200)}` }), 200);
    assert.equal(t.b, undefined, algo);
    assert.equal(t.c, undefined, algo);
  }
});

test('every server down → no server (the proxy answers 503)', () => {
  const list = servers([['a', 1], ['b', 1]]);
  for (const s of list) s.usable = false;
  assert.equal(createPicker('roundrobin', list)({ clientIp: '' }), undefined);
});

test('backup servers are used only when no active server is usable', () => {
  const list = servers([['a', 1], ['bk', 1]]);
  (list[1] as { backup: boolean }).backup = true;
  const pick = createPicker('roundrobin', list);
  assert.deepEqual(tally(() => pick({ clientIp: '' }), 10), { a: 10 });
  list[0]!.usable = false;
  assert.deepEqual(tally(() => pick({ clientIp: '' }), 10), { bk: 10 });
});

test('static-rr serves weight consecutive turns per server', () => {
  const pick = createPicker('static-rr', servers([['a', 2], ['b', 1]]));
  assert.equal(Array.from({ length: 6 }, () => pick({ clientIp: '' })?.name).join(''), 'aabaab');
});

test('leastconn picks the server with the fewest in-flight requests', () => {
  const list = servers([['a', 1], ['b', 1], ['c', 1]]);
  list[0]!.active = 5;
  list[1]!.active = 1;
  list[2]!.active = 3;
  assert.equal(createPicker('leastconn', list)({ clientIp: '' })?.name, 'b');
});

test('leastconn rotates among equally loaded servers', () => {
  const pick = createPicker('leastconn', servers([['a', 1], ['b', 1], ['c', 1]]));
  assert.deepEqual(tally(() => pick({ clientIp: '' }), 300), { a: 100, b: 100, c: 100 });
});

test('source sends one client to one server, and different clients spread', () => {
  const pick = createPicker('source', servers([['a', 1], ['b', 1], ['c', 1]]));
  const first = pick({ clientIp: '192.0.2.7' });
  for (let i = 0; i < 20; i++) assert.equal(pick({ clientIp: '192.0.2.7' }), first);
  const spread = tally(() => pick({ clientIp: `198.51.100.${Math.floor(Math.random() * 250)}` }), 300);
  assert.equal(Object.keys(spread).length, 3);
});

test('first fills the first server up to its maxconn before using the next', () => {
  const list: Candidate[] = [
    { name: 'a', weight: 1, usable: true, backup: false, active: 0, maxconn: 2 },
    { name: 'b', weight: 1, usable: true, backup: false, active: 0, maxconn: 2 },
  ];
  const pick = createPicker('first', list);
  assert.equal(pick({ clientIp: '' })?.name, 'a');
  list[0]!.active = 2;
  assert.equal(pick({ clientIp: '' })?.name, 'b');
});

test('random is weighted', () => {
  const pick = createPicker('random', servers([['a', 9], ['b', 1]]));
  const t = tally(() => pick({ clientIp: '' }), 2000);
  assert.ok((t.a ?? 0) > 1600 && (t.b ?? 0) > 100, JSON.stringify(t));
});

test('an excluded (already failed) server is skipped for redispatch', () => {
  const list = servers([['a', 1], ['b', 1]]);
  const pick = createPicker('roundrobin', list);
  const exclude = new Set([list[0]!]);
  for (let i = 0; i < 5; i++) assert.equal(pick({ clientIp: '', exclude })?.name, 'b');
});

test('a server at its maxconn is skipped while another has a free slot; all full → still one is chosen (its queue)', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'random', 'first'] as const) {
    const list: Candidate[] = [
      { name: 'a', weight: 1, usable: true, backup: false, active: 2, maxconn: 2 },
      { name: 'b', weight: 1, usable: true, backup: false, active: 5, maxconn: 10 },
    ];
    const pick = createPicker(algo, list);
    assert.deepEqual(tally(() => pick({ clientIp: '1.1.1.1' }), 20), { b: 20 }, algo);
    list[1]!.active = 10;
    const all = tally(() => pick({ clientIp: '1.1.1.1' }), 20);
    assert.equal(all.none, undefined, `${algo}: someone is chosen when all are full`);
  }
});

test('all full: a server whose queue holds maxqueue is skipped while another has room (HAProxy redispatches); all queues full → still one', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'random', 'first'] as const) {
    const list: Candidate[] = [
      { name: 'a', weight: 1, usable: true, backup: false, active: 2, maxconn: 2, queued: 3, maxqueue: 3 },
      { name: 'b', weight: 1, usable: true, backup: false, active: 2, maxconn: 2, queued: 1, maxqueue: 3 },
    ];
    const pick = createPicker(algo, list);
    assert.deepEqual(tally(() => pick({ clientIp: '1.1.1.1' }), 20), { b: 20 }, algo);
    (list[1] as { queued: number }).queued = 3;
    assert.equal(tally(() => pick({ clientIp: '1.1.1.1' }), 20).none, undefined, `${algo}: someone is chosen when every queue is full`);
  }
});

test('source hashing keeps a client on its server even when that server is full', () => {
  const list: Candidate[] = [
    { name: 'a', weight: 1, usable: true, backup: false, active: 0, maxconn: 1 },
    { name: 'b', weight: 1, usable: true, backup: false, active: 0, maxconn: 1 },
  ];
  const pick = createPicker('source', list);
  const first = pick({ clientIp: '10.1.2.3' });
  (first as Candidate).active = 1;
  assert.equal(pick({ clientIp: '10.1.2.3' }), first);
});
