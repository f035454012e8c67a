// The master: owns the listening sockets, runs generations of workers, reloads, supervises,
// keeps the state that outlives a generation (health, counters, TLS ticket keys, runtime server
// settings), and never proxies a byte of traffic itself.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Config, Diagnostic } from '../config/model.ts';
import { hasListener, loadConfig, type LoadOptions } from '../config/load.ts';
import { formatDiagnostic } from '../config/diagnostics.ts';
import type { ServerState, ServerStates, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import { createHealthChecker, type HealthEntry } from '../health/checker.ts';
import { createListenerRegistry } from './listeners.ts';
import { createCounterStore } from './counters.ts';
import { createReloadQueue, type ReloadOutcome } from './reload-queue.ts';
import { liveWorkers, waitReady, type Generation } from './generation.ts';
import { forkWorkerProcess, sendListener, spawnWorker, usable, type WorkerProcess } from './worker-process.ts';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from './log.ts';
import { codeFingerprint } from './code-fingerprint.ts';
import { createWatchdog, silenceLimit } from './watchdog.ts';

export interface MasterOptions {
  /** Read in order as one configuration at every reload (a directory: its `*.cfg` files). */
  configFiles: readonly string[];
  /** Command-line overrides applied at every load (`-n`, `-N`); `workers` is added to them. */
  loadOptions?: LoadOptions;
  /** `--workers`: overrides `nbthread`; default CPU count. */
  workers?: number;
  maxOldGenerations: number;
  readyTimeoutMs: number;
  /** Overrides `hard-stop-after` when set. */
  hardStopAfterMs?: number;
  uid?: number;
  gid?: number;
  log: Logger;
  /** Told when a reload starts and ends, whatever asked for it (systemd's RELOADING=1 / READY=1). */
  onReloadState?: (state: 'reloading' | 'ready') => void;
}

export interface RuntimeServerSetting {
  admin?: ServerState['admin'];
  weight?: number;
}

export interface MasterInfo {
  pid: number;
  startedAt: number;
  generation: number;
  reloads: number;
  reloadsInPlace: number;
  reloadsFailed: number;
  reloadsRequested: number;
  workers: number;
  drainingGenerations: number;
  configFile: string;
  listeners: { key: string; port: number }[];
}

export interface ProcInfo {
  pid: number;
  role: 'master' | 'worker' | 'spare';
  generation: number;
  index: number;
  state: string;
  uptimeMs: number;
}

export interface Master {
  /** Load the configuration, bind, start generation 1. Rejects with a user-facing message. */
  start(): Promise<{ generation: number; warnings: string[] }>;
  /** Reload; `full` forces new worker processes (otherwise only when the code changed). */
  reload(full?: boolean): Promise<ReloadOutcome>;
  /** Graceful: stop accepting, drain every generation, resolve when every worker has exited. */
  stop(): Promise<void>;
  /** Now: kill every worker. */
  stopNow(): Promise<void>;
  info(): MasterInfo;
  procs(): ProcInfo[];
  stats(): StatsSnapshot;
  servers(): { id: string; state: ServerState; check: string }[];
  setServer(id: string, setting: RuntimeServerSetting): string | null;
  currentConfig(): Config | undefined;
}

const workerStartedAt = new WeakMap<WorkerProcess, number>();

export function createMaster(opts: MasterOptions): Master {
  const log = opts.log;
  const listeners = createListenerRegistry();
  const counters = createCounterStore();
  const ticketKeys = randomBytes(48).toString('base64');
  const runtime = new Map<string, RuntimeServerSetting>();
  const health = createHealthChecker((id, entry) => {
    log.notice(`server ${id} is ${entry.up ? 'UP' : 'DOWN'} (${entry.lastCheck})`);
    broadcastServers();
  });
  const startedAt = Date.now();
  let current: Generation | undefined;
  let starting: Generation | undefined;
  const draining: Generation[] = [];
  let nextGenerationId = 1;
  let reloadsCompleted = 0;
  let reloadsFailed = 0;
  let inPlaceReloads = 0;
  /** Older generations still draining inside the running processes (in-place reloads). */
  const retiringInPlace = new Map<number, { since: number; pids: Set<number> }>();
  let stopping = false;
  let allExited: (() => void) | undefined;
  const respawnHistory: number[] = [];

  const generations = (): Generation[] => [...(starting ? [starting] : []), ...(current ? [current] : []), ...draining];

  // A worker silent for longer than `timeout client` is hung (SIGSTOP, a stuck loop): killed, and
  // replaced like any worker that died, so its clients are not left waiting on it.
  const watchdog = createWatchdog<WorkerProcess>({
    workers: () => generations().flatMap((g) => g.workers.filter((w) => w.state === 'ready' || w.state === 'draining')),
    limitMs: () => silenceLimit(current?.config.frontends ?? []),
    onHung: (w, silentMs) => {
      log.alert(`worker g${w.generation}#${w.index} (pid ${w.pid}) has not reported for ${silentMs} ms (more than timeout client): killing it`);
      w.kill('SIGKILL');
    },
  });

  const serverStates = (): ServerStates => {
    const out: ServerStates = {};
    for (const [id, e] of health.states()) out[id] = { up: e.up, admin: 'ready' };
    for (const [id, s] of runtime) {
      const base = out[id] ?? { up: true, admin: 'ready' };
      out[id] = { ...base, ...(s.admin !== undefined ? { admin: s.admin } : {}), ...(s.weight !== undefined ? { weight: s.weight } : {}) };
    }
    return out;
  };

  function broadcastServers(): void {
    const servers = serverStates();
    for (const gen of generations()) for (const w of liveWorkers(gen)) w.send({ type: 'servers', servers });
  }

  const workerCount = (config: Config): number => Math.max(1, opts.workers ?? config.global.workers ?? os.availableParallelism());
  const hardStopAfter = (config: Config): number => opts.hardStopAfterMs ?? config.global.hardStopAfter ?? 0;

  function onMessage(gen: Generation, failure: { message?: string }) {
    return (w: WorkerProcess, msg: WorkerToMaster): void => {
      watchdog.seen(w);
      switch (msg.type) {
        case 'ready':
          // A worker started with `init` accepts with that generation as soon as it is ready.
          if (w.state === 'starting') {
            w.state = gen.state === 'draining' ? 'draining' : 'ready';
            w.activeGeneration = msg.generation;
          }
          w.readyGeneration = msg.generation;
          gen.changed?.();
          break;
        case 'reconfigure-error':
          if (gen.reconfiguring?.target === msg.generation) {
            gen.reconfiguring.failure.message ??= msg.message;
            log.alert(`worker g${gen.id}#${w.index} (pid ${w.pid}) cannot prepare generation ${msg.generation}: ${msg.message}`);
            gen.changed?.();
          }
          break;
        case 'startup-error':
          failure.message ??= msg.message;
          log.alert(`worker g${gen.id}#${w.index} (pid ${w.pid}) failed to start: ${msg.message}`);
          gen.changed?.();
          break;
        case 'counters':
          counters.add(w.pid, msg.deltas, msg.gauges);
          break;
        case 'stats-request':
          w.send({ type: 'stats', requestId: msg.requestId, snapshot: stats() });
          break;
        case 'server-errors':
          // Passive health: on-error applies through the checker (a DOWN is logged and broadcast by
          // its onChange). Answer with the states anyway: the worker stopped picking the server
          // until it hears the master's decision.
          if (health.observedErrors(msg.id, `detected ${msg.errors} consecutive errors, last one was: ${msg.last}`)) {
            log.warning(`server ${msg.id}: worker g${gen.id}#${w.index} saw ${msg.errors} consecutive errors (last: ${msg.last})`);
          }
          broadcastServers();
          break;
        case 'listener-request': {
          // A worker at its share of maxconn closed its copy; another for when it is below again.
          const l = listeners.get(msg.key);
          if (l !== undefined) sendListener(w, msg.key, l.handle, true);
          break;
        }
        case 'drained':
          break;
        case 'generation-drained':
          retiredInPlace(msg.generation, w.pid);
          break;
        case 'activated':
          w.activeGeneration = msg.generation;
          gen.changed?.();
          break;
      }
    };
  }

  /** A worker finished draining an older in-process generation. */
  function retiredInPlace(generation: number, pid: number): void {
    const r = retiringInPlace.get(generation);
    if (r === undefined) return;
    r.pids.delete(pid);
    if (r.pids.size === 0) {
      retiringInPlace.delete(generation);
      log.notice(`generation ${generation} finished draining in ${Date.now() - r.since} ms`);
    }
  }

  function onExit(gen: Generation, failure: { message?: string }) {
    return (w: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void => {
      watchdog.forget(w);
      counters.forget(w.pid);
      for (const id of [...retiringInPlace.keys()]) retiredInPlace(id, w.pid);
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      if (gen.state === 'starting') {
        failure.message ??= `worker g${gen.id}#${w.index} (pid ${w.pid}) exited during startup (${how})`;
        gen.changed?.();
      } else if (gen.state === 'active' && !w.leaving && !stopping) {
        if (gen.reconfiguring !== undefined) {
          gen.reconfiguring.failure.message ??= `worker g${gen.id}#${w.index} (pid ${w.pid}) exited while preparing generation ${gen.reconfiguring.target} (${how})`;
          gen.changed?.();
        }
        log.alert(`worker g${gen.id}#${w.index} (pid ${w.pid}) exited unexpectedly (${how}); replacing it`);
        replaceWorker(gen, w);
      } else if (!w.leaving && gen.state === 'draining') {
        log.warning(`draining worker g${gen.id}#${w.index} (pid ${w.pid}) exited (${how})`);
      }
      if (gen.state === 'draining' && liveWorkers(gen).length === 0) finishGeneration(gen);
      if (stopping && generations().every((g) => liveWorkers(g).length === 0)) allExited?.();
    };
  }

  // A warm spare: a worker process already started (code loaded), waiting for `init`. A crashed
  // worker's replacement, or the first worker of a full reload, takes it and is ready in a few
  // milliseconds instead of ~100; a new spare is forked a little later, off the hot moment.
  let spare: { child: ChildProcess; fingerprint: string } | undefined;
  let spareTimer: NodeJS.Timeout | undefined;

  function scheduleSpare(): void {
    if (stopping || spare !== undefined || spareTimer !== undefined) return;
    spareTimer = setTimeout(() => {
      spareTimer = undefined;
      if (stopping || spare !== undefined) return;
      const child = forkWorkerProcess('spare', opts.uid, opts.gid);
      child.on('error', () => {});
      child.on('exit', () => {
        if (spare?.child === child) spare = undefined;
      });
      spare = { child, fingerprint: codeFingerprint() };
    }, 250);
    spareTimer.unref();
  }

  function takeSpare(): ChildProcess | undefined {
    const s = spare;
    spare = undefined;
    scheduleSpare();
    if (s === undefined) return undefined;
    // A spare started before a code change would run the old code.
    if (usable(s.child) && s.fingerprint === codeFingerprint()) return s.child;
    s.child.kill('SIGKILL');
    return undefined;
  }

  function dropSpare(): void {
    if (spareTimer !== undefined) clearTimeout(spareTimer);
    spareTimer = undefined;
    spare?.child.kill('SIGKILL');
    spare = undefined;
  }

  function spawnInto(gen: Generation, index: number, failure: { message?: string }, useSpare = false): WorkerProcess {
    const child = useSpare ? takeSpare() : undefined;
    const w = spawnWorker({
      ...(child !== undefined ? { child } : {}),
      generation: gen.id,
      index,
      workers: gen.size,
      config: gen.config,
      listeners,
      servers: serverStates(),
      ticketKeys,
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      onMessage: onMessage(gen, failure),
      onExit: onExit(gen, failure),
    });
    workerStartedAt.set(w, Date.now());
    return w;
  }

  function replaceWorker(gen: Generation, dead: WorkerProcess): void {
    // Back off when workers crash in a loop, so a poisoned config cannot fork-bomb the box.
    const now = Date.now();
    while (respawnHistory.length > 0 && now - (respawnHistory[0] ?? 0) > 10_000) respawnHistory.shift();
    respawnHistory.push(now);
    const delay = respawnHistory.length > 10 ? 1000 : 0;
    const doSpawn = () => {
      if (stopping || gen.state !== 'active') return;
      const failure: { message?: string } = {};
      const w = spawnInto(gen, dead.index, failure, true);
      const i = gen.workers.indexOf(dead);
      if (i >= 0) gen.workers[i] = w;
      else gen.workers.push(w);
      log.notice(`worker g${gen.id}#${w.index} started (pid ${w.pid}), replacing pid ${dead.pid}`);
    };
    if (delay === 0) doSpawn();
    else setTimeout(doSpawn, delay).unref();
  }

  function finishGeneration(gen: Generation): void {
    if (gen.state === 'done') return;
    gen.state = 'done';
    if (gen.hardStopTimer) clearTimeout(gen.hardStopTimer);
    const i = draining.indexOf(gen);
    if (i >= 0) draining.splice(i, 1);
    log.notice(`generation ${gen.id} finished draining in ${Date.now() - (gen.drainStartedAt ?? Date.now())} ms`);
  }

  function drainGeneration(gen: Generation): void {
    gen.state = 'draining';
    gen.drainStartedAt = Date.now();
    const hardStop = hardStopAfter(gen.config);
    for (const w of liveWorkers(gen)) {
      w.leaving = true;
      w.state = 'draining';
      w.send({ type: 'drain', hardStopAfterMs: hardStop });
    }
    if (hardStop > 0) {
      // The worker enforces hard-stop-after itself; this is the backstop if it cannot.
      gen.hardStopTimer = setTimeout(() => killGeneration(gen, 'hard-stop-after'), hardStop + 2000);
      gen.hardStopTimer.unref();
    }
    if (liveWorkers(gen).length === 0) finishGeneration(gen);
    else draining.push(gen);
  }

  function killGeneration(gen: Generation, why: string): void {
    const live = liveWorkers(gen);
    if (live.length > 0) log.warning(`stopping generation ${gen.id} now (${why}): killing ${live.length} worker(s)`);
    for (const w of live) {
      w.leaving = true;
      w.kill('SIGKILL');
    }
  }

  function enforceMaxOld(): void {
    while (draining.length > opts.maxOldGenerations) {
      const oldest = draining[0];
      if (oldest === undefined) break;
      killGeneration(oldest, `more than ${opts.maxOldGenerations} generations draining`);
      draining.shift();
      oldest.state = 'done';
    }
  }

  async function startGeneration(config: Config): Promise<Generation> {
    const gen: Generation = { id: nextGenerationId++, config, size: workerCount(config), workers: [], state: 'starting', startedAt: Date.now(), codeFingerprint: codeFingerprint() };
    const failure: { message?: string } = {};
    starting = gen;
    for (let i = 0; i < gen.size; i++) gen.workers.push(spawnInto(gen, i, failure, i === 0 && current !== undefined));
    try {
      await waitReady(gen, gen.id, opts.readyTimeoutMs, failure);
      if (stopping) throw new Error('stopping');
      return gen;
    } catch (err) {
      gen.state = 'done';
      for (const w of gen.workers) {
        w.leaving = true;
        w.kill('SIGKILL');
      }
      await Promise.all(gen.workers.map((w) => w.exited));
      throw err;
    } finally {
      if (starting === gen) starting = undefined;
    }
  }

  /** In-place reload: the running processes build the new configuration beside the current one
   * (no fork, warm code), and switch to it together once every one of them is ready. */
  async function reconfigureInPlace(gen: Generation, config: Config): Promise<number> {
    const target = nextGenerationId++;
    const failure: { message?: string } = {};
    gen.reconfiguring = { target, failure };
    const listenerKeys = [...keysOf(config)];
    const newKeys = listenerKeys.filter((k) => !keysOf(gen.config).has(k));
    const servers = serverStates();
    for (const w of liveWorkers(gen)) {
      w.send({ type: 'reconfigure', generation: target, config, listenerKeys, servers });
      for (const key of newKeys) {
        const l = listeners.get(key);
        if (l !== undefined) sendListener(w, key, l.handle);
      }
    }
    try {
      await waitReady(gen, target, opts.readyTimeoutMs, failure);
      if (stopping) throw new Error('stopping');
    } catch (err) {
      for (const w of liveWorkers(gen)) w.send({ type: 'discard', generation: target });
      throw err;
    } finally {
      gen.reconfiguring = undefined;
    }
    const previous = gen.id;
    const hardStop = hardStopAfter(gen.config);
    for (const w of liveWorkers(gen)) w.send({ type: 'activate', generation: target, hardStopAfterMs: hardStop, maxOldGenerations: opts.maxOldGenerations });
    retiringInPlace.set(previous, { since: Date.now(), pids: new Set(liveWorkers(gen).map((w) => w.pid)) });
    gen.id = target;
    gen.config = config;
    // `reload succeeded` means the new configuration is what accepts: wait for every worker's word.
    await waitActivated(gen, target, opts.readyTimeoutMs);
    return target;
  }

  function waitActivated(gen: Generation, target: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        gen.changed = undefined;
        resolve();
      };
      const timer = setTimeout(() => {
        log.warning(`generation ${target}: not every worker confirmed activation within ${timeoutMs} ms`);
        finish();
      }, timeoutMs);
      gen.changed = () => {
        // A worker that exited meanwhile is replaced with the new configuration: it does not block.
        if (liveWorkers(gen).every((w) => w.activeGeneration >= target || w.state !== 'ready')) finish();
      };
      gen.changed();
    });
  }

  /** Why the next reload must start new processes rather than reconfigure the running ones. */
  function needsNewProcesses(config: Config, full: boolean): string | null {
    if (current === undefined) return 'first start';
    if (full) return 'requested';
    if (codeFingerprint() !== current.codeFingerprint) return 'the code changed';
    if (workerCount(config) !== current.size) return 'the number of workers changed';
    if (liveWorkers(current).length !== current.size || current.workers.some((w) => w.state !== 'ready')) return 'a worker is not ready';
    return null;
  }

  const keysOf = (config: Config | undefined): Set<string> => new Set(config?.frontends.flatMap((f) => f.binds.map((b) => b.key)) ?? []);

  const formatDiagnostics = (ds: Diagnostic[]): string => ds.map(formatDiagnostic).join('\n');

  async function performReload(full: boolean): Promise<ReloadOutcome> {
    const t0 = performance.now();
    const took = () => Math.round(performance.now() - t0);
    if (stopping) return { ok: false, message: 'the master is stopping', tookMs: took() };
    const result = await loadConfig(opts.configFiles, { ...opts.loadOptions, ...(opts.workers !== undefined ? { workersOverride: opts.workers } : {}) });
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic);
    if (result.config === undefined) {
      return { ok: false, message: `configuration has errors, keeping generation ${current?.id ?? '-'}:\n${formatDiagnostics(result.diagnostics.filter((d) => d.severity === 'error'))}`, tookMs: took() };
    }
    const config = result.config;
    if (!hasListener(config)) return { ok: false, message: `configuration has no listener (no 'bind', no 'stats socket'), keeping generation ${current?.id ?? '-'}`, tookMs: took() };
    const bindErrors = listeners.acquire(config.frontends.flatMap((f) => f.binds));
    if (bindErrors.length > 0) {
      return { ok: false, message: bindErrors.map((e) => `${e.bind.loc.file}:${e.bind.loc.line}: error: ${e.message}`).join('\n'), tookMs: took() };
    }
    const why = needsNewProcesses(config, full);
    if (why === null && current !== undefined) {
      try {
        const id = await reconfigureInPlace(current, config);
        inPlaceReloads++;
        health.apply(config);
        broadcastServers();
        for (const key of listeners.release(keysOf(config))) log.notice(`listener ${key} closed (no longer configured)`);
        return { ok: true, generation: id, tookMs: took(), warnings, mode: 'in-place' };
      } catch (err) {
        listeners.release(keysOf(current?.config));
        return { ok: false, message: `new generation failed to start, keeping generation ${current?.id ?? '-'}: ${(err as Error).message}`, tookMs: took() };
      }
    }
    let gen: Generation;
    try {
      gen = await startGeneration(config);
    } catch (err) {
      listeners.release(keysOf(current?.config));
      return { ok: false, message: `new generation failed to start, keeping generation ${current?.id ?? '-'}: ${(err as Error).message}`, tookMs: took() };
    }
    const old = current;
    gen.state = 'active';
    current = gen;
    health.apply(config);
    broadcastServers();
    if (old !== undefined) drainGeneration(old);
    enforceMaxOld();
    for (const key of listeners.release(keysOf(config))) log.notice(`listener ${key} closed (no longer configured)`);
    return { ok: true, generation: gen.id, tookMs: took(), warnings, mode: why === 'first start' ? 'start' : 'new-processes' };
  }

  const queue = createReloadQueue(async (full) => {
    if (current !== undefined) opts.onReloadState?.('reloading');
    const outcome = await performReload(full);
    if (current !== undefined) opts.onReloadState?.('ready');
    if (outcome.ok) {
      if (outcome.generation > 1) {
        reloadsCompleted++;
        log.notice(`reload succeeded (generation ${outcome.generation}, took ${outcome.tookMs} ms, ${outcome.mode})`);
      }
    } else if (current !== undefined) {
      reloadsFailed++;
      log.alert(`reload failed: ${outcome.message}`);
    }
    return outcome;
  });

  function stats(): StatsSnapshot {
    const config = current?.config;
    if (config === undefined) return { generation: 0, workers: 0, uptimeMs: Date.now() - startedAt, rows: [] };
    return counters.snapshot(config, serverStates(), { generation: current?.id ?? 0, workers: current ? liveWorkers(current).length : 0, startedAt });
  }

  async function waitAllExited(): Promise<void> {
    if (generations().every((g) => liveWorkers(g).length === 0)) return;
    await new Promise<void>((r) => (allExited = r));
  }

  return {
    async start() {
      const outcome = await queue.request();
      if (!outcome.ok) throw new Error(outcome.message);
      for (const key of listeners.keys()) {
        const l = listeners.get(key);
        if (l) log.notice(`listening on ${key}${key.endsWith(':0') ? ` (port ${l.port})` : ''}`);
      }
      scheduleSpare();
      return { generation: outcome.generation, warnings: outcome.warnings };
    },
    reload: (full = false) => queue.request(full),
    async stop() {
      if (stopping) return waitAllExited();
      stopping = true;
      dropSpare();
      health.stop();
      watchdog.stop();
      if (starting) killGeneration(starting, 'stopping');
      // Workers close their copies at once when they drain; closing ours makes the port free.
      listeners.closeAll();
      if (current !== undefined) {
        drainGeneration(current);
        current = undefined;
      }
      await waitAllExited();
    },
    async stopNow() {
      stopping = true;
      dropSpare();
      health.stop();
      watchdog.stop();
      listeners.closeAll();
      for (const gen of generations()) killGeneration(gen, 'stop now');
      await Promise.all(generations().flatMap((g) => g.workers.map((w) => w.exited)));
    },
    info() {
      const counts = queue.counts();
      return {
        pid: process.pid,
        startedAt,
        generation: current?.id ?? 0,
        reloads: reloadsCompleted,
        reloadsInPlace: inPlaceReloads,
        reloadsFailed,
        reloadsRequested: Math.max(0, counts.requested - 1),
        workers: current ? liveWorkers(current).length : 0,
        drainingGenerations: draining.length + retiringInPlace.size,
        configFile: opts.configFiles.join(' '),
        listeners: listeners.keys().map((key) => ({ key, port: listeners.get(key)?.port ?? 0 })),
      };
    },
    procs() {
      const out: ProcInfo[] = [{ pid: process.pid, role: 'master', generation: 0, index: 0, state: stopping ? 'stopping' : 'running', uptimeMs: Date.now() - startedAt }];
      for (const gen of generations()) {
        for (const w of liveWorkers(gen)) {
          out.push({ pid: w.pid, role: 'worker', generation: gen.id, index: w.index, state: w.state, uptimeMs: Date.now() - (workerStartedAt.get(w) ?? Date.now()) });
        }
      }
      if (spare !== undefined && usable(spare.child)) out.push({ pid: spare.child.pid ?? -1, role: 'spare', generation: 0, index: 0, state: 'waiting', uptimeMs: 0 });
      return out;
    },
    stats,
    servers() {
      const states = serverStates();
      const config = current?.config;
      if (config === undefined) return [];
      return config.backends.flatMap((b) =>
        b.servers.map((s) => ({ id: s.id, state: states[s.id] ?? { up: true, admin: s.disabled ? ('maint' as const) : ('ready' as const) }, check: health.states().get(s.id)?.lastCheck ?? (s.check ? 'pending' : 'no check') })),
      );
    },
    setServer(id, setting) {
      const known = current?.config.backends.some((b) => b.servers.some((s) => s.id === id));
      if (!known) return `no such server '${id}' (expected BACKEND/SERVER)`;
      runtime.set(id, { ...runtime.get(id), ...setting });
      broadcastServers();
      return null;
    },
    currentConfig: () => current?.config,
  };
}

export type { HealthEntry };
