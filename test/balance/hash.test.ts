// Hash-based balancing: HAProxy's hash functions (values checked against a C build of the same
// functions), `hash-type map-based` (HAProxy's server map: the same key reaches the same server as in
// HAProxy 2.6) and `consistent` (removing a server moves only its own keys), `random(N)`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPicker, type Candidate, type PickerSpec } from '../../src/balance/algorithms.ts';
import { avalanche, hashAddress, hashKey } from '../../src/balance/hash.ts';
import type { HashType } from '../../src/config/model.ts';

function servers(spec: [string, number][]): Candidate[] {
  return spec.map(([name, weight]) => ({ name, weight, usable: true, backup: false, active: 0 }));
}

const MAP: HashType = { method: 'map-based', fn: 'sdbm', avalanche: false };
const CONSISTENT: HashType = { method: 'consistent', fn: 'sdbm', avalanche: true };
const keys = Array.from({ length: 3000 }, (_, i) => `/objects/${i}/item-${(i * 7919) % 1000}`);

function assign(spec: PickerSpec, list: Candidate[]): Map<string, string> {
  const pick = createPicker(spec, list);
  return new Map(keys.map((k) => [k, pick({ clientIp: '', hashKey: k })?.name ?? 'none']));
}

test('hash functions give the values of HAProxy 2.6 (sdbm, djb2, wt6, crc32, avalanche)', () => {
  const fn = (f: HashType['fn'], s: string): number => hashKey({ method: 'map-based', fn: f, avalanche: false }, s);
  // Reference values: the same functions compiled from C (gcc) on this machine.
  assert.deepEqual(['sdbm', 'djb2', 'wt6', 'crc32'].map((f) => fn(f as HashType['fn'], '/images/logo.png')), [713581038, 3368543325, 3116080871, 1552048426]);
  assert.deepEqual(['sdbm', 'djb2', 'wt6', 'crc32'].map((f) => fn(f as HashType['fn'], 'user42')), [956198665, 556066410, 2769745836, 2083503798]);
  assert.equal(fn('crc32', '123456789'), 0xcbf43926, 'the standard CRC-32 check value');
  assert.deepEqual([avalanche(1), avalanche(4096), avalanche(0x7f000001)], [3028713910, 163709067, 1243306059]);
  assert.equal(hashAddress(MAP, '127.0.0.1'), 0x7f000001, 'source: the IPv4 address as an integer, no hash function');
  assert.equal(hashAddress(MAP, '::ffff:127.0.0.1'), 0x7f000001, 'an IPv4-mapped address is the IPv4 one');
  assert.equal(hashAddress(MAP, '2001:db8::1'), (0x20010db8 ^ 1) >>> 0, 'IPv6: its four words XORed');
  assert.equal(hashAddress(MAP, 'unix'), undefined);
});

test('map-based: weights 1,2,1 lay out 64 slots in HAProxy order; url keys land as in HAProxy 2.6', () => {
  const list = servers([['s1', 1], ['s2', 2], ['s3', 1]]);
  const pick = createPicker({ balance: 'uri', hashType: MAP }, list);
  // Captured from haproxy 2.6.12, `balance uri` over the same three servers, GET /m/pageN?x=1.
  const haproxy = 's2 s2 s3 s1 s2 s2 s3 s1 s2 s3 s1 s2 s2 s3 s1 s2'.split(' ');
  const ours = haproxy.map((_, i) => pick({ clientIp: '', hashKey: `/m/page${i + 1}` })?.name);
  assert.deepEqual(ours, haproxy);
  const t = assign({ balance: 'uri', hashType: MAP }, list);
  const share = [...t.values()].filter((n) => n === 's2').length / keys.length;
  assert.ok(share > 0.42 && share < 0.58, `weight 2 of 4 takes about half the keys (took ${share})`);
});

test('consistent: a server going down moves only its own keys, and a server added takes about its share', () => {
  const list = servers([['a', 1], ['b', 1], ['c', 1], ['d', 1]]);
  const before = assign({ balance: 'uri', hashType: CONSISTENT }, list);
  for (const name of ['a', 'b', 'c', 'd']) {
    const n = [...before.values()].filter((v) => v === name).length / keys.length;
    assert.ok(n > 0.15 && n < 0.35, `server ${name} holds ${n} of the keys (expected about 1/4)`);
  }
  (list[2] as Candidate).usable = false;
  const down = assign({ balance: 'uri', hashType: CONSISTENT }, list);
  let moved = 0;
  for (const [k, was] of before) {
    if (was !== 'c') assert.equal(down.get(k), was, `key ${k} moved although its server stayed up`);
    else moved++;
  }
  assert.ok(moved > 0);
  // Map-based, by contrast, moves most keys when the server count changes.
  const mapList = servers([['a', 1], ['b', 1], ['c', 1], ['d', 1]]);
  const mapBefore = assign({ balance: 'uri', hashType: MAP }, mapList);
  (mapList[2] as Candidate).usable = false;
  const mapDown = assign({ balance: 'uri', hashType: MAP }, mapList);
  const mapMoved = [...mapBefore].filter(([k, v]) => v !== 'c' && mapDown.get(k) !== v).length / keys.length;
  assert.ok(mapMoved > 0.3, `map-based moved ${mapMoved} of the keys of servers that stayed up`);
  // Back up: every key returns to where it was.
  (list[2] as Candidate).usable = true;
  assert.deepEqual(assign({ balance: 'uri', hashType: CONSISTENT }, list), before);
  const five = [...list, ...servers([['e', 1]])];
  const grown = assign({ balance: 'uri', hashType: CONSISTENT }, five);
  const toE = [...grown].filter(([k, v]) => v === 'e' || v === before.get(k)).length;
  assert.equal(toE, keys.length, 'a key moves only to the new server');
});

test('same key, same server in two pickers built separately (two workers, or a reload)', () => {
  for (const hashType of [MAP, CONSISTENT]) {
    const one = assign({ balance: 'uri', hashType }, servers([['a', 1], ['b', 3], ['c', 1]]));
    const two = assign({ balance: 'uri', hashType }, servers([['a', 1], ['b', 3], ['c', 1]]));
    assert.deepEqual(one, two);
  }
  const src = (h: HashType): (string | undefined)[] => {
    const pick = createPicker({ balance: 'source', hashType: h }, servers([['a', 1], ['b', 1], ['c', 1]]));
    return ['10.0.0.1', '10.0.0.2', '192.0.2.77'].map((ip) => pick({ clientIp: ip })?.name);
  };
  assert.deepEqual(src(CONSISTENT), src(CONSISTENT));
});

test('no key (missing header, no parameter) falls back to round robin', () => {
  const pick = createPicker({ balance: 'hdr', balanceOptions: { header: 'x-user' }, hashType: MAP }, servers([['a', 1], ['b', 1]]));
  assert.deepEqual([1, 2, 3, 4].map(() => pick({ clientIp: '10.0.0.1' })?.name), ['a', 'b', 'a', 'b']);
});

test('random(N) takes the least loaded of N draws; random(1) is plain weighted random', () => {
  const list = servers([['busy', 1], ['idle', 1]]);
  (list[0] as Candidate).active = 50;
  const pick10 = createPicker({ balance: 'random', balanceOptions: { draws: 10 } }, list);
  let idle = 0;
  for (let i = 0; i < 200; i++) if (pick10({ clientIp: '' })?.name === 'idle') idle++;
  assert.ok(idle >= 195, `10 draws nearly always find the idle server (found it ${idle}/200)`);
  const pick1 = createPicker({ balance: 'random', balanceOptions: { draws: 1 } }, list);
  let idle1 = 0;
  for (let i = 0; i < 400; i++) if (pick1({ clientIp: '' })?.name === 'idle') idle1++;
  assert.ok(idle1 > 120 && idle1 < 280, `one draw ignores the load (idle ${idle1}/400)`);
});

test('hash-balance-factor: a busy first choice passes the key to the next server on the ring with room', () => {
  const list = servers([['a', 1], ['b', 1], ['c', 1]]);
  const plain = createPicker({ balance: 'uri', hashType: CONSISTENT }, list);
  const bounded = createPicker({ balance: 'uri', hashType: CONSISTENT, hashBalanceFactor: 150 }, list);
  const key = '/hot/object';
  const home = plain({ clientIp: '', hashKey: key }) as Candidate;
  assert.equal(bounded({ clientIp: '', hashKey: key }), home, 'idle servers: the key stays home');
  home.active = 10;
  for (const s of list) if (s !== home) s.active = 1;
  const moved = bounded({ clientIp: '', hashKey: key });
  assert.notEqual(moved, home, 'its home has more than 1.5 × the average in flight');
  assert.equal(plain({ clientIp: '', hashKey: key }), home, 'without the factor the key stays home whatever the load');
});
