import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hysteresis, shareOf } from '../../src/worker/accept-limit.ts';

test('the workers\' shares of a maxconn add up to exactly the limit, floor or ceil each', () => {
  for (const total of [1, 2, 3, 7, 100, 101, 1000, 4097]) {
    for (const workers of [1, 2, 3, 4, 8]) {
      const shares = Array.from({ length: workers }, (_, i) => shareOf(total, i, workers));
      assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total} over ${workers}`);
      for (const s of shares) assert.ok(s === Math.floor(total / workers) || s === Math.ceil(total / workers));
    }
  }
  assert.equal(shareOf(undefined, 0, 2), Infinity);
});

test('a paused worker resumes a little below its share, never at or above it', () => {
  assert.equal(hysteresis(Infinity), 0);
  for (const share of [1, 2, 10, 50, 500, 5000]) {
    const h = hysteresis(share);
    assert.ok(h >= 1 && h <= 32 && h <= share, `share ${share}: ${h}`);
  }
});
