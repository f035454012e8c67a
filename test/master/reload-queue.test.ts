import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReloadQueue, type ReloadOutcome } from '../../src/master/reload-queue.ts';

function controlled() {
  const runs: { resolve: (o: ReloadOutcome) => void; full: boolean }[] = [];
  let generation = 1;
  const queue = createReloadQueue(
    (full) =>
      new Promise<ReloadOutcome>((resolve) => {
        runs.push({ resolve, full });
      }),
  );
  const finish = (i: number) => runs[i]?.resolve({ ok: true, generation: ++generation, tookMs: 1, warnings: [], mode: 'in-place' });
  return { queue, runs, finish };
}

test('a reload request while idle runs at once', async () => {
  const { queue, runs, finish } = controlled();
  const p = queue.request();
  assert.equal(runs.length, 1);
  finish(0);
  assert.deepEqual(await p, { ok: true, generation: 2, tookMs: 1, warnings: [], mode: 'in-place' });
});

test('requests during a reload coalesce into one more reload, and all of them get its outcome', async () => {
  const { queue, runs, finish } = controlled();
  const first = queue.request();
  const second = queue.request();
  const third = queue.request();
  const fourth = queue.request();
  assert.equal(runs.length, 1, 'nothing else starts while a reload runs');
  finish(0);
  assert.equal((await first).ok, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(runs.length, 2, 'exactly one coalesced reload follows');
  finish(1);
  const outs = await Promise.all([second, third, fourth]);
  assert.ok(outs.every((o) => o.ok && o.generation === 3));
  assert.deepEqual(queue.counts(), { requested: 4, performed: 2 });
  assert.equal(queue.busy(), false);
});

test('a failed reload does not block the next one', async () => {
  const outcomes: ReloadOutcome[] = [
    { ok: false, message: 'bad config', tookMs: 1 },
    { ok: true, generation: 2, tookMs: 1, warnings: [], mode: 'in-place' },
  ];
  const queue = createReloadQueue(async () => outcomes.shift() ?? { ok: false, message: 'none', tookMs: 0 });
  assert.equal((await queue.request()).ok, false);
  assert.equal((await queue.request()).ok, true);
});

test('a coalesced batch starts new processes if any of its requests asked for it', async () => {
  const { queue, runs, finish } = controlled();
  const first = queue.request(false);
  const second = queue.request(false);
  const third = queue.request(true);
  finish(0);
  await first;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(runs.map((r) => r.full), [false, true]);
  finish(1);
  await Promise.all([second, third]);
});
