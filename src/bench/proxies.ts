// The proxy under test, one scenario at a time: how to start it, how to apply the scenario's reload
// mechanism, how many reloads it actually completed, how to stop it. handoff is driven only
// through its CLI, HAProxy through its binary, so neither shares the bench's event loop.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { benchConfig } from './configs.ts';
import { coalescing } from './reload-driver.ts';
import { freePort, signalPid, sleep, spawnLogged, stopProc, waitForHttps, type Proc } from './processes.ts';
import type { ProxyKind, ScenarioName } from './types.ts';

export interface ProxyEnv {
  /** Private temporary directory for configs, sockets, pid and log files. */
  dir: string;
  /** bin/handoff.js */
  cliBin: string;
  haproxyPath?: string;
  workers: number;
  certPath: string;
  backends: { host: string; port: number }[];
}

export interface ProxyUnderTest {
  proxy: ProxyKind;
  scenario: ScenarioName;
  port: number;
  /** Start and wait until the frontend accepts; throws with the log's last lines when it does not. */
  start(): Promise<void>;
  /** The scenario's reload mechanism (fire and forget from the driver's side); null for baseline. */
  reload: (() => Promise<void> | void) | null;
  /** Reloads that took effect, read back from the proxy or counted by the bench; null when unknown. */
  reloadsCompleted(): Promise<number | null>;
  /** Stop every process this scenario started (by PID). */
  stop(): Promise<void>;
  /** Things the bench had to do that the reader should know (e.g. an old instance needed SIGKILL). */
  incidents: string[];
  /** Last lines of the proxy's log, for error messages. */
  logTail(lines?: number): string;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;
/** How long a legacy reload may take until the old instance has left. */
const REBIND_TIMEOUT_MS = 15_000;

let serial = 0;

export async function createProxy(proxy: ProxyKind, scenario: ScenarioName, env: ProxyEnv): Promise<ProxyUnderTest> {
  const id = `${proxy}-${scenario}-${++serial}`;
  const port = await freePort(HOST);
  const cfgPath = join(env.dir, `${id}.cfg`);
  const logPath = join(env.dir, `${id}.log`);
  const adminSocket = join(env.dir, `${id}-admin.sock`);
  const masterSocket = (n: number): string => join(env.dir, `${id}-master${n}.sock`);
  writeFileSync(cfgPath, benchConfig({ proxy, scenario, frontendPort: port, certPath: env.certPath, backends: env.backends, workers: env.workers, adminSocket }));

  const all: Proc[] = [];
  let current: Proc | undefined;
  let completed = 0;
  let instance = 0;
  const incidents: string[] = [];
  const STOP_GRACE_MS = 10_000;

  const spawnOne = (sf: number[] = []): Proc => {
    instance += 1;
    let p: Proc;
    if (proxy === 'haproxy') {
      const bin = env.haproxyPath ?? 'haproxy';
      // -db: foreground, so the spawned pid is the process (or, with -W, the master) itself.
      const mw = scenario === 'handoff' ? ['-W', '-S', masterSocket(instance)] : [];
      p = spawnLogged(bin, [...mw, '-db', '-f', cfgPath, ...(sf.length > 0 ? ['-sf', ...sf.map(String)] : [])], logPath);
    } else {
      const args = [env.cliBin, 'run', '-f', cfgPath, '-p', join(env.dir, `${id}-${instance}.pid`), '-S', masterSocket(instance), '-w', String(env.workers)];
      p = spawnLogged(process.execPath, [...args, ...(sf.length > 0 ? ['-sf', ...sf.map(String)] : [])], logPath);
    }
    all.push(p);
    return p;
  };

  const logTail = (lines = 6): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  const startFresh = async (): Promise<Proc> => {
    const p = spawnOne();
    if (!(await waitForHttps(HOST, port, START_TIMEOUT_MS, p))) {
      await stopProc(p, 'SIGKILL', 1000);
      throw new Error(`${proxy} did not start answering on https://${HOST}:${port}/${p.alive() ? ' in time' : ` (exited: ${await p.exited})`}: ${logTail()}`);
    }
    return p;
  };

  let reload: ProxyUnderTest['reload'] = null;
  if (scenario === 'restart') {
    // Stop, wait for the exit, start again: the port refuses in between.
    reload = coalescing(async () => {
      if (current !== undefined && (await stopProc(current, 'SIGTERM', STOP_GRACE_MS))) {
        incidents.push(`pid ${current.pid} did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM: killed`);
      }
      current = await startFresh();
      completed += 1;
    });
  } else if (scenario === 'rebind') {
    // A new independent process binds next to the old (SO_REUSEPORT) and tells it to finish;
    // the reload is complete when the old one has gone and the new one still runs.
    reload = coalescing(async () => {
      const old = current;
      if (old === undefined) return;
      const next = spawnOne([old.pid]);
      const outcome = await Promise.race([
        old.exited.then(() => 'old-gone' as const),
        next.exited.then(() => 'new-died' as const),
        sleep(REBIND_TIMEOUT_MS).then(() => 'timeout' as const),
      ]);
      if (outcome === 'new-died') throw new Error(`legacy reload: the new ${proxy} exited (${await next.exited}): ${logTail(3)}`);
      current = next;
      if (outcome === 'old-gone' && next.alive()) completed += 1;
    });
  } else if (scenario === 'handoff') {
    // Asynchronous like the seed's `systemctl reload` (kill -USR2): requests may coalesce.
    reload = () => {
      if (current !== undefined) signalPid(current.pid, 'SIGUSR2');
    };
  }

  return {
    proxy,
    scenario,
    port,
    reload,
    logTail,
    incidents,
    async start() {
      current = await startFresh();
    },
    async reloadsCompleted() {
      if (scenario === 'baseline') return 0;
      if (scenario !== 'handoff') return completed;
      if (current === undefined) return null;
      return proxy === 'haproxy' ? haproxyReloads(masterSocket(1), logPath) : handoffReloads(env.cliBin, masterSocket(1));
    },
    async stop() {
      await Promise.all(all.map((p) => stopProc(p, 'SIGTERM', 8000)));
    },
  };
}

/** `handoff ctl 'show info'` → the `Reloads:` line. */
function handoffReloads(cliBin: string, socket: string): number | null {
  const r = spawnSync(process.execPath, [cliBin, 'ctl', '-S', socket, '--timeout', '5s', 'show info'], { encoding: 'utf8', timeout: 10_000 });
  const m = /^Reloads:\s*(\d+)/m.exec(r.stdout ?? '');
  return m === null ? null : Number(m[1]);
}

/**
 * HAProxy's master CLI `show proc`: the master line's <reloads> column counts the reloads the
 * master performed (it survives the master's re-exec). Falls back on the log's
 * "Loading success." lines (one per successful load, the first being the start).
 */
async function haproxyReloads(masterSocket: string, logPath: string): Promise<number | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const out = await unixCommand(masterSocket, 'show proc\n', 3000);
    const m = out === null ? null : /^\d+\s+master\s+(\d+)/m.exec(out);
    if (m !== null && m !== undefined) return Number(m[1]);
    await sleep(200); // the master may be re-executing itself
  }
  try {
    const loads = readFileSync(logPath, 'utf8').match(/Loading success\./g)?.length ?? 0;
    return loads > 0 ? loads - 1 : null;
  } catch {
    return null;
  }
}

function unixCommand(path: string, command: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect({ path });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out === '' ? null : out);
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(command));
    s.on('data', (d: string) => (out += d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out === '' ? null : out);
    });
    s.on('error', () => undefined);
  });
}

/** `HAProxy 2.6.12-1+deb12u4`, or null when the binary does not run. */
export function haproxyVersion(bin: string): string | null {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  const m = /HA-?Proxy version (\S+)/.exec(r.stdout);
  return m === null ? null : `HAProxy ${m[1]}`;
}

/** Find haproxy: an explicit path, else PATH plus the sbin directories PATH often lacks. */
export function findHaproxy(explicit?: string): string | null {
  if (explicit !== undefined) return explicit;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const candidate = join(d, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Null when `handoff run` works here, else why not. */
export function handoffRunUnavailable(cliBin: string): string | null {
  const r = spawnSync(process.execPath, [cliBin, 'run', '--help'], { encoding: 'utf8', timeout: 15_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || /not implemented/i.test(text)) return "'handoff run' is not implemented yet";
  return null;
}
