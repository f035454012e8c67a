// Latency accumulators: exact count/min/max/mean/sd (Welford) plus an HDR histogram for the
// median and percentiles. Values are recorded in microseconds so sub-millisecond localhost
// latencies keep three significant digits; summaries are reported in milliseconds.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from './types.ts';

/** The rows of ApacheBench's "Percentage of the requests served within a certain time" table. */
export const PERCENTILES: readonly number[] = [50, 66, 75, 80, 90, 95, 98, 99, 100];

export interface LatencyAccumulator {
  histogram: hdr.Histogram;
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

export function createAccumulator(): LatencyAccumulator {
  return {
    // The pure-JS build measured ~50 ns per record, far below a request's cost; WebAssembly would
    // need an async init and buys nothing here.
    histogram: hdr.build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 3, useWebAssembly: false }),
    count: 0,
    mean: 0,
    m2: 0,
    min: Infinity,
    max: -Infinity,
  };
}

export function recordMs(acc: LatencyAccumulator, ms: number): void {
  const v = ms > 0 ? ms : 0;
  acc.histogram.recordValue(Math.round(v * 1000));
  acc.count++;
  const delta = v - acc.mean;
  acc.mean += delta / acc.count;
  acc.m2 += delta * (v - acc.mean);
  if (v < acc.min) acc.min = v;
  if (v > acc.max) acc.max = v;
}

export function emptySummary(): LatencySummary {
  const percentiles: Record<string, number> = {};
  for (const p of PERCENTILES) percentiles[String(p)] = 0;
  return { count: 0, min: 0, mean: 0, sd: 0, median: 0, max: 0, percentiles };
}

/** Summary in ms. sd is the sample standard deviation (n - 1), as ab computes it. */
export function summarize(acc: LatencyAccumulator): LatencySummary {
  if (acc.count === 0) return emptySummary();
  const percentiles: Record<string, number> = {};
  for (const p of PERCENTILES) {
    // 100% is the exact maximum, not the top of its histogram bucket.
    percentiles[String(p)] = p >= 100 ? acc.max : Math.min(acc.max, acc.histogram.getValueAtPercentile(p) / 1000);
  }
  return {
    count: acc.count,
    min: acc.min,
    mean: acc.mean,
    sd: acc.count > 1 ? Math.sqrt(acc.m2 / (acc.count - 1)) : 0,
    median: Math.min(acc.max, acc.histogram.getValueAtPercentile(50) / 1000),
    max: acc.max,
    percentiles,
  };
}
