// slowstart: a server back UP ramps its weight from 1 to full over the slowstart time (HAProxy's
// effective-weight ramp), for dynamic algorithms only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySlowstart, rampedWeight } from '../../src/worker/slowstart.ts';
import type { ServerRuntime } from '../../src/worker/runtime.ts';

function server(balance: string, slowstart: number | undefined): ServerRuntime {
  return { weight: 0, server: { slowstart }, backend: { backend: { balance, hashType: { method: 'map-based' } } } } as unknown as ServerRuntime;
}

test('the ramp rounds up, never goes below 1, and ends at the full weight', () => {
  assert.equal(rampedWeight(10, 0, 1000), 1);
  assert.equal(rampedWeight(10, 250, 1000), 3);
  assert.equal(rampedWeight(10, 999, 1000), 10);
  assert.equal(rampedWeight(10, 1000, 1000), 10);
  assert.equal(rampedWeight(0, 10, 1000), 0);
  assert.equal(rampedWeight(256, 500, 1000), 128);
});

test('a server just back UP starts low and reaches its weight; static algorithms and no slowstart do not ramp', async () => {
  const s = server('roundrobin', 400);
  applySlowstart(s, 100, Date.now());
  assert.ok(s.weight <= 5, `weight ${s.weight} right after coming up`);
  await new Promise((r) => setTimeout(r, 220));
  assert.ok(s.weight > 20 && s.weight < 100, `weight ${s.weight} half-way`);
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(s.weight, 100);
  for (const [balance, slow] of [['static-rr', 400], ['source', 400], ['roundrobin', undefined]] as const) {
    const t = server(balance, slow);
    applySlowstart(t, 50, Date.now());
    assert.equal(t.weight, 50, `${balance} slowstart=${String(slow)}`);
  }
  const never = server('leastconn', 400);
  applySlowstart(never, 7, undefined);
  assert.equal(never.weight, 7, 'a server that never went down is at full weight (no ramp at start)');
});
