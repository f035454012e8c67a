// Reload requests that arrive while one is in progress coalesce: they all wait for one more
// reload, started when the current one ends, which reads the latest configuration (latest wins).

export type ReloadOutcome =
  | { ok: true; generation: number; tookMs: number; warnings: string[] }
  | { ok: false; message: string; tookMs: number };

export interface ReloadQueue {
  request(): Promise<ReloadOutcome>;
  /** True while a reload runs. */
  busy(): boolean;
  /** Requests made so far, and reloads actually performed (≤ requests). */
  counts(): { requested: number; performed: number };
}

export function createReloadQueue(perform: () => Promise<ReloadOutcome>): ReloadQueue {
  let running: Promise<ReloadOutcome> | null = null;
  let pending: Promise<ReloadOutcome> | null = null;
  let requested = 0;
  let performed = 0;

  const run = (): Promise<ReloadOutcome> => {
    performed++;
    const p = perform().finally(() => {
      running = null;
    });
    running = p;
    return p;
  };

  return {
    request() {
      requested++;
      if (running === null) return run();
      if (pending === null) {
        pending = running.then(
          () => {
            pending = null;
            return run();
          },
          () => {
            pending = null;
            return run();
          },
        );
      }
      return pending;
    },
    busy: () => running !== null,
    counts: () => ({ requested, performed }),
  };
}
