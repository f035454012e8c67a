// The seed's haproxytest.sh: fire the reload mechanism every interval, without waiting for it,
// until the load ends. Records when each reload was requested.

export interface ReloadDriverOptions {
  intervalMs: number;
  /** The mechanism. Not awaited by the schedule; its promise is awaited (bounded) by stop(). */
  fire: () => Promise<unknown> | void;
  /** Upper bound on reloads, whatever the load's length. */
  maxReloads?: number;
  /** Delay before the first reload; default one interval. */
  firstDelayMs?: number;
}

export interface ReloadDriver {
  /** Stop firing; wait up to `settleMs` for mechanisms still in flight. Returns request instants (Date.now()). */
  stop(settleMs?: number): Promise<number[]>;
  /** Errors thrown or rejected by `fire`, as messages (the schedule goes on). */
  errors: string[];
}

export function startReloadDriver(opts: ReloadDriverOptions): ReloadDriver {
  const requested: number[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const errors: string[] = [];
  const max = opts.maxReloads ?? 100_000;
  const start = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = (k: number): void => {
    if (stopped || requested.length >= max) return;
    requested.push(Date.now());
    try {
      const r = opts.fire();
      if (r !== undefined) {
        const p = Promise.resolve(r).catch((err: unknown) => void errors.push(err instanceof Error ? err.message : String(err)));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
    schedule(k + 1);
  };
  // Aim at start + first + k × interval so a slow fire() does not stretch the schedule.
  const schedule = (k: number): void => {
    const due = start + (opts.firstDelayMs ?? opts.intervalMs) + k * opts.intervalMs;
    timer = setTimeout(() => tick(k), Math.max(0, due - Date.now()));
  };
  schedule(0);

  return {
    errors,
    async stop(settleMs = 15_000): Promise<number[]> {
      stopped = true;
      clearTimeout(timer);
      if (inFlight.size > 0) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(inFlight), new Promise((r) => (t = setTimeout(r, settleMs)))]);
        clearTimeout(t);
      }
      return requested;
    },
  };
}

/**
 * Wrap a mechanism that must not overlap itself (restart, rebind): a call while one runs marks
 * one more run as pending, and calls while pending coalesce into it (latest wins, like a master's
 * reload queue). Returns the promise of the run that will cover this request.
 */
export function coalescing(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let pending: Promise<void> | null = null;
  const launch = (): Promise<void> => {
    running = run().finally(() => {
      running = null;
    });
    return running;
  };
  return () => {
    if (running === null) return launch();
    if (pending === null) {
      pending = running.catch(() => undefined).then(() => {
        pending = null;
        return launch();
      });
    }
    return pending;
  };
}
