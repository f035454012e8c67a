// Reload requests that arrive while one is in progress coalesce: they all wait for one more
// reload, started when the current one ends, which reads the latest configuration (latest wins).

export type ReloadMode = 'start' | 'in-place' | 'new-processes';

export type ReloadOutcome =
  | { ok: true; generation: number; tookMs: number; warnings: string[]; mode: ReloadMode }
  /** `mode`: the path that failed; absent when the reload was refused before one was chosen. */
  | { ok: false; message: string; tookMs: number; mode?: ReloadMode };

export interface ReloadQueue {
  /** `full`: this reload must start new worker processes; a coalesced batch is full if any asked. */
  request(full?: boolean): Promise<ReloadOutcome>;
  /** True while a reload runs. */
  busy(): boolean;
  /** Requests made so far, and reloads actually performed (≤ requests). */
  counts(): { requested: number; performed: number };
}

export function createReloadQueue(perform: (full: boolean) => Promise<ReloadOutcome>): ReloadQueue {
  let running: Promise<ReloadOutcome> | null = null;
  let pending: Promise<ReloadOutcome> | null = null;
  let pendingFull = false;
  let requested = 0;
  let performed = 0;

  const run = (full: boolean): Promise<ReloadOutcome> => {
    performed++;
    const p = perform(full).finally(() => {
      running = null;
    });
    running = p;
    return p;
  };

  return {
    request(full = false) {
      requested++;
      if (running === null) return run(full);
      pendingFull ||= full;
      if (pending === null) {
        const next = () => {
          pending = null;
          const f = pendingFull;
          pendingFull = false;
          return run(f);
        };
        pending = running.then(next, next);
      }
      return pending;
    },
    busy: () => running !== null,
    counts: () => ({ requested, performed }),
  };
}
