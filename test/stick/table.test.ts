import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTable, entryData, lookup, redefine, track, update } from '../../src/stick/table.ts';
import { tableKey } from '../../src/stick/keys.ts';
import type { StickTableDef } from '../../src/stick/types.ts';

const def = (over: Partial<StickTableDef> = {}): StickTableDef => ({
  name: 'fe', type: 'ip', len: 32, size: 3, expireMs: 1000, nopurge: false,
  store: [{ name: 'conn_cur' }, { name: 'http_req_cnt' }, { name: 'http_req_rate', periodMs: 10_000 }],
  ...over,
});
const HTTP = { conn: true, sess: false, httpReq: true };

test('a tracked request counts http_req and conn_cur until it is released', () => {
  const t = createTable(def());
  const e = track(t, '10.0.0.1', 0, HTTP);
  assert.ok(e);
  track(t, '10.0.0.1', 5, HTTP);
  assert.deepEqual(entryData(t, e, 5), { conn_cur: 2, http_req_cnt: 2, http_req_rate: 2 });
  assert.equal(e.use, 2);
  update(t, '10.0.0.1', 6, { release: true });
  update(t, '10.0.0.1', 6, { release: true });
  assert.equal(entryData(t, e, 6).conn_cur, 0);
  assert.equal(e.use, 0);
});

test('untracked entries expire; the least recently touched is evicted at size', () => {
  const t = createTable(def());
  for (const k of ['a', 'b', 'c']) {
    track(t, k, 0, HTTP);
    update(t, k, 0, { release: true });
  }
  track(t, 'a', 10, HTTP);
  update(t, 'a', 10, { release: true });
  track(t, 'd', 20, HTTP);
  assert.deepEqual([...t.entries.keys()], ['c', 'a', 'd'], "b, the least recently touched, made room");
  assert.equal(lookup(t, 'c', 1001), undefined, 'expired 1000 ms after its last touch');
  assert.ok(lookup(t, 'a', 1001));
});

test('a table full of tracked entries (or nopurge) stores no new key', () => {
  const t = createTable(def({ size: 1 }));
  assert.ok(track(t, 'a', 0, HTTP));
  assert.equal(track(t, 'b', 0, HTTP), undefined);
  const np = createTable(def({ size: 1, nopurge: true }));
  track(np, 'a', 0, { conn: false, sess: false, httpReq: true });
  assert.equal(track(np, 'b', 0, HTTP), undefined);
});

test('a reload keeps the entries of a table of the same key type', () => {
  const t = createTable(def());
  track(t, 'a', 0, HTTP);
  const next = redefine(t, def({ size: 10 }));
  assert.equal(next.entries.get('a')?.values.http_req_cnt, 1);
});

test('keys are stored as the table type stores them', () => {
  assert.equal(tableKey(def(), '::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(tableKey(def(), 'nope'), undefined);
  assert.equal(tableKey(def({ type: 'ipv6' }), '127.0.0.1'), '::ffff:127.0.0.1');
  assert.equal(tableKey(def({ type: 'integer' }), '007'), '7');
  assert.equal(tableKey(def({ type: 'string', len: 3 }), 'abcdef'), 'abc');
});
