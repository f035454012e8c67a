import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotSet } from '../../src/worker/slot-set.ts';

interface Item {
  name: string;
  slot: number;
}
const item = (name: string): Item => ({ name, slot: -1 });

test('SlotSet: add, has, delete (the last member takes the freed place), values is a copy, clear', () => {
  const s = new SlotSet<Item, 'slot'>('slot');
  const [a, b, c] = [item('a'), item('b'), item('c')];
  s.add(a);
  s.add(b);
  s.add(c);
  s.add(b);
  assert.equal(s.size, 3, 'adding a member again changes nothing');
  assert.ok(s.delete(a));
  assert.equal(a.slot, -1);
  assert.equal(s.delete(a), false, 'not a member any more');
  assert.deepEqual(s.values().map((i) => i.name), ['c', 'b']);
  assert.ok(s.has(b) && s.has(c) && !s.has(a));
  for (const i of s.values()) s.delete(i);
  assert.equal(s.size, 0);
  s.add(a);
  s.add(b);
  assert.deepEqual(s.clear().map((i) => i.name), ['a', 'b']);
  assert.equal(s.size, 0);
  assert.ok(!s.has(a) && a.slot === -1 && b.slot === -1);
});

test('SlotSet: a member of another set with the same field is not taken for a member of this one', () => {
  const one = new SlotSet<Item, 'slot'>('slot');
  const two = new SlotSet<Item, 'slot'>('slot');
  const a = item('a');
  const b = item('b');
  one.add(a);
  two.add(b);
  assert.equal(one.has(b), false, 'b has slot 0 but is not a member of one');
  assert.equal(one.delete(b), false);
  assert.equal(one.size, 1);
});
