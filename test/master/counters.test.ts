// The master's counters with fake workers: a refresh asks every worker and waits for their
// answers (bounded), the store combines gauges as the stat table says (summed, highest kept),
// rates count the last second, and `clear counters [all]` clears what HAProxy clears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MasterToWorker } from '../../src/ipc/messages.ts';
import { createCounterRefresh } from '../../src/master/counters-refresh.ts';
import { createCounterStore } from '../../src/master/counters.ts';

function fakeWorker(pid: number, answer: (requestId: number) => void): { pid: number; sent: MasterToWorker[]; send(m: MasterToWorker): void } {
  const sent: MasterToWorker[] = [];
  return {
    pid,
    sent,
    send(m) {
      sent.push(m);
      if (m.type === 'counters-request') answer(m.requestId);
    },
  };
}

test('a refresh resolves once every worker answered, or after the timeout when one does not', async () => {
  let refresh: ReturnType<typeof createCounterRefresh>;
  const a = fakeWorker(1, (id) => setTimeout(() => refresh.answered(id, 1), 5));
  const b = fakeWorker(2, (id) => setTimeout(() => refresh.answered(id, 2), 10));
  refresh = createCounterRefresh(() => [a, b], 1000);
  const t0 = Date.now();
  await refresh.refresh();
  assert.ok(Date.now() - t0 < 500, 'did not wait for the timeout');
  assert.deepEqual(a.sent, [{ type: 'counters-request', requestId: 1 }]);
  const silent = fakeWorker(3, () => {});
  refresh = createCounterRefresh(() => [a, silent], 100);
  const t1 = Date.now();
  await refresh.refresh();
  assert.ok(Date.now() - t1 >= 95, 'waited for the silent worker until the timeout');
  await createCounterRefresh(() => [], 1000).refresh();
});

test('counters summed, scur summed over live workers, smax the highest ever, rates over the last second; clear counters and clear counters all', () => {
  let now = 10_000;
  const store = createCounterStore(() => now);
  store.add(1, { 'fe/f': { stot: 3, req_tot: 3 } }, { 'fe/f': { scur: 2, smax: 4 } });
  store.add(2, { 'fe/f': { stot: 2, req_tot: 2 } }, { 'fe/f': { scur: 1, smax: 3 } });
  let v = store.values('fe/f');
  assert.equal(v.stot, 5);
  assert.equal(v.scur, 3);
  assert.equal(v.smax, 4);
  assert.equal(v.rate, 5);
  assert.equal(v.req_rate, 5);
  now += 1500;
  store.forget(1);
  v = store.values('fe/f');
  assert.equal(v.scur, 1, 'a gone worker no longer counts in a gauge');
  assert.equal(v.smax, 4, 'a maximum outlives the worker');
  assert.equal(v.rate, 0, 'nothing in the last second');
  assert.equal(v.rate_max, 5);
  store.clear(false);
  v = store.values('fe/f');
  assert.equal(v.stot, 5);
  assert.equal(v.smax, undefined, 'maxima cleared (the workers report theirs afresh)');
  assert.equal(v.rate_max, 0);
  store.add(3, { proc: { dropped_logs: 2 } }, {});
  store.clear(true);
  assert.equal(store.values('fe/f').stot, undefined);
  assert.equal(store.droppedLogs(), 2, "DroppedLogs is show info's, not cleared");
});
