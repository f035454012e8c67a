// A coarse clock and one timer for every client connection's deadline. Re-arming a deadline is an
// assignment (no timer per socket re-armed on every read and write, as socket.setTimeout does);
// one interval checks the connections that have a deadline, every `tickMs`.

/** Something with a deadline (epoch ms, 0: none); `expire` runs once it has passed. */
export interface Timed {
  deadline: number;
  expire(): void;
}

export interface Clock {
  /** Epoch ms, at most one tick old while anything is watched. */
  now(): number;
  watch(t: Timed): void;
  unwatch(t: Timed): void;
}

export function createClock(tickMs = 100): Clock {
  const watched = new Set<Timed>();
  let timer: NodeJS.Timeout | undefined;
  let coarse = Date.now();
  const tick = (): void => {
    coarse = Date.now();
    for (const t of watched) {
      if (t.deadline !== 0 && t.deadline <= coarse) {
        t.deadline = 0;
        t.expire();
      }
    }
  };
  return {
    now: () => (timer === undefined ? (coarse = Date.now()) : coarse),
    watch(t) {
      watched.add(t);
      if (timer !== undefined) return;
      coarse = Date.now();
      timer = setInterval(tick, tickMs);
      timer.unref();
    },
    unwatch(t) {
      watched.delete(t);
      if (watched.size > 0 || timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
    },
  };
}
