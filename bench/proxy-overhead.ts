// Proxy overhead: keep-alive HTTP requests/s and p50/p99 straight to the backend, through one
// handoff worker, and through HAProxy (`nbthread 1`, when installed), measured in the same run on
// the same backend and printed side by side with the ratios to direct.
//   node bench/proxy-overhead.ts [--duration 5] [--connections 50] [--cpu-prof DIR]
//   (or: npm run bench proxy-overhead)
// Uses wrk when installed (it says so), else a small keep-alive Node client. `--cpu-prof DIR`
// writes the worker's V8 CPU profile there (the worker is drained, not killed, so it is flushed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../test/helpers/worker-harness.ts';

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const BACKEND_SOURCE = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.send(s.address().port));
`;

function installed(cmd: string, arg: string): boolean {
  return spawnSync(cmd, [arg], { stdio: 'ignore' }).error === undefined;
}

function parseMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (m === null) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function runWrk(port: number, seconds: number, connections: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      const p50 = parseMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
      const p99 = parseMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
      const errs = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = Number(errs?.[1] ?? 0) + (sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0));
      resolve({ rps, p50, p99, errors });
    });
  });
}

async function runNodeClient(port: number, seconds: number, connections: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await one();
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors };
}

/** A free TCP port on 127.0.0.1 (for HAProxy, which binds by itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts on the port (bounded). */
export async function waitListening(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** HAProxy in the foreground (`-db`) on a temp config with one thread, same backend. */
async function startHaproxy(dir: string, backendPort: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global\n  nbthread 1\n  maxconn 4096\n` +
      `defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n` +
      `frontend bench\n  bind 127.0.0.1:${port}\n  default_backend app\n` +
      `backend app\n  server s1 127.0.0.1:${backendPort}\n`,
  );
  const child = spawn('haproxy', ['-db', '-q', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitListening(port);
  return { port, child };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' }, 'cpu-prof': { type: 'string' } },
  });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  const wrk = installed('wrk', '--version');
  const haproxy = installed('haproxy', '-v');
  process.stdout.write(
    `load generator: ${wrk ? 'wrk (installed)' : 'built-in Node client (wrk not installed)'}; ${connections} keep-alive connections, ${seconds} s per run; ` +
      `HAProxy reference: ${haproxy ? 'yes (nbthread 1)' : 'not installed'}\n`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-'));
  const backend = spawn(process.execPath, ['-e', BACKEND_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const backendPort = await new Promise<number>((resolve) => backend.once('message', (p) => resolve(Number(p))));
  const { handle, port } = bindHandle();
  const fe = makeFrontend('bench', [makeBind('bench', port)], { defaultBackend: 'app' });
  const prof = values['cpu-prof'];
  const worker = await startWorker({
    config: makeConfig([fe], [makeBackend('app', [backendPort])]),
    handles: new Map([['bench', handle]]),
    ...(prof !== undefined ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${prof}`] } : {}),
  });
  let hap: { port: number; child: ChildProcess } | undefined;
  const measure = wrk ? runWrk : runNodeClient;
  try {
    if (haproxy) hap = await startHaproxy(dir, backendPort);
    await measure(backendPort, 1, connections); // warm-up: JIT and connection pools
    const direct = await measure(backendPort, seconds, connections);
    await measure(port, 1, connections);
    const proxied = await measure(port, seconds, connections);
    let reference: Result | undefined;
    if (hap !== undefined) {
      await measure(hap.port, 1, connections);
      reference = await measure(hap.port, seconds, connections);
    }
    const row = (name: string, r: Result): string =>
      `${name.padEnd(24)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)} ${String(r.errors).padStart(7)} ${(r.rps / direct.rps).toFixed(2).padStart(9)}\n`;
    process.stdout.write(`${'target'.padEnd(24)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)} ${'/direct'.padStart(9)}\n`);
    process.stdout.write(row('direct to backend', direct));
    process.stdout.write(row('handoff (1 worker)', proxied));
    if (reference !== undefined) {
      process.stdout.write(row('haproxy (nbthread 1)', reference));
      process.stdout.write(`handoff/haproxy req/s: ${(proxied.rps / reference.rps).toFixed(2)}\n`);
    }
    process.stdout.write("note: backend, proxy and load generator share this machine's cores; compare the ratios.\n");
    return 0;
  } finally {
    hap?.child.kill('SIGTERM');
    if (prof !== undefined) {
      worker.drain();
      await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    worker.kill();
    handle.close();
    backend.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
