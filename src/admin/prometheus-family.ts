// A metric family as the exporter's renderers build it (plain data), before prom-client writes
// the exposition text (prometheus.ts).
/** Upper bounds of the latency histograms' buckets, in ms (`le` in seconds is this / 1000); +Inf follows. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export type Labels = Record<string, string>;

export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels: Labels; value: number }[];
}

/** A histogram's series: counts per bucket *cumulative*, `le` bounds in seconds (+Inf implied last). */
export interface HistogramSeries {
  labels: Labels;
  cumulative: number[];
  sum: number;
  count: number;
}

export interface HistogramFamily {
  name: string;
  help: string;
  type: 'histogram';
  boundsSeconds: number[];
  series: HistogramSeries[];
}

export type AnyFamily = Family | HistogramFamily;
