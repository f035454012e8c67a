// A warm spare: a worker process already started (code loaded), waiting for `init`. A crashed
// worker's replacement, or the first worker of a new cohort, takes it and is ready in a few
// milliseconds instead of ~100; the next spare is forked a little later, off the hot moment.
import type { ChildProcess } from 'node:child_process';
import { forkWorkerProcess, usable } from './worker-process.ts';
import { codeFingerprint } from './code-fingerprint.ts';

const SPARE_DELAY_MS = 250;

export interface Spare {
  /** The spare if it can still run the current code (a new one is scheduled either way). */
  take(): ChildProcess | undefined;
  /** Fork one soon, unless there is one. */
  schedule(): void;
  /** The spare's pid, for `show proc`. */
  pid(): number | undefined;
  /** Kill it and fork no other. */
  kill(): void;
}

export function createSpare(uid?: number, gid?: number): Spare {
  let spare: { child: ChildProcess; fingerprint: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let killed = false;

  const fork = (): void => {
    timer = undefined;
    if (killed || spare !== undefined) return;
    const child = forkWorkerProcess('spare', uid, gid);
    child.on('error', () => {});
    child.on('exit', () => {
      if (spare?.child === child) spare = undefined;
    });
    spare = { child, fingerprint: codeFingerprint() };
  };

  const schedule = (): void => {
    if (killed || spare !== undefined || timer !== undefined) return;
    timer = setTimeout(fork, SPARE_DELAY_MS);
    timer.unref();
  };

  return {
    take() {
      const s = spare;
      spare = undefined;
      schedule();
      if (s === undefined) return undefined;
      // A spare started before a code change would run the old code.
      if (usable(s.child) && s.fingerprint === codeFingerprint()) return s.child;
      s.child.kill('SIGKILL');
      return undefined;
    },
    schedule,
    pid: () => (spare !== undefined && usable(spare.child) ? spare.child.pid : undefined),
    kill() {
      killed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      spare?.child.kill('SIGKILL');
      spare = undefined;
    },
  };
}
