import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newFreqCtr, readFreqCtr, updateFreqCtr } from '../../src/stick/freq-ctr.ts';

test('events of the current period are counted whole', () => {
  const c = newFreqCtr(0);
  for (let i = 0; i < 5; i++) updateFreqCtr(c, 100 * i, 1000);
  assert.equal(readFreqCtr(c, 900, 1000), 5);
});

test("the previous period's events weigh by the part of it still in the window", () => {
  const c = newFreqCtr(0);
  updateFreqCtr(c, 0, 1000, 100);
  assert.equal(readFreqCtr(c, 1000, 1000), 100, 'the whole previous period is in the window');
  assert.equal(readFreqCtr(c, 1250, 1000), 75);
  assert.equal(readFreqCtr(c, 1500, 1000), 50);
  updateFreqCtr(c, 1500, 1000, 10);
  assert.equal(readFreqCtr(c, 1500, 1000), 60);
  assert.equal(readFreqCtr(c, 2000, 1000), 10, 'the period of 1000..2000 is now the previous one');
});

test('after two idle periods the counter reads zero', () => {
  const c = newFreqCtr(0);
  updateFreqCtr(c, 10, 1000, 7);
  assert.equal(readFreqCtr(c, 2000, 1000), 0);
  updateFreqCtr(c, 2500, 1000);
  assert.equal(readFreqCtr(c, 2500, 1000), 1);
});
