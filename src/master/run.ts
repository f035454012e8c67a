// The master process entry: signals as HAProxy's master-worker mode, pid file, master socket,
// `stats socket`s, systemd readiness, and the legacy `-sf`/`-st` takeover of older instances.
import fs from 'node:fs';
import { createMaster, type Master } from './master.ts';
import { createLogger, type Logger } from './log.ts';
import { resolvePrivileges } from './privileges.ts';
import { createSdNotifier, notifyDaemonParent, takeDaemonReadyFd } from './sd-notify.ts';
import { openControlSocket } from '../admin/control-socket.ts';
import { createStatsSockets, socketSettings } from '../admin/stats-sockets.ts';
import { hasListener, loadConfig, type LoadOptions } from '../config/load.ts';
import { formatForLog } from '../config/diagnostics.ts';
import { reasonOf } from '../config/stats-sockets.ts';
import type { Config, GlobalConfig } from '../config/model.ts';
import { WORKER_ENTRY } from './worker-process.ts';

export interface RunOptions {
  /** `-f` in order; a directory stands for its `*.cfg` files. */
  configFiles: string[];
  /** `-n` / `-N` overrides, applied at every load. */
  loadOptions?: LoadOptions;
  pidFile?: string;
  socketPath: string;
  /** The master socket is the default path (`-S` not given): its directory may be created. */
  defaultSocket?: boolean;
  workers?: number;
  maxOldGenerations: number;
  readyTimeoutMs: number;
  /** `--warm-spare`: keep one worker process started ahead. */
  warmSpare?: boolean;
  hardStopAfterMs?: number;
  /** Legacy reload: older instances to tell to finish (`-sf`) or to stop now (`-st`). */
  legacy?: { pids: number[]; now: boolean };
  quiet: boolean;
}

/** Why the pid file cannot be written, checked before anything is forked (HAProxy: "Cannot create pidfile"). */
function pidFileProblem(file: string): string | null {
  const existed = fs.existsSync(file);
  try {
    fs.closeSync(fs.openSync(file, 'a'));
  } catch (err) {
    return reasonOf(err);
  }
  if (!existed) fs.rmSync(file, { force: true });
  return null;
}

/** The first load, validated as `check` does, with every diagnostic logged; null: do not start. */
async function validateFirstLoad(opts: RunOptions, log: Logger): Promise<Config | null> {
  const first = await loadConfig(opts.configFiles, { ...opts.loadOptions, ...(opts.workers !== undefined ? { workersOverride: opts.workers } : {}) });
  for (const d of first.diagnostics) (d.severity === 'error' ? log.alert : d.severity === 'warning' ? log.warning : log.notice)(formatForLog(d));
  if (first.config === undefined) {
    log.alert(`configuration ${opts.configFiles.join(' ')} has errors; not starting`);
    return null;
  }
  if (!hasListener(first.config)) {
    log.alert("no enabled listener found (check for 'bind' directives); not starting");
    return null;
  }
  // What HAProxy refuses at startup is refused here too, before a worker is forked.
  const pidProblem = opts.pidFile !== undefined ? pidFileProblem(opts.pidFile) : null;
  if (pidProblem !== null) {
    log.alert(`cannot create pidfile ${opts.pidFile} (${pidProblem}); not starting`);
    return null;
  }
  return first.config;
}

/** The master socket and the `stats socket`s, handled as one. */
interface RuntimeSockets {
  /** The settings of a configuration now served (after a reload). */
  apply(global: GlobalConfig): Promise<void>;
  /** Point the paths at this instance. */
  publish(): void;
  close(): void;
}

/** Bind every runtime-API socket before the first generation starts; commands wait for `ready`. */
async function openRuntimeSockets(master: Master, log: Logger, opts: RunOptions, global: GlobalConfig, ready: Promise<void>): Promise<RuntimeSockets | null> {
  const statsSockets = createStatsSockets(master, log, opts.socketPath, ready);
  const masterSocket = await openControlSocket(master, opts.socketPath, { ...socketSettings(global), ready, mkdir: opts.defaultSocket === true, deferPublish: true, master: true, sockets: statsSockets.describe }).catch((err: unknown) => {
    log.alert(`master socket (-S): ${(err as Error).message}; not starting`);
    return null;
  });
  if (masterSocket === null) return null;
  const statsError = await statsSockets.openAll(global);
  if (statsError !== null) {
    log.alert(`${statsError}; not starting`);
    masterSocket.close();
    return null;
  }
  return {
    apply(next) {
      masterSocket.update(socketSettings(next));
      return statsSockets.apply(next);
    },
    publish() {
      masterSocket.publish();
      statsSockets.publishAll();
    },
    close() {
      masterSocket.close();
      statsSockets.closeAll();
    },
  };
}

type StopMode = 'graceful' | 'now';

/** Signals as HAProxy's master-worker mode: reload, drain and exit, or kill every worker now. */
function handleSignals(master: Master, log: Logger, sdNotify: (state: string) => void) {
  let requested: StopMode | null = null;
  let stopped!: () => void;
  const done = new Promise<void>((r) => (stopped = r));
  const requestStop = (how: StopMode) => {
    if (requested === 'now') return;
    if (requested === 'graceful' || how === 'now') {
      if (requested === null) sdNotify('STOPPING=1');
      requested = 'now';
      log.notice('stopping now: killing every worker');
      void master.stopNow().then(stopped);
      return;
    }
    requested = 'graceful';
    sdNotify('STOPPING=1');
    log.notice('stopping gracefully: draining every generation (send SIGTERM again or SIGQUIT to stop now)');
    void master.stop().then(stopped);
  };
  const onReloadSignal = (sig: string) => {
    if (requested) return;
    log.notice(`${sig} received: reloading`);
    void master.reload();
  };
  process.on('SIGUSR2', () => onReloadSignal('SIGUSR2'));
  process.on('SIGHUP', () => onReloadSignal('SIGHUP'));
  process.on('SIGTERM', () => requestStop('graceful'));
  process.on('SIGINT', () => requestStop('graceful'));
  process.on('SIGUSR1', () => requestStop('graceful'));
  process.on('SIGQUIT', () => requestStop('now'));
  // A closed stdout/stderr (e.g. the terminal went away) must not kill the master.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  return { done, stopRequested: () => requested };
}

function removePidFile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').split('\n')[0] === String(process.pid)) fs.unlinkSync(file);
  } catch {
    /* gone */
  }
}

/** Legacy reload: we bound our own sockets next to the old instance's (SO_REUSEPORT); tell it to
 * go. Connections already queued on its sockets are lost when it closes them — that is the failure
 * mode this mode exists to demonstrate. */
function signalOldInstances(legacy: { pids: number[]; now: boolean }, log: Logger): void {
  for (const pid of legacy.pids) {
    try {
      process.kill(pid, legacy.now ? 'SIGQUIT' : 'SIGUSR1');
    } catch (err) {
      log.warning(`cannot signal old instance ${pid}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}

export async function runMaster(opts: RunOptions): Promise<number> {
  const log = createLogger(undefined, opts.quiet);
  const daemonReadyFd = takeDaemonReadyFd();
  const sdNotify = createSdNotifier();

  // Validate once up front to report every diagnostic (warnings included) the way `check` does,
  // and to learn user/group before forking anything.
  const first = await validateFirstLoad(opts, log);
  if (first === null) return 1;
  const priv = resolvePrivileges(first.global.user, first.global.group, [WORKER_ENTRY, process.execPath]);
  for (const w of priv.warnings) log.warning(w);

  let sockets: RuntimeSockets | null = null;
  let signals: ReturnType<typeof handleSignals> | undefined;
  const master = createMaster({
    configFiles: opts.configFiles,
    ...(opts.loadOptions !== undefined ? { loadOptions: opts.loadOptions } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    maxOldGenerations: opts.maxOldGenerations,
    readyTimeoutMs: opts.readyTimeoutMs,
    warmSpare: opts.warmSpare === true,
    ...(opts.hardStopAfterMs !== undefined ? { hardStopAfterMs: opts.hardStopAfterMs } : {}),
    ...(priv.uid !== undefined ? { uid: priv.uid } : {}),
    ...(priv.gid !== undefined ? { gid: priv.gid } : {}),
    log,
    onReloadState: (state) => {
      sdNotify(state === 'reloading' ? `RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}` : 'READY=1');
      const global = master.currentConfig()?.global;
      if (state === 'ready' && global !== undefined && signals?.stopRequested() === null) void sockets?.apply(global);
    },
  });

  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const opened = await openRuntimeSockets(master, log, opts, first.global, ready);
  if (opened === null) return 1;
  sockets = opened;
  signals = handleSignals(master, log, sdNotify);
  const cleanup = () => {
    opened.close();
    if (opts.pidFile !== undefined) removePidFile(opts.pidFile);
  };
  const refuse = async (message: string) => {
    log.alert(message);
    await master.stopNow();
    cleanup();
    return 1;
  };

  try {
    const started = await master.start();
    log.notice(`generation ${started.generation} ready (${master.info().workers} workers)`);
  } catch (err) {
    return refuse(`cannot start: ${(err as Error).message}`);
  }
  // Only now do the paths point at this instance (a failed `-sf` successor leaves them alone).
  try {
    opened.publish();
  } catch (err) {
    return refuse(`cannot put the runtime-API sockets in place: ${reasonOf(err)}`);
  }
  markReady();
  // The configuration the master started with may differ from the one read above.
  const global = master.currentConfig()?.global;
  if (global !== undefined) await opened.apply(global);
  if (opts.pidFile !== undefined) {
    try {
      fs.writeFileSync(opts.pidFile, `${process.pid}\n`);
    } catch (err) {
      log.alert(`cannot write pidfile ${opts.pidFile} (${reasonOf(err)})`);
    }
  }
  sdNotify('READY=1');
  if (daemonReadyFd !== undefined) notifyDaemonParent(daemonReadyFd);
  if (opts.legacy !== undefined) signalOldInstances(opts.legacy, log);

  await signals.done;
  cleanup();
  log.notice('all workers exited; master exiting');
  return 0;
}
