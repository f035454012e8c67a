// Per-bucket summaries of a load's timeline: what the report plots, small enough to embed.
import type { TimelineEntry } from '../load/types.ts';
import type { TimeBucket } from './types.ts';

/** 100 ms buckets, widened so that a run never has more than `maxBuckets`. */
export function bucketSize(durationMs: number, maxBuckets = 400): number {
  const raw = Math.max(100, durationMs / maxBuckets);
  return Math.ceil(raw / 100) * 100;
}

export function bucketize(timeline: TimelineEntry[], bucketMs: number): TimeBucket[] {
  if (timeline.length === 0) return [];
  let end = 0;
  for (const e of timeline) end = Math.max(end, e.t + e.latencyMs);
  const n = Math.floor(end / bucketMs) + 1;
  const latencies: number[][] = Array.from({ length: n }, () => []);
  const failed = new Array<number>(n).fill(0);
  for (const e of timeline) {
    if (e.ok) latencies[Math.min(n - 1, Math.max(0, Math.floor(e.t / bucketMs)))]!.push(e.latencyMs);
    // A failure is plotted when it was seen, which is what lines up with a reload instant.
    else failed[Math.min(n - 1, Math.max(0, Math.floor((e.t + e.latencyMs) / bucketMs)))]! += 1;
  }
  return latencies.map((l, i) => {
    l.sort((a, b) => a - b);
    return {
      t: i * bucketMs,
      ok: l.length,
      failed: failed[i] ?? 0,
      p95: l.length === 0 ? null : round(l[Math.min(l.length - 1, Math.ceil(l.length * 0.95) - 1)]!),
      max: l.length === 0 ? null : round(l[l.length - 1]!),
    };
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
