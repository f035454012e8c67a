// The master process entry: signals as HAProxy's master-worker mode, pid file, master socket,
// `stats socket`s, systemd readiness, and the legacy `-sf`/`-st` takeover of older instances.
import fs from 'node:fs';
import { createMaster } from './master.ts';
import { createLogger } from './log.ts';
import { openControlSocket, type ControlSocket } from './control-socket.ts';
import { resolvePrivileges } from './privileges.ts';
import { sdNotify } from './sd-notify.ts';
import { loadConfig } from '../config/load.ts';
import { formatDiagnostic } from '../config/diagnostics.ts';
import { WORKER_ENTRY } from './worker-process.ts';

export interface RunOptions {
  configFile: string;
  pidFile?: string;
  socketPath: string;
  workers?: number;
  maxOldGenerations: number;
  readyTimeoutMs: number;
  hardStopAfterMs?: number;
  /** Legacy reload: older instances to tell to finish (`-sf`) or to stop now (`-st`). */
  legacy?: { pids: number[]; now: boolean };
  quiet: boolean;
}

export async function runMaster(opts: RunOptions): Promise<number> {
  const log = createLogger(undefined, opts.quiet);

  // Validate once up front to report every diagnostic (warnings included) the way `check` does,
  // and to learn user/group before forking anything.
  const first = await loadConfig(opts.configFile, opts.workers !== undefined ? { workersOverride: opts.workers } : {});
  for (const d of first.diagnostics) (d.severity === 'error' ? log.alert : log.warning)(formatDiagnostic(d));
  if (first.config === undefined) {
    log.alert(`configuration ${opts.configFile} has errors; not starting`);
    return 1;
  }
  const priv = resolvePrivileges(first.config.global.user, first.config.global.group, [WORKER_ENTRY, process.execPath]);
  for (const w of priv.warnings) log.warning(w);

  const master = createMaster({
    configFile: opts.configFile,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    maxOldGenerations: opts.maxOldGenerations,
    readyTimeoutMs: opts.readyTimeoutMs,
    ...(opts.hardStopAfterMs !== undefined ? { hardStopAfterMs: opts.hardStopAfterMs } : {}),
    ...(priv.uid !== undefined ? { uid: priv.uid } : {}),
    ...(priv.gid !== undefined ? { gid: priv.gid } : {}),
    log,
    onReloadState: (state) => sdNotify(state === 'reloading' ? `RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}` : 'READY=1'),
  });

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

  const sockets: ControlSocket[] = [];
  const cleanup = () => {
    for (const s of sockets) s.close();
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
    return 1;
  }

  try {
    sockets.push(await openControlSocket(master, opts.socketPath, 'admin', 0o600));
    for (const s of master.currentConfig()?.global.statsSockets ?? []) {
      try {
        sockets.push(await openControlSocket(master, s.path, s.level, s.mode));
      } catch (err) {
        log.warning(`${s.loc.file}:${s.loc.line}: stats socket ${s.path} not opened: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    log.alert(`cannot open the master socket ${opts.socketPath}: ${(err as Error).message}`);
    await master.stopNow();
    cleanup();
    return 1;
  }
  if (opts.pidFile !== undefined) fs.writeFileSync(opts.pidFile, `${process.pid}\n`);
  sdNotify('READY=1');

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
