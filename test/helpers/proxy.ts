// Integration-test helpers: the real `handoff` binary (run, backend) as child processes, a
// generated certificate, a free port, and the load engine with ab-like defaults.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCert } from './tls.ts';
import { runLoad } from '../../src/load/engine.ts';
import type { LoadOptions, LoadReport } from '../../src/load/types.ts';
import { sendCommand, type CommandReply } from '../../src/admin/client.ts';

export const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

export function tempDir(prefix = 'handoff-it-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export { freePort } from '../../src/bench/processes.ts';

export async function writeCert(dir: string): Promise<string> {
  const c = await testCert();
  const file = path.join(dir, 'cert.pem');
  fs.writeFileSync(file, c.cert + c.key);
  return file;
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

function startProc(args: string[], opts: { cwd?: string; stdout?: 'pipe' | number } = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'], cwd: opts.cwd });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, proc?: Proc): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) throw new Error(`${what}: process exited early:\n${proc.output()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${proc ? `:\n${proc.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Backends extends Proc {
  ports: number[];
}

/** `handoff backend --quiet` on `count` ephemeral ports, plus extra flags (`--delay 2000`…). */
export async function startBackends(count: number, extra: string[] = []): Promise<Backends> {
  const p = startProc(['backend', '--quiet', ...extra, ...Array.from({ length: count }, () => '0')]);
  await waitFor('backends listening', () => (p.output().match(/listening on/g) ?? []).length >= count, 10_000, p);
  const ports = [...p.output().matchAll(/listening on [\d.]+:(\d+)/g)].map((m) => Number(m[1]));
  return { ...p, ports };
}

export interface Handoff extends Proc {
  socket: string;
  pidFile: string;
  configFile: string;
  ctl(command: string): Promise<CommandReply>;
  info(): Promise<Record<string, string>>;
  /** PIDs of the live workers, from `show proc`. */
  workerPids(): Promise<number[]>;
}

/** `opts.stdout`: an open fd to give the process as its stdout (e.g. /dev/full) instead of a pipe. */
export async function startHandoff(dir: string, config: string, args: string[] = [], opts: { stdout?: 'pipe' | number } = {}): Promise<Handoff> {
  const configFile = path.join(dir, 'handoff.cfg');
  fs.writeFileSync(configFile, config);
  const socket = path.join(dir, `master-${Date.now()}-${Math.random().toString(36).slice(2)}.sock`);
  const pidFile = path.join(dir, 'handoff.pid');
  const p = startProc(['run', '-f', configFile, '-S', socket, '-p', pidFile, ...args], opts.stdout !== undefined ? { stdout: opts.stdout } : {});
  const ctl = (command: string) => sendCommand(socket, command, 30_000);
  await waitFor('handoff ready', () => fs.existsSync(pidFile) && /generation \d+ ready/.test(p.output()), 20_000, p);
  return {
    ...p,
    socket,
    pidFile,
    configFile,
    ctl,
    async info() {
      const r = await ctl('show info');
      return Object.fromEntries(r.output.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
    },
    async workerPids() {
      const r = await ctl('show proc');
      return r.output
        .split('\n')
        .filter((l) => /\sworker\s/.test(l))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    },
  };
}

export function seedLikeConfig(opts: { port: number; backends: number[]; cert?: string; extraGlobal?: string; extraFrontend?: string; extraBackend?: string }): string {
  return `global
    maxconn 4096
    ssl-default-bind-options no-sslv3 no-tlsv10
${opts.extraGlobal ?? ''}
defaults
    mode http
    option forwardfor
    retries 3
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend www
    bind 127.0.0.1:${opts.port}${opts.cert ? ` ssl crt ${opts.cert}` : ''}
    http-request add-header X-Forwarded-Proto https
${opts.extraFrontend ?? ''}
    default_backend app

backend app
    balance roundrobin
${opts.extraBackend ?? ''}
${opts.backends.map((p, i) => `    server s${i} 127.0.0.1:${p} check inter 500`).join('\n')}
`;
}

export function load(url: string, opts: Partial<LoadOptions>): Promise<LoadReport> {
  return runLoad({
    url,
    requests: 100,
    concurrency: 10,
    keepAlive: false,
    variableLength: true,
    tls: url.startsWith('https') ? 'TLS1.2' : 'ALL',
    timeoutMs: 30_000,
    headers: [],
    method: 'GET',
    progress: false,
    ...opts,
  });
}

/** Fire `fn` every `intervalMs` until `stop` is aborted; returns how many times it fired. */
export async function every(intervalMs: number, stop: AbortSignal, fn: () => void, maxTimes = 10_000): Promise<number> {
  let n = 0;
  while (!stop.aborted && n < maxTimes) {
    fn();
    n++;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until it holds; returns the ms it took, throws after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, detail: () => string = () => ''): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${detail()}`.trimEnd());
    await sleep(20);
  }
  return Date.now() - t0;
}

/** End what a test started (SIGTERM, or `signal`) and wait until every one has exited. */
export async function stopAll(procs: (Proc | undefined)[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  for (const p of procs) p?.kill(signal);
  await Promise.all(procs.map((p) => p?.exited));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function describeFailures(r: LoadReport): string {
  return `${r.failedRequests} failed ${JSON.stringify(r.failures)}, non-2xx ${r.non2xx}`;
}
