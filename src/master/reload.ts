// The reload, as its phases: load → acquire → choose path → prepare → activate → settle.
// Each phase before activate can fail without touching what is serving; there is one failure exit
// (release what was acquired, keep the generation that serves) and one closing tail, for both
// paths: in place (the running processes build the new generation beside the current one) and new
// processes (a new cohort is forked; the previous one drains once every new worker is ready).
import { performance } from 'node:perf_hooks';
import type { Config, LoadResult } from '../config/model.ts';
import { hasListener } from '../config/load.ts';
import { formatForLog } from '../config/diagnostics.ts';
import type { ServerStates } from '../ipc/messages.ts';
import type { ListenerRegistry } from './listeners.ts';
import type { Logger } from './log.ts';
import type { Supervisor } from './supervisor.ts';
import { label, liveWorkers, waitFor, type Cohort, type CohortEvent, type Verdict } from './cohort.ts';
import { codeFingerprint } from './code-fingerprint.ts';
import { createReloadQueue, type ReloadMode, type ReloadOutcome } from './reload-queue.ts';

export interface ReloadDeps {
  load(): Promise<LoadResult>;
  listeners: Pick<ListenerRegistry, 'acquire' | 'release' | 'get'>;
  supervisor: Supervisor;
  log: Logger;
  readyTimeoutMs: number;
  maxOldGenerations: number;
  workerCount(config: Config): number;
  hardStopAfter(config: Config): number;
  serverStates(): ServerStates;
  /** The new generation accepts: health checks and server states follow its configuration. */
  onActivated(config: Config): void;
  /** Told when a reload starts and ends, whatever asked for it (systemd's RELOADING=1 / READY=1). */
  onReloadState?: (state: 'reloading' | 'ready') => void;
}

export interface ReloadCounts {
  completed: number;
  inPlace: number;
  failed: number;
  /** Of `failed`: on each path (the rest were refused before one was chosen). */
  failedInPlace: number;
  failedNewProcesses: number;
  /** The last reload's duration (succeeded or failed), in ms; absent before the first reload. */
  lastTookMs?: number;
  /** Requests, the first start excluded; coalesced ones count each. */
  requested: number;
}

export interface Reloader {
  /** Reload (the first call starts); `full` forces new processes. Requests made while one runs coalesce. */
  request(full?: boolean): Promise<ReloadOutcome>;
  counts(): ReloadCounts;
}

/** How the new generation comes to accept, and how the old one goes. */
interface Path {
  mode: ReloadMode;
  /** Resolves null when every worker is ready for the new generation, else why not. */
  prepare(): Promise<string | null>;
  activate(): Promise<void>;
  /** What is left of the previous generation drains. */
  settle(): void;
}

export function createReloader(deps: ReloadDeps): Reloader {
  let nextGeneration = 1;
  const counts: ReloadCounts = { completed: 0, inPlace: 0, failed: 0, failedInPlace: 0, failedNewProcesses: 0, requested: 0 };
  const queue = createReloadQueue(async (full) => {
    const reloading = deps.supervisor.current() !== undefined;
    if (reloading) deps.onReloadState?.('reloading');
    const outcome = await reload(deps, full, () => nextGeneration++);
    if (reloading) deps.onReloadState?.('ready');
    report(deps, outcome, reloading, counts);
    return outcome;
  });
  return {
    request: (full = false) => queue.request(full),
    counts: () => ({ ...counts, requested: Math.max(0, queue.counts().requested - 1) }),
  };
}

function report(deps: ReloadDeps, outcome: ReloadOutcome, reloading: boolean, counts: ReloadCounts): void {
  if (!reloading) return;
  counts.lastTookMs = outcome.tookMs;
  if (outcome.ok) {
    counts.completed++;
    if (outcome.mode === 'in-place') counts.inPlace++;
    deps.log.notice(`reload succeeded (generation ${outcome.generation}, took ${outcome.tookMs} ms, ${outcome.mode})`);
  } else {
    counts.failed++;
    if (outcome.mode === 'in-place') counts.failedInPlace++;
    else if (outcome.mode !== undefined) counts.failedNewProcesses++;
    deps.log.alert(`reload failed: ${outcome.message}`);
  }
}

async function reload(deps: ReloadDeps, full: boolean, allocate: () => number): Promise<ReloadOutcome> {
  const t0 = performance.now();
  const tookMs = (): number => Math.round(performance.now() - t0);
  const serving = deps.supervisor.current();
  const failed = (message: string): ReloadOutcome => ({ ok: false, message, tookMs: tookMs() });
  if (deps.supervisor.stopping()) return failed('the master is stopping');

  const loaded = await load(deps, serving);
  if (typeof loaded === 'string') return failed(loaded);
  const { config, warnings } = loaded;

  const bindErrors = acquire(deps, config);
  if (bindErrors !== null) return failed(bindErrors);

  const generation = allocate();
  const path = choosePath(deps, config, generation, full);

  let failure = await path.prepare();
  if (failure === null && deps.supervisor.stopping()) failure = 'the master is stopping';
  if (failure !== null) {
    deps.listeners.release(keysOf(serving?.config));
    return { ...failed(`new generation failed to start, keeping generation ${serving?.generation ?? '-'}: ${failure}`), mode: path.mode };
  }

  await path.activate();
  deps.onActivated(config);
  path.settle();
  for (const key of deps.listeners.release(keysOf(config))) deps.log.notice(`listener ${key} closed (no longer configured)`);
  return { ok: true, generation, tookMs: tookMs(), warnings, mode: path.mode };
}

/** The configuration, or why it cannot be used. */
async function load(deps: ReloadDeps, serving: Cohort | undefined): Promise<{ config: Config; warnings: string[] } | string> {
  const keeping = `keeping generation ${serving?.generation ?? '-'}`;
  const result = await deps.load();
  if (result.config === undefined) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatForLog);
    return `configuration has errors, ${keeping}:\n${errors.join('\n')}`;
  }
  if (!hasListener(result.config)) return `configuration has no listener (no 'bind', no 'stats socket'), ${keeping}`;
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map(formatForLog);
  return { config: result.config, warnings };
}

/** Bind what is new (a bind error refuses the reload; what was bound for it is closed again). */
function acquire(deps: ReloadDeps, config: Config): string | null {
  const errors = deps.listeners.acquire(config.frontends.flatMap((f) => f.binds));
  if (errors.length === 0) return null;
  return errors.map((e) => `${e.bind.loc.file}:${e.bind.loc.line}: error: ${e.message}`).join('\n');
}

function choosePath(deps: ReloadDeps, config: Config, generation: number, full: boolean): Path {
  const serving = deps.supervisor.current();
  const why = whyNewProcesses(deps, serving, config, full);
  if (why === null && serving !== undefined) return inPlace(deps, serving, config, generation);
  return newProcesses(deps, config, generation, why === 'first start' ? 'start' : 'new-processes');
}

/** Why the reload must start new processes rather than give the running ones the new generation. */
function whyNewProcesses(deps: ReloadDeps, serving: Cohort | undefined, config: Config, full: boolean): string | null {
  if (serving === undefined) return 'first start';
  if (full) return 'requested';
  if (codeFingerprint() !== serving.codeFingerprint) return 'the code changed';
  if (deps.workerCount(config) !== serving.size) return 'the number of workers changed';
  if (liveWorkers(serving).length !== serving.size || serving.workers.some((w) => w.state !== 'ready')) return 'a worker is not ready';
  return null;
}

const keysOf = (config: Config | undefined): Set<string> => new Set(config?.frontends.flatMap((f) => f.binds.map((b) => b.key)) ?? []);

/** Every worker of `cohort` has reported ready for `generation`. */
function allReady(cohort: Cohort, generation: number): Verdict {
  const ready = cohort.workers.length === cohort.size && cohort.workers.every((w) => w.state === 'ready' && w.readyGeneration === generation);
  return ready ? 'done' : 'waiting';
}

function notReady(cohort: Cohort, generation: number, timeoutMs: number): string {
  const late = cohort.workers.filter((w) => !(w.state === 'ready' && w.readyGeneration === generation)).map((w) => w.pid);
  return `generation ${generation} not ready after ${timeoutMs} ms (workers ${late.join(', ')} did not report ready)`;
}

/** A worker that refuses the generation or exits before it is ready fails the prepare. */
function failedWhile(cohort: Cohort, e: CohortEvent | undefined, generation: number, doing: string): Verdict | undefined {
  if (e?.kind === 'refused' && e.generation === generation) return { failed: e.message };
  if (e?.kind === 'exited') return { failed: `${label(cohort, e.worker)} exited ${doing} (${e.how})` };
  return undefined;
}

function newProcesses(deps: ReloadDeps, config: Config, generation: number, mode: ReloadMode): Path {
  let cohort: Cohort | undefined;
  let previous: Cohort | undefined;
  return {
    mode,
    async prepare() {
      const c = (cohort = deps.supervisor.fork(config, generation, deps.workerCount(config)));
      const t = deps.readyTimeoutMs;
      const failure = await waitFor(c, t, (e) => failedWhile(c, e, generation, 'during startup') ?? allReady(c, generation), () => notReady(c, generation, t));
      if (failure !== null || deps.supervisor.stopping()) await deps.supervisor.discard(c);
      return failure;
    },
    async activate() {
      if (cohort !== undefined) previous = deps.supervisor.promote(cohort);
    },
    settle() {
      if (previous !== undefined) deps.supervisor.drain(previous);
      deps.supervisor.killExcess();
    },
  };
}

function inPlace(deps: ReloadDeps, cohort: Cohort, config: Config, generation: number): Path {
  const t = deps.readyTimeoutMs;
  return {
    mode: 'in-place',
    async prepare() {
      const keys = keysOf(config);
      const added = [...keys].filter((k) => !keysOf(cohort.config).has(k));
      const servers = deps.serverStates();
      for (const w of liveWorkers(cohort)) {
        w.send({ type: 'reconfigure', generation, config, listenerKeys: [...keys], servers });
        for (const key of added) {
          const l = deps.listeners.get(key);
          if (l !== undefined) w.sendListener(key, l.handle);
        }
      }
      const doing = `while preparing generation ${generation}`;
      const failure = await waitFor(cohort, t, (e) => failedWhile(cohort, e, generation, doing) ?? allReady(cohort, generation), () => notReady(cohort, generation, t));
      if (failure !== null || deps.supervisor.stopping()) for (const w of liveWorkers(cohort)) w.send({ type: 'discard', generation });
      return failure;
    },
    async activate() {
      const live = liveWorkers(cohort);
      const hardStopAfterMs = deps.hardStopAfter(cohort.config);
      for (const w of live) w.send({ type: 'activate', generation, hardStopAfterMs, maxOldGenerations: deps.maxOldGenerations });
      deps.supervisor.drainingInPlace(cohort.generation, live.map((w) => w.pid));
      cohort.generation = generation;
      cohort.config = config;
      // `reload succeeded` means the new generation is what accepts: wait for every worker's word.
      // A worker that exited meanwhile is replaced with the new configuration: it does not block.
      const activated = (): Verdict => (liveWorkers(cohort).every((w) => w.activeGeneration >= generation || w.state !== 'ready') ? 'done' : 'waiting');
      await waitFor(cohort, t, activated, () => {
        deps.log.warning(`generation ${generation}: not every worker confirmed activation within ${t} ms`);
        return null;
      });
    },
    settle() {},
  };
}
