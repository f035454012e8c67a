// A generation: the set of workers started from one validated configuration. It is started,
// confirmed ready (every worker), and only then does the previous generation drain.
import type { Config } from '../config/model.ts';
import type { WorkerProcess } from './worker-process.ts';

export type GenerationState = 'starting' | 'active' | 'draining' | 'done';

export interface Generation {
  id: number;
  config: Config;
  size: number;
  workers: WorkerProcess[];
  state: GenerationState;
  startedAt: number;
  drainStartedAt?: number;
  /** Backstop timer that kills the generation if its drain outlives hard-stop-after. */
  hardStopTimer?: NodeJS.Timeout;
  /** Set while someone waits for the generation to become ready. */
  changed?: () => void;
}

export function liveWorkers(gen: Generation): WorkerProcess[] {
  return gen.workers.filter((w) => w.state !== 'exited');
}

/** Resolve when every worker of `gen` is ready; reject with a user-facing message otherwise.
 * The master calls `gen.changed()` whenever a worker of the generation changes state. */
export function waitReady(gen: Generation, timeoutMs: number, failure: { message?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const notReady = gen.workers.filter((w) => w.state !== 'ready').map((w) => w.pid);
      finish(new Error(`generation ${gen.id} not ready after ${timeoutMs} ms (workers ${notReady.join(', ')} did not report ready)`));
    }, timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      gen.changed = undefined;
      if (err) reject(err);
      else resolve();
    };
    gen.changed = () => {
      if (failure.message !== undefined) finish(new Error(failure.message));
      else if (gen.workers.length === gen.size && gen.workers.every((w) => w.state === 'ready')) finish();
    };
    gen.changed();
  });
}
