import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStickTables } from '../../src/master/stick-tables.ts';
import type { StickTableDef } from '../../src/stick/types.ts';

const def = (over: Partial<StickTableDef> = {}): StickTableDef => ({
  name: 'fe', type: 'ip', len: 32, size: 100, expireMs: 1000, nopurge: false,
  store: [{ name: 'conn_cur' }, { name: 'http_req_rate', periodMs: 10_000 }], ...over,
});
const HTTP = { conn: true, sess: false, httpReq: true };

test('every worker counts on the one entry; a reload with the same key type keeps it', () => {
  let now = 0;
  const tables = createStickTables(() => now);
  tables.prepare([def()]);
  tables.track(1, 'fe', '::ffff:10.0.0.1', HTTP);
  const seen = tables.track(2, 'fe', '10.0.0.1', HTTP);
  assert.deepEqual(seen?.data, { conn_cur: 2, http_req_rate: 2 });
  now = 10;
  tables.prepare([def({ size: 200 })]);
  tables.keepOnly([def({ size: 200 })]);
  assert.equal(tables.track(1, 'fe', '10.0.0.1', HTTP)?.data.http_req_rate, 3);
  tables.prepare([def({ type: 'ipv6' })]);
  assert.equal(tables.get('fe')?.entries.size, 0, 'another key type starts empty');
  tables.keepOnly([]);
  assert.equal(tables.get('fe'), undefined);
});

test("a worker that dies holding trackers has them released", () => {
  const tables = createStickTables(() => 0);
  tables.prepare([def()]);
  tables.track(7, 'fe', '10.0.0.1', HTTP);
  tables.track(7, 'fe', '10.0.0.1', HTTP);
  tables.track(8, 'fe', '10.0.0.1', HTTP);
  tables.update(7, 'fe', '10.0.0.1', { release: true });
  tables.forget(7);
  const e = tables.get('fe')?.entries.get('10.0.0.1');
  assert.equal(e?.use, 1, "worker 8's tracker only");
  assert.equal(e?.values.conn_cur, 1);
});

test('an unknown table or a key the type cannot hold tracks nothing', () => {
  const tables = createStickTables(() => 0);
  tables.prepare([def()]);
  assert.equal(tables.track(1, 'nope', '10.0.0.1', HTTP), undefined);
  assert.equal(tables.track(1, 'fe', 'not-an-ip', HTTP), undefined);
});

test('a lookup reads an untracked key without counting (created only when asked); a stored server creates its entry', () => {
  const tables = createStickTables(() => 0);
  tables.prepare([def({ store: [{ name: 'server_id' }, { name: 'gpc0' }] })]);
  assert.deepEqual(tables.apply(1, [{ op: 'lookup', requestId: 1, table: 'fe', key: '10.0.0.1', create: false }]), [{ requestId: 1, used: 0, size: 100 }]);
  assert.deepEqual(tables.apply(1, [{ op: 'lookup', requestId: 2, table: 'nowhere', key: '10.0.0.1', create: true }]), [{ requestId: 2 }]);
  const [made] = tables.apply(1, [{ op: 'lookup', requestId: 3, table: 'fe', key: '10.0.0.1', create: true }]);
  assert.deepEqual(made?.entry?.data, { server_id: 0, gpc0: 0 });
  tables.apply(1, [{ op: 'update', table: 'fe', key: '10.0.0.2', update: { serverId: 2 } }]);
  const [stored] = tables.apply(1, [{ op: 'lookup', requestId: 4, table: 'fe', key: '10.0.0.2', create: false }]);
  assert.deepEqual([stored?.entry?.data.server_id, stored?.used], [2, 2]);
});
