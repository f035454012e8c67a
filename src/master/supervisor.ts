// The supervisor keeps the cohorts of worker processes: it forks them, follows their messages and
// exits, replaces a worker that died, kills one that hangs, keeps a warm spare, and drains or kills
// a whole cohort when told. It decides nothing about configurations: reload.ts does.
import type { Config } from '../config/model.ts';
import type { MasterToWorker, ServerStates, WorkerToMaster } from '../ipc/messages.ts';
import type { ListenerRegistry } from './listeners.ts';
import type { Logger } from './log.ts';
import { liveWorkers, label, newCohort, tell, type Cohort } from './cohort.ts';
import { spawnWorker, type WorkerProcess, type WorkerSpawnOptions } from './worker-process.ts';
import { createSpare, type Spare } from './spare.ts';
import { createWatchdog, silenceLimit, type Watchdog } from './watchdog.ts';
import { codeFingerprint } from './code-fingerprint.ts';

export interface SupervisorOptions {
  listeners: ListenerRegistry;
  log: Logger;
  ticketKeys: string;
  serverStates(): ServerStates;
  hardStopAfter(config: Config): number;
  maxOldCohorts: number;
  uid?: number;
  gid?: number;
  /** Worker messages that are not about its life: counters, stats requests, passive health. */
  onReport(cohort: Cohort, w: WorkerProcess, msg: WorkerToMaster): void;
  /** A worker process is gone (its counters' gauges go with it). */
  onGone(w: WorkerProcess): void;
  /** Fake workers in unit tests; real processes otherwise. */
  spawn?: (o: WorkerSpawnOptions) => WorkerProcess;
  /** Keep a warm spare (`--warm-spare`). */
  spare?: boolean;
}

export interface Supervisor {
  /** The cohort that accepts, if any. */
  current(): Cohort | undefined;
  /** Starting, current and draining cohorts. */
  cohorts(): Cohort[];
  /** Cohorts draining, and generations draining inside the current cohort's processes. */
  drainingCount(): number;
  /** Fork a new cohort for `generation` (it accepts as soon as each worker is ready). */
  fork(config: Config, generation: number, size: number): Cohort;
  /** A cohort that failed to start: kill its workers and wait for them. */
  discard(cohort: Cohort): Promise<void>;
  /** `cohort` becomes current; returns the one it replaces (still running: drain it). */
  promote(cohort: Cohort): Cohort | undefined;
  drain(cohort: Cohort): void;
  /** More than maxOldCohorts draining: kill the oldest. */
  killExcess(): void;
  /** The current cohort's processes moved from `generation` to a new one: follow its drain. */
  drainingInPlace(generation: number, pids: number[]): void;
  broadcast(msg: MasterToWorker): void;
  spare(): Spare | undefined;
  stopping(): boolean;
  /** Soft stop: drain every cohort; resolves when every worker has exited. */
  stop(): Promise<void>;
  /** Hard stop: kill every worker. */
  stopNow(): Promise<void>;
}

interface State {
  readonly opts: SupervisorOptions;
  readonly spawn: (o: WorkerSpawnOptions) => WorkerProcess;
  readonly spare: Spare | undefined;
  readonly watchdog: Watchdog<WorkerProcess>;
  starting: Cohort | undefined;
  current: Cohort | undefined;
  readonly draining: Cohort[];
  /** Older generations still draining inside the current processes (in-place reloads). */
  readonly inPlace: Map<number, { since: number; pids: Set<number> }>;
  readonly respawns: number[];
  stopping: boolean;
  allExited: (() => void) | undefined;
}

const cohortsOf = (s: State): Cohort[] => [...(s.starting ? [s.starting] : []), ...(s.current ? [s.current] : []), ...s.draining];

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const s: State = {
    opts,
    spawn: opts.spawn ?? spawnWorker,
    spare: opts.spare === true ? createSpare(opts.uid, opts.gid) : undefined,
    // A worker silent for longer than `timeout client` is hung (SIGSTOP, a stuck loop): killed, and
    // replaced like any worker that died, so its clients are not left waiting on it.
    watchdog: createWatchdog<WorkerProcess>({
      workers: () => cohortsOf(s).flatMap((c) => c.workers.filter((w) => w.state === 'ready' || w.state === 'draining')),
      limitMs: () => silenceLimit(s.current?.config.frontends ?? []),
      onHung: (w, silentMs) => {
        opts.log.alert(`worker g${w.readyGeneration}#${w.index} (pid ${w.pid}) has not reported for ${silentMs} ms (more than timeout client): killing it`);
        w.kill('SIGKILL');
      },
    }),
    starting: undefined,
    current: undefined,
    draining: [],
    inPlace: new Map(),
    respawns: [],
    stopping: false,
    allExited: undefined,
  };
  return {
    current: () => s.current,
    cohorts: () => cohortsOf(s),
    drainingCount: () => s.draining.length + s.inPlace.size,
    fork: (config, generation, size) => forkCohort(s, config, generation, size),
    discard: (cohort) => discardCohort(s, cohort),
    promote(cohort) {
      const previous = s.current;
      if (s.starting === cohort) s.starting = undefined;
      cohort.state = 'active';
      s.current = cohort;
      return previous;
    },
    drain: (cohort) => drainCohort(s, cohort),
    killExcess: () => killExcess(s),
    drainingInPlace: (generation, pids) => void s.inPlace.set(generation, { since: Date.now(), pids: new Set(pids) }),
    broadcast: (msg) => broadcast(s, msg),
    spare: () => s.spare,
    stopping: () => s.stopping,
    stop: () => stop(s),
    stopNow: () => stopNow(s),
  };
}

function broadcast(s: State, msg: MasterToWorker): void {
  for (const c of cohortsOf(s)) for (const w of liveWorkers(c)) w.send(msg);
}

function forkCohort(s: State, config: Config, generation: number, size: number): Cohort {
  const cohort = newCohort(config, generation, size, codeFingerprint());
  // Only a cohort that replaces another takes the spare: at first start there is none yet.
  const replacing = s.current !== undefined;
  s.starting = cohort;
  for (let i = 0; i < size; i++) cohort.workers.push(spawnInto(s, cohort, i, i === 0 && replacing));
  return cohort;
}

function spawnInto(s: State, cohort: Cohort, index: number, useSpare: boolean): WorkerProcess {
  const child = useSpare ? s.spare?.take() : undefined;
  const { opts } = s;
  return s.spawn({
    ...(child !== undefined ? { child } : {}),
    generation: cohort.generation,
    index,
    workers: cohort.size,
    config: cohort.config,
    listeners: opts.listeners,
    servers: opts.serverStates(),
    ticketKeys: opts.ticketKeys,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    onMessage: (w, msg) => onMessage(s, cohort, w, msg),
    onExit: (w, code, signal) => onExit(s, cohort, w, signal !== null ? `signal ${signal}` : `exit code ${code}`),
  });
}

function onMessage(s: State, cohort: Cohort, w: WorkerProcess, msg: WorkerToMaster): void {
  s.watchdog.seen(w);
  switch (msg.type) {
    case 'ready':
      // A worker started with `init` accepts with that generation as soon as it is ready.
      if (w.state === 'starting') {
        w.state = cohort.state === 'draining' ? 'draining' : 'ready';
        w.activeGeneration = msg.generation;
      }
      w.readyGeneration = msg.generation;
      tell(cohort, { kind: 'ready', worker: w, generation: msg.generation });
      break;
    case 'activated':
      w.activeGeneration = msg.generation;
      tell(cohort, { kind: 'activated', worker: w, generation: msg.generation });
      if (msg.carried !== undefined) s.opts.onReport(cohort, w, msg);
      break;
    case 'reconfigure-error':
      s.opts.log.alert(`${label(cohort, w)} cannot prepare generation ${msg.generation}: ${msg.message}`);
      tell(cohort, { kind: 'refused', worker: w, generation: msg.generation, message: msg.message });
      break;
    case 'startup-error':
      s.opts.log.alert(`${label(cohort, w)} failed to start: ${msg.message}`);
      tell(cohort, { kind: 'refused', worker: w, generation: w.generation, message: msg.message });
      break;
    case 'listener-request': {
      // A worker at its share of maxconn closed its copy; another for when it is below again.
      const l = s.opts.listeners.get(msg.key);
      if (l !== undefined) w.sendListener(msg.key, l.handle, true);
      break;
    }
    case 'generation-drained':
      drainedInPlace(s, msg.generation, w.pid);
      break;
    case 'drained':
      break;
    default:
      s.opts.onReport(cohort, w, msg);
  }
}

/** A worker finished draining an older generation inside its process. */
function drainedInPlace(s: State, generation: number, pid: number): void {
  const r = s.inPlace.get(generation);
  if (r === undefined) return;
  r.pids.delete(pid);
  if (r.pids.size > 0) return;
  s.inPlace.delete(generation);
  s.opts.log.notice(`generation ${generation} finished draining in ${Date.now() - r.since} ms`);
}

function onExit(s: State, cohort: Cohort, w: WorkerProcess, how: string): void {
  const { log } = s.opts;
  s.watchdog.forget(w);
  s.opts.onGone(w);
  for (const generation of [...s.inPlace.keys()]) drainedInPlace(s, generation, w.pid);
  tell(cohort, { kind: 'exited', worker: w, how });
  if (cohort.state === 'active' && !w.leaving && !s.stopping) {
    log.alert(`${label(cohort, w)} exited unexpectedly (${how}); replacing it`);
    replaceWorker(s, cohort, w);
  } else if (cohort.state === 'draining' && !w.leaving) {
    log.warning(`draining ${label(cohort, w)} exited (${how})`);
  }
  if (cohort.state === 'draining' && liveWorkers(cohort).length === 0) drained(s, cohort);
  if (s.stopping && cohortsOf(s).every((c) => liveWorkers(c).length === 0)) s.allExited?.();
}

function replaceWorker(s: State, cohort: Cohort, dead: WorkerProcess): void {
  // Back off when workers crash in a loop, so a poisoned config cannot fork-bomb the box.
  const now = Date.now();
  while (s.respawns.length > 0 && now - (s.respawns[0] ?? 0) > 10_000) s.respawns.shift();
  s.respawns.push(now);
  const respawn = (): void => {
    if (s.stopping || cohort.state !== 'active') return;
    const w = spawnInto(s, cohort, dead.index, true);
    const i = cohort.workers.indexOf(dead);
    if (i >= 0) cohort.workers[i] = w;
    else cohort.workers.push(w);
    s.opts.log.notice(`${label(cohort, w)} started, replacing pid ${dead.pid}`);
  };
  if (s.respawns.length > 10) setTimeout(respawn, 1000).unref();
  else respawn();
}

function drainCohort(s: State, cohort: Cohort): void {
  cohort.state = 'draining';
  cohort.drainStartedAt = Date.now();
  const hardStop = s.opts.hardStopAfter(cohort.config);
  for (const w of liveWorkers(cohort)) {
    w.leaving = true;
    w.state = 'draining';
    w.send({ type: 'drain', hardStopAfterMs: hardStop });
  }
  if (hardStop > 0) {
    // The worker enforces hard-stop-after itself; this is the backstop if it cannot.
    cohort.hardStopTimer = setTimeout(() => killCohort(s, cohort, 'hard-stop-after'), hardStop + 2000);
    cohort.hardStopTimer.unref();
  }
  if (liveWorkers(cohort).length === 0) drained(s, cohort);
  else s.draining.push(cohort);
}

function drained(s: State, cohort: Cohort): void {
  if (cohort.state === 'done') return;
  cohort.state = 'done';
  if (cohort.hardStopTimer) clearTimeout(cohort.hardStopTimer);
  const i = s.draining.indexOf(cohort);
  if (i >= 0) s.draining.splice(i, 1);
  s.opts.log.notice(`generation ${cohort.generation} finished draining in ${Date.now() - (cohort.drainStartedAt ?? Date.now())} ms`);
}

function killCohort(s: State, cohort: Cohort, why: string): void {
  const live = liveWorkers(cohort);
  if (live.length > 0) s.opts.log.warning(`stopping generation ${cohort.generation} now (${why}): killing ${live.length} worker(s)`);
  for (const w of live) {
    w.leaving = true;
    w.kill('SIGKILL');
  }
}

function killExcess(s: State): void {
  const max = s.opts.maxOldCohorts;
  while (s.draining.length > max) {
    const oldest = s.draining.shift();
    if (oldest === undefined) break;
    killCohort(s, oldest, `more than ${max} generations draining`);
    oldest.state = 'done';
  }
}

async function discardCohort(s: State, cohort: Cohort): Promise<void> {
  cohort.state = 'done';
  if (s.starting === cohort) s.starting = undefined;
  for (const w of cohort.workers) {
    w.leaving = true;
    w.kill('SIGKILL');
  }
  await Promise.all(cohort.workers.map((w) => w.exited));
}

async function waitAllExited(s: State): Promise<void> {
  if (cohortsOf(s).every((c) => liveWorkers(c).length === 0)) return;
  await new Promise<void>((r) => (s.allExited = r));
}

function beginStop(s: State): void {
  s.stopping = true;
  s.spare?.kill();
  s.watchdog.stop();
}

async function stop(s: State): Promise<void> {
  if (s.stopping) return waitAllExited(s);
  beginStop(s);
  if (s.starting) killCohort(s, s.starting, 'stopping');
  if (s.current !== undefined) {
    drainCohort(s, s.current);
    s.current = undefined;
  }
  await waitAllExited(s);
}

async function stopNow(s: State): Promise<void> {
  beginStop(s);
  for (const c of cohortsOf(s)) killCohort(s, c, 'stop now');
  await Promise.all(cohortsOf(s).flatMap((c) => c.workers.map((w) => w.exited)));
}
