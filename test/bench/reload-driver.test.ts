import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalescing, startReloadDriver } from '../../src/bench/reload-driver.ts';
import { bucketize, bucketSize } from '../../src/bench/timeline.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('driver fires every interval without waiting for the mechanism, and stops', async () => {
  let fired = 0;
  let finished = 0;
  const driver = startReloadDriver({
    intervalMs: 50,
    // a mechanism slower than the interval must not stretch the schedule
    fire: async () => {
      fired += 1;
      await sleep(120);
      finished += 1;
    },
  });
  await sleep(530);
  const at = await driver.stop(2000);
  assert.ok(at.length >= 8 && at.length <= 11, `fired ${at.length} times in 530 ms at 50 ms`);
  assert.equal(fired, at.length);
  assert.equal(finished, fired, 'stop() waits for mechanisms still in flight');
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(mean > 40 && mean < 65, `mean gap ${mean} ms`);
  await sleep(150);
  assert.equal(fired, at.length, 'nothing fires after stop()');
});

test('driver honours maxReloads and records mechanism errors without stopping', async () => {
  let n = 0;
  const driver = startReloadDriver({ intervalMs: 10, maxReloads: 3, fire: () => { n += 1; if (n === 2) throw new Error('boom'); } });
  await sleep(150);
  const at = await driver.stop();
  assert.equal(at.length, 3);
  assert.deepEqual(driver.errors, ['boom']);
});

test('coalescing: calls during a run fold into one more run', async () => {
  let runs = 0;
  const run = coalescing(async () => {
    runs += 1;
    await sleep(40);
  });
  const all = [run(), run(), run(), run()];
  await Promise.all(all);
  assert.equal(runs, 2);
  await run();
  assert.equal(runs, 3);
});

test('timeline buckets: p95 of successes by start time, failures by the time they were seen', () => {
  const b = bucketize(
    [
      { t: 10, latencyMs: 5, ok: true, status: 200 },
      { t: 20, latencyMs: 7, ok: true, status: 200 },
      { t: 50, latencyMs: 100, ok: false, failure: 'receive' },
      { t: 210, latencyMs: 1, ok: false, failure: 'connect_refused' },
    ],
    100,
  );
  assert.deepEqual(b, [
    { t: 0, ok: 2, failed: 0, p95: 7, max: 7 },
    { t: 100, ok: 0, failed: 1, p95: null, max: null },
    { t: 200, ok: 0, failed: 1, p95: null, max: null },
  ]);
  assert.equal(bucketSize(10_000), 100);
  assert.equal(bucketSize(100_000), 300);
});
