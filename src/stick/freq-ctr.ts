// HAProxy's frequency counters (freq_ctr.h, "_rate(T)" stick-table data): events of the current
// period plus the previous period's weighted by the part of it still inside a sliding window of
// one period. Pure and clock-free: every call is given `now` in ms.

export interface FreqCtr {
  /** Start of the current period (ms). */
  tick: number;
  curr: number;
  prev: number;
}

export function newFreqCtr(now: number): FreqCtr {
  return { tick: now, curr: 0, prev: 0 };
}

/** Move the counter to the period holding `now`. */
function rotate(c: FreqCtr, now: number, period: number): void {
  const elapsed = now - c.tick;
  if (elapsed < period) return;
  c.prev = elapsed >= 2 * period ? 0 : c.curr;
  c.curr = 0;
  c.tick = now - (elapsed % period);
}

/** Count `n` events at `now`. */
export function updateFreqCtr(c: FreqCtr, now: number, period: number, n = 1): void {
  rotate(c, now, period);
  c.curr += n;
}

/** Events over the last `period` ms as HAProxy estimates them (read_freq_ctr_period). */
export function readFreqCtr(c: FreqCtr, now: number, period: number): number {
  let curr = c.curr;
  let prev = c.prev;
  let elapsed = now - c.tick;
  if (elapsed >= period) {
    if (elapsed >= 2 * period) return 0;
    prev = curr;
    curr = 0;
    elapsed -= period;
  }
  return curr + Math.floor((prev * (period - elapsed)) / period);
}
