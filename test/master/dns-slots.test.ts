// Which server-template slot each SRV record fills (src/master/dns-slots.ts), HAProxy 2.6's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSlots, errorStatus, srvWeight, type Slot, type SrvTarget } from '../../src/master/dns-slots.ts';

const rec = (target: string, port = 80, weight = 1, ip = '10.0.0.1'): SrvTarget => ({ target, port, weight, ip });
const slot = (r: SrvTarget, seen: number): Slot => ({ ...r, seen });
const targets = (m: Map<string, { slot: Slot | undefined }>): Record<string, string | undefined> => Object.fromEntries([...m].map(([id, v]) => [id, v.slot?.target]));

test('records fill free slots in order; extra records are left out', () => {
  const plan = assignSlots([{ id: 's1', slot: undefined }, { id: 's2', slot: undefined }], [rec('a'), rec('b'), rec('c')], 1000, 0);
  assert.deepEqual(targets(plan), { s1: 'a', s2: 'b' });
});

test('a record still answered keeps its slot (address and weight updated) whatever the answer order', () => {
  const current = [{ id: 's1', slot: slot(rec('a'), 0) }, { id: 's2', slot: slot(rec('b'), 0) }];
  const plan = assignSlots(current, [rec('b', 80, 5, '10.0.0.9'), rec('a')], 1000, 0);
  assert.deepEqual(targets(plan), { s1: 'a', s2: 'b' });
  assert.equal(plan.get('s2')?.slot?.ip, '10.0.0.9');
  assert.equal(plan.get('s2')?.slot?.weight, 5);
});

test('a removed record frees its slot; a new record goes to a slot free before the answer first', () => {
  const current = [{ id: 's1', slot: slot(rec('a'), 0) }, { id: 's2', slot: slot(rec('b'), 0) }, { id: 's3', slot: undefined }];
  const plan = assignSlots(current, [rec('a'), rec('c')], 1000, 0);
  assert.deepEqual(targets(plan), { s1: 'a', s2: undefined, s3: 'c' });
});

test('hold obsolete keeps a removed record in its slot for that long', () => {
  const current = [{ id: 's1', slot: slot(rec('a'), 1000) }];
  assert.equal(assignSlots(current, [], 5000, 10_000).get('s1')?.slot?.target, 'a');
  assert.equal(assignSlots(current, [], 12_000, 10_000).get('s1')?.slot, undefined);
});

test('the same target on another port is another record', () => {
  const plan = assignSlots([{ id: 's1', slot: slot(rec('a', 80), 0) }, { id: 's2', slot: undefined }], [rec('a', 81)], 1000, 0);
  assert.deepEqual(targets(plan), { s1: undefined, s2: 'a' });
});

test("SRV weights map as HAProxy 2.6's (w + 255) / 256, 0 staying 0", () => {
  assert.deepEqual([0, 1, 100, 256, 257, 600, 65535].map(srvWeight), [0, 1, 1, 1, 2, 3, 256]);
});

test('resolver errors map to the hold statuses', () => {
  assert.deepEqual(['ENOTFOUND', 'ETIMEOUT', 'EREFUSED', 'ESERVFAIL'].map((code) => errorStatus(Object.assign(new Error(code), { code }))), ['nx', 'timeout', 'refused', 'other']);
});
