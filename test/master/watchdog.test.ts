import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWatchdog, silenceLimit, MIN_SILENCE_MS, DEFAULT_SILENCE_MS } from '../../src/master/watchdog.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watchdog on a fake clock that the test advances; ticks are real 5 ms timers. */
function rig(limit: number) {
  let clock = 0;
  const hung: string[] = [];
  const workers = ['a', 'b'];
  const dog = createWatchdog<string>({ workers: () => workers, limitMs: () => limit, onHung: (w) => hung.push(w), now: () => clock, tickMs: 5 });
  return { dog, hung, advance: (ms: number) => (clock += ms) };
}

test('a worker that keeps reporting is never declared hung; a silent one is, once', async () => {
  const { dog, hung, advance } = rig(100);
  try {
    for (let i = 0; i < 10; i++) {
      advance(15);
      dog.seen('a');
      await sleep(8);
    }
    assert.deepEqual(hung, ['b'], 'b said nothing for 150 ms with a 100 ms limit');
    await sleep(30);
    assert.deepEqual(hung, ['b'], 'reported once');
  } finally {
    dog.stop();
  }
});

test('after the master itself stalled, queued reports are not mistaken for silence', async () => {
  const { dog, hung, advance } = rig(100);
  try {
    dog.seen('a');
    dog.seen('b');
    await sleep(10);
    advance(5000); // one tick 5 s late: the master's event loop was blocked
    await sleep(10);
    assert.deepEqual(hung, []);
  } finally {
    dog.stop();
  }
});

test('the limit is the shortest timeout client, never under 2 s; 10 s without any', () => {
  const fe = (client: number) => ({ timeouts: { client, connect: 1000, server: 1000 } });
  assert.equal(silenceLimit([fe(30_000), fe(5_000)]), 5_000);
  assert.equal(silenceLimit([fe(500)]), MIN_SILENCE_MS);
  assert.equal(silenceLimit([fe(0)]), DEFAULT_SILENCE_MS);
  assert.equal(silenceLimit([]), DEFAULT_SILENCE_MS);
});
