// A worker that stops talking (SIGSTOP, a stuck event loop, swapped out) still holds its clients'
// connections, and nobody enforces their timeouts. Every worker reports its counters once a second;
// one silent for longer than its configuration's `timeout client` (at least 2 s, so a GC pause or
// a busy second is never mistaken for a hang) is killed, and the supervisor replaces it. Its
// clients then see their connection close within about `timeout client` instead of stalling.
import type { Frontend } from '../config/model.ts';

/** Workers report at least once a second (src/worker/main.ts); twice that is the shortest limit. */
export const MIN_SILENCE_MS = 2000;
/** For configurations without any `timeout client`. */
export const DEFAULT_SILENCE_MS = 10_000;
const TICK_MS = 250;

export interface Watchdog<W> {
  /** Any message from `w`: it is alive. */
  seen(w: W): void;
  forget(w: W): void;
  stop(): void;
}

/** The silence after which a worker serving these frontends counts as hung. */
export function silenceLimit(frontends: readonly Pick<Frontend, 'timeouts'>[]): number {
  const clients = frontends.map((f) => f.timeouts.client).filter((t) => t > 0);
  if (clients.length === 0) return DEFAULT_SILENCE_MS;
  return Math.max(MIN_SILENCE_MS, Math.min(...clients));
}

export function createWatchdog<W>(opts: {
  /** The workers expected to report now (they have their configuration). */
  workers: () => Iterable<W>;
  limitMs: () => number;
  onHung: (w: W, silentMs: number) => void;
  now?: () => number;
  tickMs?: number;
}): Watchdog<W> {
  const now = opts.now ?? Date.now;
  const lastSeen = new Map<W, number>();
  const tick = opts.tickMs ?? TICK_MS;
  let lastTick = now();
  const timer = setInterval(() => {
    const t = now();
    const late = t - lastTick > tick * 4;
    lastTick = t;
    for (const w of opts.workers()) {
      // After the master itself stalled, the workers' messages are still queued unread: start over.
      if (late) lastSeen.set(w, t);
      const last = lastSeen.get(w);
      if (last === undefined) {
        lastSeen.set(w, t);
        continue;
      }
      const silent = t - last;
      if (silent <= opts.limitMs()) continue;
      lastSeen.delete(w);
      opts.onHung(w, silent);
    }
  }, tick);
  timer.unref();
  return {
    seen(w) {
      lastSeen.set(w, now());
    },
    forget(w) {
      lastSeen.delete(w);
    },
    stop() {
      clearInterval(timer);
      lastSeen.clear();
    },
  };
}
