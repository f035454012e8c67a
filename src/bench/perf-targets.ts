// The processes `npm run bench perf` measures and feeds: the Node and nginx backends, and each
// proxy (handoff, HAProxy, nginx) started from its binary with a config in the temp dir, ready
// once every frontend answers. Each is stopped by its PID, with every process of its tree.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { haproxyConfig, nginxBackendConfig, nginxProxyConfig, type Route } from './perf-configs.ts';
import { spawnRaised, stopTree } from './perf-procs.ts';
import { freePort, httpsAnswers, sleep, type Proc } from './processes.ts';

export type PerfProxy = 'handoff' | 'haproxy' | 'nginx';

export interface TargetEnv {
  dir: string;
  /** bin/handoff.js */
  cliBin: string;
  haproxyBin: string | null;
  nginxBin: string | null;
  /** The open-files limit of the bench's children. */
  nofile: number;
}

export interface Running {
  name: string;
  pid: number;
  /** Frontend (or backend) port by route name. */
  ports: Map<string, number>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
let serial = 0;

const NODE_BACKEND = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
const handler = (req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); };
for (const port of process.env.PERF_PORTS.split(',')) {
  const s = http.createServer(handler);
  s.keepAliveTimeout = 120000;
  s.headersTimeout = 121000;
  s.maxRequestsPerSocket = 0;
  s.listen(Number(port), '127.0.0.1');
}
`;

function httpOk(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: HOST, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function tail(path: string, lines = 5): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Wait until every route answers (bounded); on failure stop the process and throw with its log. */
async function ready(name: string, p: Proc, routes: readonly { port: number; tls: boolean }[], log: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const r of routes) {
    for (;;) {
      if (!p.alive()) throw new Error(`${name} exited (${await p.exited}): ${tail(log)}`);
      if (await (r.tls ? httpsAnswers(HOST, r.port) : httpOk(r.port))) break;
      if (Date.now() > deadline) {
        await stopTree(p, 'SIGKILL', 1000);
        throw new Error(`${name} did not answer on port ${r.port} within ${READY_TIMEOUT_MS / 1000} s: ${tail(log)}`);
      }
      await sleep(50);
    }
  }
}

function running(name: string, p: Proc, ports: Map<string, number>, signal: NodeJS.Signals): Running {
  return { name, pid: p.pid, ports, stop: () => stopTree(p, signal) };
}

/** A free port per lane (one per target, so their connections to the backend never compete for ports). */
async function lanePorts(lanes: readonly string[]): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  for (const lane of lanes) ports.set(lane, await freePort(HOST));
  return ports;
}

const asReady = (ports: Map<string, number>): { port: number; tls: boolean }[] => [...ports.values()].map((port) => ({ port, tls: false }));

export async function startNodeBackend(env: TargetEnv, lanes: readonly string[]): Promise<Running> {
  const ports = await lanePorts(lanes);
  const log = join(env.dir, 'node-backend.log');
  const p = spawnRaised(process.execPath, ['-e', NODE_BACKEND], log, undefined, { ...process.env, PERF_PORTS: [...ports.values()].join(',') });
  await ready('node backend', p, asReady(ports), log);
  return running('node backend', p, ports, 'SIGTERM');
}

/** The workers share the open-files limit with nothing else: leave a margin for logs and pipes. */
function workerConnections(nofile: number): number {
  return Math.max(1024, Math.min(nofile, 200_000) - 200);
}

export async function startNginxBackend(env: TargetEnv, lanes: readonly string[], workers: number, cpus?: string): Promise<Running> {
  const dir = join(env.dir, `nginx-backend-${++serial}`);
  mkdirSync(dir);
  const ports = await lanePorts(lanes);
  const conf = join(dir, 'nginx.conf');
  const asRoot = process.getuid?.() === 0;
  writeFileSync(conf, nginxBackendConfig({ dir, workers, workerConnections: workerConnections(env.nofile), asRoot, ports: [...ports.values()] }));
  const log = join(dir, 'stdout.log');
  const p = spawnRaised(env.nginxBin ?? 'nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf, '-g', 'daemon off;'], log, cpus);
  await ready('nginx backend', p, asReady(ports), join(dir, 'error.log'));
  return running(`nginx backend (${workers} worker${workers > 1 ? 's' : ''})`, p, ports, 'SIGTERM');
}

export interface ProxyShape {
  workers: number;
  /** `taskset -c` list for the proxy's processes; unpinned when absent. */
  cpus?: string;
  routes: readonly Omit<Route, 'port'>[];
}

/** Start one proxy with one frontend per route, each on a free port; resolves once all answer. */
export async function startProxy(proxy: PerfProxy, env: TargetEnv, shape: ProxyShape): Promise<Running> {
  const id = `${proxy}-${++serial}`;
  const dir = join(env.dir, id);
  mkdirSync(dir);
  const routes: Route[] = [];
  for (const r of shape.routes) routes.push({ ...r, port: await freePort(HOST) });
  const log = join(dir, 'stdout.log');
  const cfg = join(dir, proxy === 'nginx' ? 'nginx.conf' : 'proxy.cfg');
  let p: Proc;
  if (proxy === 'nginx') {
    const asRoot = process.getuid?.() === 0;
    writeFileSync(cfg, nginxProxyConfig({ dir, workers: shape.workers, workerConnections: workerConnections(env.nofile), asRoot, routes }));
    p = spawnRaised(env.nginxBin ?? 'nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', cfg, '-g', 'daemon off;'], log, shape.cpus);
  } else if (proxy === 'haproxy') {
    writeFileSync(cfg, haproxyConfig(shape.workers, routes));
    p = spawnRaised(env.haproxyBin ?? 'haproxy', ['-db', '-f', cfg], log, shape.cpus);
  } else {
    writeFileSync(cfg, haproxyConfig(shape.workers, routes));
    const args = [env.cliBin, 'run', '-q', '-f', cfg, '-S', join(dir, 'master.sock'), '-w', String(shape.workers)];
    p = spawnRaised(process.execPath, args, log, shape.cpus);
  }
  const errLog = proxy === 'nginx' ? join(dir, 'error.log') : log;
  await ready(proxy, p, routes.map((r) => ({ port: r.port, tls: r.tls !== undefined })), errLog);
  // SIGTERM: handoff drains gracefully, HAProxy stops, nginx stops fast
  return running(proxy, p, new Map(routes.map((r) => [r.name, r.port])), 'SIGTERM');
}

/** `nginx version: nginx/1.22.1` → `nginx 1.22.1`; null when it does not run. */
export function nginxVersion(bin: string): string | null {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  const m = /nginx\/(\S+)/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  return m === null ? null : `nginx ${m[1]}`;
}
