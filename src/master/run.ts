// The master process entry: signals as HAProxy's master-worker mode, pid file, master socket,
// `stats socket`s, systemd readiness, and the legacy `-sf`/`-st` takeover of older instances.
import fs from 'node:fs';
import { createMaster, type Master } from './master.ts';
import { createLogger, type Logger } from './log.ts';
import { DEFAULT_MAXCONN, DEFAULT_TIMEOUT_MS, openControlSocket, type ControlSocket, type SocketSettings } from './control-socket.ts';
import { resolvePrivileges } from './privileges.ts';
import { createSdNotifier, notifyDaemonParent, takeDaemonReadyFd } from './sd-notify.ts';
import { hasListener, loadConfig, type LoadOptions } from '../config/load.ts';
import { formatDiagnostic } from '../config/diagnostics.ts';
import { reasonOf } from '../config/stats-sockets.ts';
import type { GlobalConfig, StatsSocket } from '../config/model.ts';
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
  hardStopAfterMs?: number;
  /** Legacy reload: older instances to tell to finish (`-sf`) or to stop now (`-st`). */
  legacy?: { pids: number[]; now: boolean };
  quiet: boolean;
}

/** The runtime-API limits of a socket: the `stats socket` line's, else the global `stats …`. */
function socketSettings(global: GlobalConfig, s?: StatsSocket): SocketSettings {
  const maxconn = s?.maxconn ?? global.statsMaxconn ?? DEFAULT_MAXCONN;
  return {
    level: s?.level ?? 'admin',
    mode: s === undefined ? 0o600 : s.mode,
    maxconn,
    backlog: s?.backlog ?? maxconn,
    timeoutMs: global.statsTimeout ?? DEFAULT_TIMEOUT_MS,
  };
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

/** The `stats socket`s of the configuration being served: opened, kept, updated, closed at reloads. */
function createStatsSockets(master: Master, log: Logger, masterSocketPath: string, ready: Promise<unknown>) {
  const open = new Map<string, ControlSocket>();
  let applying: Promise<void> = Promise.resolve();
  const wanted = (global: GlobalConfig) => global.statsSockets.filter((s) => s.path !== masterSocketPath);
  return {
    /** First start: every configured socket must open, or none is kept and the error is returned. */
    async openAll(global: GlobalConfig): Promise<string | null> {
      for (const s of global.statsSockets) if (s.path === masterSocketPath) log.warning(`${s.loc.file}:${s.loc.line}: stats socket ${s.path} is the master socket (-S); declaration ignored`);
      for (const s of wanted(global)) {
        try {
          open.set(s.path, await openControlSocket(master, s.path, { ...socketSettings(global, s), ready, deferPublish: true }));
        } catch (err) {
          this.closeAll();
          return `${s.loc.file}:${s.loc.line}: stats socket: ${(err as Error).message}`;
        }
      }
      return null;
    },
    /** After a reload: the configuration validated the new paths; one that still fails is reported and the others serve on. */
    apply(global: GlobalConfig): Promise<void> {
      applying = applying.then(async () => {
        const next = new Map(wanted(global).map((s) => [s.path, s]));
        for (const [p, s] of next) {
          const have = open.get(p);
          if (have !== undefined) {
            have.update(socketSettings(global, s));
            continue;
          }
          try {
            open.set(p, await openControlSocket(master, p, { ...socketSettings(global, s), ready }));
            log.notice(`stats socket ${p} opened (level ${s.level})`);
          } catch (err) {
            log.alert(`${s.loc.file}:${s.loc.line}: stats socket: ${(err as Error).message}; not opened`);
          }
        }
        for (const [p, sock] of open) {
          if (next.has(p)) continue;
          sock.close();
          open.delete(p);
          log.notice(`stats socket ${p} closed (no longer configured)`);
        }
      });
      return applying;
    },
    publishAll() {
      for (const sock of open.values()) sock.publish();
    },
    closeAll() {
      for (const sock of open.values()) sock.close();
      open.clear();
    },
  };
}

export async function runMaster(opts: RunOptions): Promise<number> {
  const log = createLogger(undefined, opts.quiet);
  const daemonReadyFd = takeDaemonReadyFd();
  const sdNotify = createSdNotifier();

  // Validate once up front to report every diagnostic (warnings included) the way `check` does,
  // and to learn user/group before forking anything.
  const first = await loadConfig(opts.configFiles, { ...opts.loadOptions, ...(opts.workers !== undefined ? { workersOverride: opts.workers } : {}) });
  for (const d of first.diagnostics) (d.severity === 'error' ? log.alert : log.warning)(formatDiagnostic(d));
  if (first.config === undefined) {
    log.alert(`configuration ${opts.configFiles.join(' ')} has errors; not starting`);
    return 1;
  }
  if (!hasListener(first.config)) {
    log.alert("no enabled listener found (check for 'bind' directives); not starting");
    return 1;
  }
  // What HAProxy refuses at startup is refused here too, before a worker is forked.
  const pidProblem = opts.pidFile !== undefined ? pidFileProblem(opts.pidFile) : null;
  if (pidProblem !== null) {
    log.alert(`cannot create pidfile ${opts.pidFile} (${pidProblem}); not starting`);
    return 1;
  }
  const priv = resolvePrivileges(first.config.global.user, first.config.global.group, [WORKER_ENTRY, process.execPath]);
  for (const w of priv.warnings) log.warning(w);

  const master = createMaster({
    configFiles: opts.configFiles,
    ...(opts.loadOptions !== undefined ? { loadOptions: opts.loadOptions } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    maxOldGenerations: opts.maxOldGenerations,
    readyTimeoutMs: opts.readyTimeoutMs,
    ...(opts.hardStopAfterMs !== undefined ? { hardStopAfterMs: opts.hardStopAfterMs } : {}),
    ...(priv.uid !== undefined ? { uid: priv.uid } : {}),
    ...(priv.gid !== undefined ? { gid: priv.gid } : {}),
    log,
    onReloadState: (state) => {
      sdNotify(state === 'reloading' ? `RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}` : 'READY=1');
      const global = master.currentConfig()?.global;
      if (state === 'ready' && global !== undefined && stopRequested === null) {
        masterSocket?.update(socketSettings(global));
        void statsSockets.apply(global);
      }
    },
  });

  // Every runtime-API socket is bound before the first generation starts; commands wait for it.
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const statsSockets = createStatsSockets(master, log, opts.socketPath, ready);
  let masterSocket: ControlSocket | undefined;
  try {
    masterSocket = await openControlSocket(master, opts.socketPath, { ...socketSettings(first.config.global), ready, mkdir: opts.defaultSocket === true, deferPublish: true });
  } catch (err) {
    log.alert(`master socket (-S): ${(err as Error).message}; not starting`);
    return 1;
  }
  const statsError = await statsSockets.openAll(first.config.global);
  if (statsError !== null) {
    log.alert(`${statsError}; not starting`);
    masterSocket.close();
    return 1;
  }

  let stopRequested: 'graceful' | 'now' | null = null;
  let stopped!: () => void;
  const done = new Promise<void>((r) => (stopped = r));
  const requestStop = (how: 'graceful' | 'now') => {
    if (stopRequested === 'now') return;
    if (stopRequested === 'graceful' || how === 'now') {
      if (stopRequested === null) sdNotify('STOPPING=1');
      stopRequested = 'now';
      log.notice('stopping now: killing every worker');
      void master.stopNow().then(stopped);
      return;
    }
    stopRequested = 'graceful';
    sdNotify('STOPPING=1');
    log.notice('stopping gracefully: draining every generation (send SIGTERM again or SIGQUIT to stop now)');
    void master.stop().then(stopped);
  };
  const onReloadSignal = (sig: string) => {
    if (stopRequested) return;
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

  const cleanup = () => {
    masterSocket?.close();
    statsSockets.closeAll();
    if (opts.pidFile !== undefined) {
      try {
        if (fs.readFileSync(opts.pidFile, 'utf8').split('\n')[0] === String(process.pid)) fs.unlinkSync(opts.pidFile);
      } catch {
        /* gone */
      }
    }
  };

  try {
    const started = await master.start();
    log.notice(`generation ${started.generation} ready (${master.info().workers} workers)`);
  } catch (err) {
    log.alert(`cannot start: ${(err as Error).message}`);
    await master.stopNow();
    cleanup();
    return 1;
  }
  // Only now do the paths point at this instance (a failed `-sf` successor leaves them alone).
  try {
    masterSocket.publish();
    statsSockets.publishAll();
  } catch (err) {
    log.alert(`cannot put the runtime-API sockets in place: ${reasonOf(err)}`);
    await master.stopNow();
    cleanup();
    return 1;
  }
  markReady();
  // The configuration the master started with may differ from the one read above.
  const global = master.currentConfig()?.global;
  if (global !== undefined) {
    masterSocket.update(socketSettings(global));
    await statsSockets.apply(global);
  }
  if (opts.pidFile !== undefined) {
    try {
      fs.writeFileSync(opts.pidFile, `${process.pid}\n`);
    } catch (err) {
      log.alert(`cannot write pidfile ${opts.pidFile} (${reasonOf(err)})`);
    }
  }
  sdNotify('READY=1');
  if (daemonReadyFd !== undefined) notifyDaemonParent(daemonReadyFd);

  if (opts.legacy !== undefined) {
    // Legacy reload: we bound our own sockets next to the old instance's (SO_REUSEPORT); tell it
    // to go. Connections already queued on its sockets are lost when it closes them — that is
    // the failure mode this mode exists to demonstrate.
    for (const pid of opts.legacy.pids) {
      try {
        process.kill(pid, opts.legacy.now ? 'SIGQUIT' : 'SIGUSR1');
      } catch (err) {
        log.warning(`cannot signal old instance ${pid}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  }

  await done;
  cleanup();
  log.notice('all workers exited; master exiting');
  return 0;
}
