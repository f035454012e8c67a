// A cohort: the worker processes forked together from one configuration. It starts, is confirmed
// ready (every worker), becomes the one that accepts, and drains when the next cohort takes over.
// An in-place reload gives the same processes a new generation (configuration version): the
// cohort's `generation` and `config` move on, its processes stay.
import type { Config } from '../config/model.ts';
import type { WorkerProcess } from './worker-process.ts';

export type CohortState = 'starting' | 'active' | 'draining' | 'done';

/** What a cohort's workers did, as its watchers are told. */
export type CohortEvent =
  | { kind: 'ready'; worker: WorkerProcess; generation: number }
  | { kind: 'activated'; worker: WorkerProcess; generation: number }
  /** A worker could not build a generation: at start-up (`startup-error`) or in place (`reconfigure-error`). */
  | { kind: 'refused'; worker: WorkerProcess; generation: number; message: string }
  | { kind: 'exited'; worker: WorkerProcess; how: string };

export interface Cohort {
  readonly workers: WorkerProcess[];
  readonly size: number;
  state: CohortState;
  /** The generation its workers run (the one they accept with, once active). */
  generation: number;
  config: Config;
  readonly startedAt: number;
  /** Fingerprint of the code the processes were started from (see code-fingerprint.ts). */
  readonly codeFingerprint: string;
  drainStartedAt?: number;
  /** Backstop timer that kills the cohort if its drain outlives hard-stop-after. */
  hardStopTimer?: NodeJS.Timeout;
  /** Told every event of this cohort's workers (see `waitFor`). */
  readonly watchers: Set<(e: CohortEvent) => void>;
}

export function newCohort(config: Config, generation: number, size: number, codeFingerprint: string): Cohort {
  return { workers: [], size, state: 'starting', generation, config, startedAt: Date.now(), codeFingerprint, watchers: new Set() };
}

export function liveWorkers(cohort: Cohort): WorkerProcess[] {
  return cohort.workers.filter((w) => w.state !== 'exited');
}

/** `workers g3#0` for logs: the generation it runs and its index in the cohort. */
export function label(cohort: Cohort, w: WorkerProcess): string {
  return `worker g${cohort.generation}#${w.index} (pid ${w.pid})`;
}

export function tell(cohort: Cohort, event: CohortEvent): void {
  for (const watcher of [...cohort.watchers]) watcher(event);
}

export type Verdict = 'waiting' | 'done' | { failed: string };

/** Wait for `judge` to say done (resolves null) or failed (resolves its message); it is asked at
 * once and after every event of the cohort. After `timeoutMs`, resolves `onTimeout()`. */
export function waitFor(cohort: Cohort, timeoutMs: number, judge: (e?: CohortEvent) => Verdict, onTimeout: () => string | null): Promise<string | null> {
  return new Promise((resolve) => {
    const finish = (result: string | null): void => {
      clearTimeout(timer);
      cohort.watchers.delete(watcher);
      resolve(result);
    };
    const watcher = (e?: CohortEvent): void => {
      const v = judge(e);
      if (v === 'done') finish(null);
      else if (v !== 'waiting') finish(v.failed);
    };
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
    cohort.watchers.add(watcher);
    watcher();
  });
}
