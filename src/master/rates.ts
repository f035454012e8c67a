// HAProxy's per-second rates (`rate`, `req_rate`, `conn_rate`): the events counted in the last
// second, and the highest such count seen. Events reach the master with the workers' reports
// (every second, and at once when `show stat` asks), so a rate is exact to a report's batching.
const WINDOW_MS = 1000;

export interface Rates {
  add(obj: string, name: string, n: number): void;
  /** Undefined when nothing was ever counted for this object and rate. */
  read(obj: string, name: string): { now: number; max: number } | undefined;
  clearMaxima(): void;
}

interface Series {
  events: { at: number; n: number }[];
  max: number;
}

export function createRates(now: () => number): Rates {
  const series = new Map<string, Series>();
  const current = (s: Series, t: number): number => {
    while (s.events.length > 0 && (s.events[0] as { at: number }).at <= t - WINDOW_MS) s.events.shift();
    return s.events.reduce((sum, e) => sum + e.n, 0);
  };
  return {
    add(obj, name, n) {
      const key = `${obj}\0${name}`;
      let s = series.get(key);
      if (s === undefined) series.set(key, (s = { events: [], max: 0 }));
      const t = now();
      s.events.push({ at: t, n });
      s.max = Math.max(s.max, current(s, t));
    },
    read(obj, name) {
      const s = series.get(`${obj}\0${name}`);
      if (s === undefined) return undefined;
      const r = current(s, now());
      s.max = Math.max(s.max, r);
      return { now: r, max: s.max };
    },
    clearMaxima() {
      for (const s of series.values()) s.max = 0;
    },
  };
}
