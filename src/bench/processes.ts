// Child processes of the bench: spawned with their output in a log file, stopped by PID only,
// every wait bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { request } from 'node:https';

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  alive(): boolean;
}

/** Spawn with stdout+stderr appended to `logFile`; stdin closed. */
export function spawnLogged(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Proc {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  } finally {
    closeSync(fd); // the child has its own copy
  }
  return track(child);
}

export function track(child: ChildProcess): Proc {
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  return { pid: child.pid ?? -1, child, exited, alive: () => !done && child.pid !== undefined };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait for exit, at most `ms`; true when it exited. */
export async function waitExit(p: Proc, ms: number): Promise<boolean> {
  if (!p.alive()) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const ok = await Promise.race([p.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return ok;
}

/** `signal`, wait up to `graceMs`, then SIGKILL and wait again. Never throws; true when SIGKILL was needed. */
export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<boolean> {
  if (!p.alive()) return false;
  signalPid(p.pid, signal);
  if (await waitExit(p, graceMs)) return false;
  signalPid(p.pid, 'SIGKILL');
  await waitExit(p, 2000);
  return true;
}

export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** A port below the ephemeral range (32768+) that is free now, for configs that need a number: an
 * outgoing connection can never take it between this check and the proxy's own bind. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const srv = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => resolve(true));
    });
    if (!ok) continue;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
  }
  throw new Error('no free port found below 32768');
}

export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Poll until the port accepts, the process dies, or `timeoutMs` passes. */
export async function waitForPort(host: string, port: number, timeoutMs: number, p?: Proc): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p !== undefined && !p.alive()) return false;
    if (await canConnect(host, port)) return true;
    await sleep(10);
  }
  return false;
}

/** One HTTPS GET that gets any answer (status irrelevant): the proxy accepts, handshakes and proxies. */
export function httpsAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', method: 'GET', rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(true));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Ready means answering, not just accepting: a master may bind before its workers can serve, and
 * the seed's `systemctl restart` returned only once the service was up.
 */
export async function waitForHttps(host: string, port: number, timeoutMs: number, p?: Proc): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p !== undefined && !p.alive()) return false;
    if (await httpsAnswers(host, port)) return true;
    await sleep(20);
  }
  return false;
}
