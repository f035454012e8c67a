// A generation of worker processes, started from one validated configuration: started, confirmed
// ready (every worker), and only then does the previous one drain. An in-place reload gives the
// same processes a new configuration: `id` and `config` advance, the processes stay.
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
  /** Fingerprint of the code the processes were started from (see code-fingerprint.ts). */
  codeFingerprint: string;
  drainStartedAt?: number;
  /** Backstop timer that kills the generation if its drain outlives hard-stop-after. */
  hardStopTimer?: NodeJS.Timeout;
  /** Set while someone waits for the generation to become ready. */
  changed?: () => void;
  /** Set while an in-place reload to this generation id is being prepared in its workers. */
  reconfiguring?: { target: number; failure: { message?: string } };
}

export function liveWorkers(gen: Generation): WorkerProcess[] {
  return gen.workers.filter((w) => w.state !== 'exited');
}

/** Resolve when every worker of `gen` is ready for generation `target`; reject with a
 * user-facing message otherwise. The master calls `gen.changed()` whenever a worker changes state. */
export function waitReady(gen: Generation, target: number, timeoutMs: number, failure: { message?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const isReady = (w: WorkerProcess) => w.state === 'ready' && w.readyGeneration === target;
    const timer = setTimeout(() => {
      const notReady = gen.workers.filter((w) => !isReady(w)).map((w) => w.pid);
      finish(new Error(`generation ${target} not ready after ${timeoutMs} ms (workers ${notReady.join(', ')} did not report ready)`));
    }, timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      gen.changed = undefined;
      if (err) reject(err);
      else resolve();
    };
    gen.changed = () => {
      if (failure.message !== undefined) finish(new Error(failure.message));
      else if (gen.workers.length === gen.size && gen.workers.every(isReady)) finish();
    };
    gen.changed();
  });
}
