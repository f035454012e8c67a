// Latency histograms HAProxy's exporter lacks: per backend the response (%Tr), connect (%Tc) and
// total (%Ta) times, per frontend the total time, in fixed buckets. Counted where the exchange
// ends (http-proxy.ts `finish`): a few integer increments into arrays allocated once per object.
// Reported to the master as deltas with the counters, like them, so a worker's death loses ~1 s.
import type { HistogramDeltas } from '../ipc/messages.ts';
import { LATENCY_BOUNDS_MS } from '../admin/prometheus-family.ts';

/** Which time a histogram holds: `rtime` %Tr, `ctime` %Tc, `ttime` %Ta (the names of HAProxy's averages). */
export type LatencyName = 'rtime' | 'ctime' | 'ttime';

export interface Histogram {
  /** Per bucket (not cumulative), the last one +Inf. */
  readonly counts: number[];
  sumMs: number;
  count: number;
}

export interface BackendLatency {
  readonly rtime: Histogram;
  readonly ctime: Histogram;
  readonly ttime: Histogram;
}

export interface FrontendLatency {
  readonly ttime: Histogram;
}

export interface LatencyRegistry {
  backend(name: string): BackendLatency;
  frontend(name: string): FrontendLatency;
  /** Deltas since the previous call, objects with no new observation left out. */
  take(): HistogramDeltas;
}

const newHistogram = (): Histogram => ({ counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), sumMs: 0, count: 0 });

/** Count one observation of `ms` (a negative time is one that never happened: not counted). */
export function observeLatency(h: Histogram, ms: number): void {
  if (ms < 0) return;
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > (LATENCY_BOUNDS_MS[i] as number)) i++;
  h.counts[i] = (h.counts[i] as number) + 1;
  h.sumMs += ms;
  h.count++;
}

interface Tracked {
  histograms: Record<string, Histogram>;
  reported: Record<string, Histogram>;
}

export function createLatencyRegistry(): LatencyRegistry {
  const objects = new Map<string, Tracked>();
  function make<T extends Partial<Record<LatencyName, Histogram>>>(key: string, names: readonly LatencyName[]): T {
    let t = objects.get(key);
    if (t === undefined) {
      t = { histograms: {}, reported: {} };
      for (const n of names) {
        t.histograms[n] = newHistogram();
        t.reported[n] = newHistogram();
      }
      objects.set(key, t);
    }
    return t.histograms as T;
  }
  return {
    backend: (name) => make<BackendLatency>(`be/${name}`, ['rtime', 'ctime', 'ttime']),
    frontend: (name) => make<FrontendLatency>(`fe/${name}`, ['ttime']),
    take() {
      const out: HistogramDeltas = {};
      for (const [key, t] of objects) {
        for (const [name, h] of Object.entries(t.histograms)) {
          const last = t.reported[name] as Histogram;
          if (h.count === last.count) continue;
          const buckets = h.counts.map((n, i) => n - (last.counts[i] as number));
          (out[key] ??= {})[name] = { buckets, sumMs: h.sumMs - last.sumMs, count: h.count - last.count };
          h.counts.forEach((n, i) => (last.counts[i] = n));
          last.sumMs = h.sumMs;
          last.count = h.count;
        }
      }
      return out;
    },
  };
}
