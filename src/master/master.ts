// The master wires its parts: the listening sockets (listeners.ts), the cohorts of workers
// (supervisor.ts), the reload (reload.ts), and the state that outlives a generation (health,
// counters, TLS ticket keys, runtime server settings). It never proxies a byte of traffic itself.
import { createStickTables, type StickTables } from './stick-tables.ts';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/model.ts';
import { loadConfig, type LoadOptions } from '../config/load.ts';
import { formatForLog } from '../config/diagnostics.ts';
import type { ServerStates, StatsSnapshot, WorkerToMaster } from '../ipc/messages.ts';
import { createHealthChecker, type HealthChecker, type HealthEntry } from '../health/checker.ts';
import { createListenerRegistry, type ListenerRegistry } from './listeners.ts';
import { createCounterStore, type CounterStore } from './counters.ts';
import { createCounterRefresh, type CounterRefresh } from './counters-refresh.ts';
import { createStateHistory, statRows, type RowSources } from './stat-rows.ts';
import { createMetricsStore, metricsExtra, type MetricsStore } from './admin-metrics.ts';
import type { ReloadOutcome } from './reload-queue.ts';
import { createReloader, type Reloader } from './reload.ts';
import { createSupervisor, type Supervisor } from './supervisor.ts';
import { liveWorkers, type Cohort } from './cohort.ts';
import type { WorkerProcess } from './worker-process.ts';
import type { Logger } from './log.ts';
import { applyPageAction } from './admin-page.ts';
import { createPatternStore } from './admin-maps.ts';
import type { AdminTarget, MasterInfo, ProcInfo, RuntimeServerSetting, ServerReport } from '../admin/target.ts';
import { createDynamic, type Dynamic } from './admin-dynamic.ts';
import { createFrontendControl, type FrontendControl } from './admin-frontends.ts';
import { createServerSettings, mergeStates, type ServerSettings } from './server-settings.ts';
import { createStateFileLoader } from './server-state-file.ts';
import { createDnsResolution, type DnsResolution } from './dns-resolution.ts';

export interface MasterOptions {
  /** Read in order as one configuration at every reload (a directory: its `*.cfg` files). */
  configFiles: readonly string[];
  /** Command-line overrides applied at every load (`-n`, `-N`); `workers` is added to them. */
  loadOptions?: LoadOptions;
  /** `--workers`: overrides `nbthread`; default CPU count. */
  workers?: number;
  maxOldGenerations: number;
  readyTimeoutMs: number;
  /** Keep a warm spare (supervisor.ts): off unless asked, it costs a process. */
  warmSpare?: boolean;
  /** Overrides `hard-stop-after` when set. */
  hardStopAfterMs?: number;
  uid?: number;
  gid?: number;
  log: Logger;
  /** Told when a reload starts and ends, whatever asked for it (systemd's RELOADING=1 / READY=1). */
  onReloadState?: (state: 'reloading' | 'ready') => void;
}

export interface Master extends AdminTarget {
  /** Load the configuration, bind, start generation 1. Rejects with a user-facing message. */
  start(): Promise<{ generation: number; warnings: string[] }>;
  /** Reload; `full` forces new worker processes (otherwise only when the code changed). */
  reload(full?: boolean): Promise<ReloadOutcome>;
  /** Soft stop: stop accepting, drain every cohort, resolve when every worker has exited. */
  stop(): Promise<void>;
  /** Now: kill every worker. */
  stopNow(): Promise<void>;
  currentConfig(): Config | undefined;
}

/** What the master's parts share: built once in createMaster, read by the Master's methods. */
interface Parts {
  opts: MasterOptions;
  startedAt: number;
  listeners: ListenerRegistry;
  counters: CounterStore;
  /** Asks the workers for their counters before they are read (`show stat`, the page, the exporter). */
  refresh: CounterRefresh;
  /** Servers' and backends' state changes (lastchg, downtime). */
  history: RowSources['history'];
  /** The workers' latency histograms and carried connections, summed (the Prometheus exporter's). */
  metrics: MetricsStore;
  health: HealthChecker;
  /** `set server` settings, kept across reloads. */
  runtime: Map<string, RuntimeServerSetting>;
  supervisor: Supervisor;
  reloader: Reloader;
  serverStates(): ServerStates;
  broadcastServers(): void;
  patterns: ReturnType<typeof createPatternStore>;
  /** `add server`/`del server`, sessions: admin-dynamic.ts. */
  dynamic: Dynamic;
  /** `disable|enable|shutdown frontend`: admin-frontends.ts. */
  frontends: FrontendControl;
  /** `set server` & co., the server state file: server-settings.ts. */
  settings: ServerSettings;
  /** The stick tables of the whole proxy (stick-tables.ts). */
  stick: StickTables;
  /** `server … resolvers R`: dns-resolution.ts. */
  dns: DnsResolution;
}

export function createMaster(opts: MasterOptions): Master {
  const log = opts.log;
  const listeners = createListenerRegistry();
  const counters = createCounterStore();
  const stick = createStickTables();
  const runtime = new Map<string, RuntimeServerSetting>();
  const health = createHealthChecker((id, entry) => {
    log.notice(`server ${id} is ${entry.up ? (entry.nolb ? 'NOLB' : 'UP') : 'DOWN'} (${entry.lastCheck})`);
    settings.changed(id);
    broadcastServers();
  });
  const serverStates = (): ServerStates => dns.withMaintenance(mergeStates(health, runtime));
  const broadcastServers = (): void => supervisor.broadcast({ type: 'servers', servers: serverStates() });
  const hardStopAfter = (config: Config): number => opts.hardStopAfterMs ?? config.global.hardStopAfter ?? 0;
  const supervisor = createSupervisor({
    listeners,
    log,
    ticketKeys: randomBytes(48).toString('base64'),
    serverStates,
    hardStopAfter,
    maxOldCohorts: opts.maxOldGenerations,
    spare: opts.warmSpare === true,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    onReport: (cohort, w, msg) => onReport(parts, cohort, w, msg),
    onGone: (w) => {
      counters.forget(w.pid);
      stick.forget(w.pid);
    },
  });
  const dynamic = createDynamic({ current: () => supervisor.current(), cohorts: () => supervisor.cohorts(), runtime, health, broadcast: (m) => supervisor.broadcast(m), broadcastServers, log });
  const settings = createServerSettings({ config: () => supervisor.current()?.config, runtime, health, broadcast: (m) => supervisor.broadcast(m), broadcastServers, states: serverStates, stats: () => stats(parts) });
  const dns = createDnsResolution({ config: () => supervisor.current()?.config, runtime, set: (id, s) => settings.set(id, s), states: () => mergeStates(health, runtime), sessions: (id) => counters.values(`srv/${id}`).scur ?? 0, changed: (id) => settings.changed(id), pauseChecks: (id, paused) => health.setPaused(id, paused || runtime.get(id)?.checksDisabled === true), broadcastServers, log });
  const stateFiles = createStateFileLoader();
  const frontends = createFrontendControl({ current: () => supervisor.current(), listeners, ask: dynamic.ask, log });
  const reloader = createReloader({
    load: async () => {
      const loaded = await loadConfig(opts.configFiles, { ...opts.loadOptions, ...(opts.workers !== undefined ? { workersOverride: opts.workers } : {}) });
      // Stopped frontends accept again and servers added at run time stay (admin-dynamic.ts).
      if (loaded.config !== undefined) await frontends.resumeAll();
      const merged = dynamic.merge(loaded);
      if (merged.config === undefined) return merged;
      stick.prepare(merged.config.stickTables);
      // The server state file, then every runtime setting, written into the new configuration.
      const states = await stateFiles.load(merged.config);
      for (const d of states.diagnostics) log.warning(formatForLog(d));
      settings.restore(states.restored);
      settings.overrides(merged.config);
      const unresolved = await dns.initAddr(merged.config);
      if (unresolved.length > 0) return { ...merged, config: undefined, diagnostics: [...merged.diagnostics, ...states.diagnostics, ...unresolved] };
      return { ...merged, diagnostics: [...merged.diagnostics, ...states.diagnostics] };
    },
    listeners,
    supervisor,
    log,
    readyTimeoutMs: opts.readyTimeoutMs,
    maxOldGenerations: opts.maxOldGenerations,
    workerCount: (config) => Math.max(1, opts.workers ?? config.global.workers ?? os.availableParallelism()),
    hardStopAfter,
    serverStates,
    onActivated(config) {
      // The unix sockets go to their paths only now that a generation accepts on them.
      for (const problem of listeners.publish()) log.warning(problem);
      dynamic.activated(config);
      stick.prepare(config.stickTables);
      stick.keepOnly(config.stickTables);
      health.apply(config);
      settings.activated(config);
      dns.apply(config);
      broadcastServers();
    },
    ...(opts.onReloadState !== undefined ? { onReloadState: opts.onReloadState } : {}),
  });
  const patterns = createPatternStore({ current: () => supervisor.current(), broadcast: (msg) => supervisor.broadcast(msg) });
  const refresh = createCounterRefresh(() => supervisor.cohorts().flatMap(liveWorkers));
  const history = createStateHistory();
  const parts: Parts = { opts, startedAt: Date.now(), listeners, counters, refresh, history, metrics: createMetricsStore(), health, runtime, supervisor, reloader, serverStates, broadcastServers, patterns, dynamic, frontends, settings, stick, dns };
  return masterOf(parts);
}

/** A worker's counters, stats requests and passive-health reports. */
function onReport(p: Parts, cohort: Cohort, w: WorkerProcess, msg: WorkerToMaster): void {
  switch (msg.type) {
    case 'counters':
      p.counters.add(w.pid, msg.deltas, msg.gauges);
      p.metrics.addHistograms(msg.histograms);
      if (msg.requestId !== undefined) p.refresh.answered(msg.requestId, w.pid);
      break;
    case 'activated':
      p.metrics.addCarried(msg.carried ?? 0);
      break;
    case 'stats-request':
      void p.refresh.refresh().then(() => {
        w.send({ type: 'stats', requestId: msg.requestId, snapshot: stats(p), ...(msg.metrics ? { metrics: metricsExtra(info(p), p.supervisor.current()?.config, p.metrics, p.supervisor.stopping()) } : {}) });
      });
      break;
    case 'stats-admin':
      w.send({ type: 'stats-admin-result', requestId: msg.requestId, code: applyPageAction(p.supervisor.current()?.config, msg, (id, setting) => p.settings.set(id, setting)) });
      break;
    case 'server-errors':
      // Passive health: on-error applies through the checker (a DOWN is logged and broadcast by
      // its onChange). Answer with the states anyway: the worker stopped picking the server
      // until it hears the master's decision.
      if (p.health.observedErrors(msg.id, `detected ${msg.errors} consecutive errors, last one was: ${msg.last}`)) {
        p.opts.log.warning(`server ${msg.id}: worker g${cohort.generation}#${w.index} saw ${msg.errors} consecutive errors (last: ${msg.last})`);
      }
      p.broadcastServers();
      break;
    case 'admin-answer':
      p.dynamic.answered(msg);
      break;
    case 'stick-ops': {
      const answers = p.stick.apply(w.pid, msg.ops);
      if (answers.length > 0) w.send({ type: 'stick-entries', answers });
      break;
    }
    default:
      break;
  }
}

/** The stat rows from the counters as last reported (callers refresh them first). */
function stats(p: Parts): StatsSnapshot {
  const current = p.supervisor.current();
  const now = Date.now();
  const droppedLogs = p.counters.droppedLogs();
  if (current === undefined) return { generation: 0, workers: 0, uptimeMs: now - p.startedAt, rows: [], droppedLogs };
  const rows = statRows(current.config, { values: (obj) => p.counters.values(obj), servers: p.serverStates(), health: p.health.states(), history: p.history, now, startedAt: p.startedAt, frontendStatus: (name) => p.frontends.status(name) });
  return { generation: current.generation, workers: liveWorkers(current).length, uptimeMs: now - p.startedAt, rows, droppedLogs };
}

/** `clear counters [all]`: the workers restart their maxima, then report afresh. */
async function clearCounters(p: Parts, all: boolean): Promise<void> {
  p.supervisor.broadcast({ type: 'clear-counters' });
  p.counters.clear(all);
  await p.refresh.refresh();
}

function masterOf(p: Parts): Master {
  const { supervisor, listeners, opts } = p;
  const stopParts = (): void => {
    p.health.stop();
    p.dns.stop();
    // Workers close their copies at once when they drain; closing ours makes the port free.
    listeners.closeAll();
  };
  return {
    async start() {
      const outcome = await p.reloader.request();
      if (!outcome.ok) throw new Error(outcome.message);
      for (const key of listeners.keys()) {
        const l = listeners.get(key);
        if (l) opts.log.notice(`listening on ${key}${key.endsWith(':0') ? ` (port ${l.port})` : ''}`);
      }
      supervisor.spare()?.schedule();
      return { generation: outcome.generation, warnings: outcome.warnings };
    },
    reload: (full = false) => p.reloader.request(full),
    stop() {
      if (!supervisor.stopping()) stopParts();
      return supervisor.stop();
    },
    stopNow() {
      stopParts();
      return supervisor.stopNow();
    },
    info: () => info(p),
    procs: () => procs(p),
    stats: async () => {
      await p.refresh.refresh();
      return stats(p);
    },
    clearCounters: (all) => clearCounters(p, all),
    servers: () => p.dns.annotate(p.settings.reports()),
    backendNames: () => supervisor.current()?.config.backends.map((b) => b.name) ?? [],
    setServer: (id, setting) => p.settings.set(id, setting),
    currentConfig: () => supervisor.current()?.config,
    ...p.patterns,
    stickTables: () => p.stick,
    addServer: (backend, name, words) => p.dynamic.addServer(backend, name, words),
    delServer: (backend, name) => p.dynamic.delServer(backend, name),
    sessions: () => p.dynamic.sessions(),
    shutdownSession: (id) => p.dynamic.shutdownSession(id),
    shutdownServerSessions: (backend, name) => p.dynamic.shutdownServerSessions(backend, name),
    frontend: (name, action) => p.frontends.run(name, action),
    resolvers: () => p.dns.sections(),
  };
}

function info(p: Parts): MasterInfo {
  const counts = p.reloader.counts();
  const current = p.supervisor.current();
  return {
    pid: process.pid,
    startedAt: p.startedAt,
    generation: current?.generation ?? 0,
    reloads: counts.completed,
    reloadsInPlace: counts.inPlace,
    reloadsFailed: counts.failed,
    reloadsFailedInPlace: counts.failedInPlace,
    reloadsFailedNewProcesses: counts.failedNewProcesses,
    ...(counts.lastTookMs !== undefined ? { lastReloadMs: counts.lastTookMs } : {}),
    reloadsRequested: counts.requested,
    workers: current ? liveWorkers(current).length : 0,
    drainingGenerations: p.supervisor.drainingCount(),
    configFile: p.opts.configFiles.join(' '),
    listeners: p.listeners.keys().map((key) => ({ key, port: p.listeners.get(key)?.port ?? 0 })),
    ...(current?.config.global.maxconn !== undefined ? { maxconn: current.config.global.maxconn } : {}),
  };
}

function procs(p: Parts): ProcInfo[] {
  const now = Date.now();
  const out: ProcInfo[] = [{ pid: process.pid, role: 'master', generation: 0, index: 0, state: p.supervisor.stopping() ? 'stopping' : 'running', uptimeMs: now - p.startedAt }];
  for (const c of p.supervisor.cohorts()) {
    for (const w of liveWorkers(c)) out.push({ pid: w.pid, role: 'worker', generation: c.generation, index: w.index, state: w.state, uptimeMs: now - w.startedAt });
  }
  const spare = p.supervisor.spare()?.pid();
  if (spare !== undefined) out.push({ pid: spare, role: 'spare', generation: 0, index: 0, state: 'waiting', uptimeMs: 0 });
  return out;
}

export type { HealthEntry, MasterInfo, ProcInfo, RuntimeServerSetting };
