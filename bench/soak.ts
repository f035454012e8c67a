// Soak: reload every 50 ms for minutes under keep-alive and new-connection TLS load, sampling the
// RSS and open descriptors of the master and of every worker; a leak shows as a slope.
//   node bench/soak.ts [--seconds 300] [--interval 50] [--sample 10] [--workers 2]
//                      [--keepalive-rate 800] [--tls-rate 80] [--no-reload] [--json]
//   (or: npm run bench soak -- --seconds 60)
// Prints: failed requests (must be 0), reloads requested and completed, the most handoff
// processes alive at once, and per process role the RSS at start and end and its slope (MB/min,
// least squares over the samples after the first minute, or all when the run is shorter).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sendCommand } from '../src/admin/client.ts';
import { generateCertificate } from '../src/demo/cert.ts';
import { startReloadDriver } from '../src/bench/reload-driver.ts';
import { freePort, sleep, spawnLogged, stopProc, type Proc } from '../src/bench/processes.ts';
import type { LoadReport } from '../src/load/types.ts';

const CLI = fileURLToPath(new URL('../bin/handoff.js', import.meta.url));
const HOST = '127.0.0.1';

interface Sample {
  t: number;
  /** role → RSS in MB and open descriptors; roles are `master`, `worker#0`, `worker#1`… */
  procs: Record<string, { pid: number; rssMb: number; fds: number }>;
}

interface SoakResult {
  seconds: number;
  intervalMs: number;
  reloads: boolean;
  requests: { keepAlive: number; tls: number };
  failed: { keepAlive: number; tls: number };
  failures: Record<string, number>;
  reloadsRequested: number;
  reloadsCompleted: number;
  reloadErrors: number;
  maxProcesses: number;
  samples: Sample[];
  slopes: Record<string, { startMb: number; endMb: number; mbPerMin: number; fdsStart: number; fdsEnd: number }>;
}

function status(pid: number): { rssMb: number; fds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? NaN);
    return { rssMb: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** Every live process whose parent is `pid` (the master's workers and its warm spare). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function sample(socket: string, masterPid: number, t0: number): Promise<Sample> {
  const procs: Sample['procs'] = {};
  const m = status(masterPid);
  if (m) procs.master = { pid: masterPid, ...m };
  const r = await sendCommand(socket, 'show proc', 5000).catch(() => ({ ok: false, output: '' }));
  for (const line of r.output.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== 'worker' || f[4] !== 'ready') continue;
    const pid = Number(f[0]);
    const s = status(pid);
    if (s) procs[`worker#${f[3]}`] = { pid, ...s };
  }
  return { t: Math.round((Date.now() - t0) / 1000), procs };
}

/** Least-squares slope of y over t (seconds), per minute. */
function slopePerMin(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

function slopes(samples: Sample[], seconds: number): SoakResult['slopes'] {
  const out: SoakResult['slopes'] = {};
  const roles = new Set(samples.flatMap((s) => Object.keys(s.procs)));
  const warm = seconds > 120 ? 60 : 0;
  for (const role of roles) {
    const series = samples.filter((s) => s.procs[role] !== undefined).map((s) => ({ t: s.t, ...(s.procs[role] as { rssMb: number; fds: number }) }));
    const first = series[0];
    const last = series[series.length - 1];
    if (first === undefined || last === undefined) continue;
    const fit = series.filter((p) => p.t >= warm);
    out[role] = {
      startMb: first.rssMb,
      endMb: last.rssMb,
      mbPerMin: slopePerMin((fit.length >= 2 ? fit : series).map((p) => ({ t: p.t, y: p.rssMb }))),
      fdsStart: first.fds,
      fdsEnd: last.fds,
    };
  }
  return out;
}

function loadProcess(args: string[]): Promise<LoadReport> {
  const child = spawn(process.execPath, [CLI, 'load', '-q', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out) as LoadReport);
      } catch {
        reject(new Error(`handoff load exited ${code} without a report: ${err.trim()}`));
      }
    }),
  );
}

function config(p: { tlsPort: number; plainPort: number; cert: string; backends: number[]; workers: number }): string {
  return `global
    maxconn 4096
    nbthread ${p.workers}
    hard-stop-after 10s

defaults
    mode http
    retries 3
    option redispatch
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend soak-tls
    bind ${HOST}:${p.tlsPort} ssl crt ${p.cert}
    default_backend demo

frontend soak-plain
    bind ${HOST}:${p.plainPort}
    default_backend demo

backend demo
    balance roundrobin
${p.backends.map((port, i) => `    server demo${i + 1} ${HOST}:${port}`).join('\n')}
`;
}

async function startProxy(dir: string, cfg: string, socket: string): Promise<Proc> {
  const log = join(dir, 'handoff.log');
  const pidFile = join(dir, 'handoff.pid');
  const p = spawnLogged(process.execPath, [CLI, 'run', '-f', cfg, '-S', socket, '-p', pidFile], log);
  for (let i = 0; i < 200; i++) {
    // The pid file is written once the workers are ready and the master socket is open.
    if (existsSync(pidFile)) return p;
    if (!p.alive()) break;
    await sleep(50);
  }
  throw new Error(`handoff did not start: ${readFileSync(log, 'utf8').slice(-1000)}`);
}

async function startBackends(dir: string, count: number): Promise<{ proc: Proc; ports: number[] }> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort(HOST)));
  const proc = spawnLogged(process.execPath, [CLI, 'backend', '--quiet', ...ports.map(String)], join(dir, 'backends.log'));
  for (let i = 0; i < 100; i++) {
    if ((readFileSync(join(dir, 'backends.log'), 'utf8').match(/listening on/g) ?? []).length >= count) return { proc, ports };
    await sleep(50);
  }
  throw new Error('backends did not start');
}

async function soak(o: { seconds: number; intervalMs: number; sampleS: number; workers: number; kaRate: number; tlsRate: number; reloads: boolean }, dir: string): Promise<SoakResult> {
  const cert = join(dir, 'cert.pem');
  const c = await generateCertificate();
  writeFileSync(cert, c.certPem + c.keyPem);
  const backends = await startBackends(dir, 3);
  const [tlsPort, plainPort] = [await freePort(HOST), await freePort(HOST)];
  const cfg = join(dir, 'handoff.cfg');
  writeFileSync(cfg, config({ tlsPort, plainPort, cert, backends: backends.ports, workers: o.workers }));
  const socket = join(dir, 'master.sock');
  const proxy = await startProxy(dir, cfg, socket);
  try {
    const t0 = Date.now();
    const infoReloads = async () => Number(/^Reloads: (\d+)/m.exec((await sendCommand(socket, 'show info', 5000)).output)?.[1] ?? NaN);
    const before = await infoReloads();
    const loads = Promise.all([
      loadProcess(['-l', '-k', '-c', '20', '--rate', String(o.kaRate), '-t', `${o.seconds}s`, '-s', '10', `http://${HOST}:${plainPort}/`]),
      loadProcess(['-l', '-c', '10', '--rate', String(o.tlsRate), '-t', `${o.seconds}s`, '-s', '10', '-f', 'TLS1.2', `https://${HOST}:${tlsPort}/`]),
    ]);
    const driver = o.reloads
      ? startReloadDriver({ intervalMs: o.intervalMs, fire: () => sendCommand(socket, 'reload', 30_000), maxReloads: Math.ceil((o.seconds * 1000) / o.intervalMs) })
      : undefined;
    const samples: Sample[] = [await sample(socket, proxy.pid, t0)];
    let maxProcesses = 0;
    const end = t0 + o.seconds * 1000;
    let nextSample = t0 + o.sampleS * 1000;
    while (Date.now() < end) {
      maxProcesses = Math.max(maxProcesses, children(proxy.pid).length + 1);
      if (Date.now() >= nextSample) {
        samples.push(await sample(socket, proxy.pid, t0));
        process.stderr.write(`soak: ${samples[samples.length - 1]?.t} s, ${JSON.stringify(Object.fromEntries(Object.entries(samples[samples.length - 1]?.procs ?? {}).map(([k, v]) => [k, Math.round(v.rssMb)])))} MB\n`);
        nextSample += o.sampleS * 1000;
      }
      await sleep(1000);
    }
    const requested = (await driver?.stop())?.length ?? 0;
    const [ka, tls] = await loads;
    samples.push(await sample(socket, proxy.pid, t0));
    const failures: Record<string, number> = {};
    for (const r of [ka, tls]) for (const [k, v] of Object.entries(r.failures)) if (v > 0) failures[k] = (failures[k] ?? 0) + v;
    return {
      seconds: o.seconds,
      intervalMs: o.intervalMs,
      reloads: o.reloads,
      requests: { keepAlive: ka.completeRequests, tls: tls.completeRequests },
      failed: { keepAlive: ka.failedRequests, tls: tls.failedRequests },
      failures,
      reloadsRequested: requested,
      reloadsCompleted: (await infoReloads()) - before,
      reloadErrors: driver?.errors.length ?? 0,
      maxProcesses,
      samples,
      slopes: slopes(samples, o.seconds),
    };
  } finally {
    await stopProc(proxy, 'SIGTERM', 15_000);
    await stopProc(backends.proc, 'SIGTERM', 5000);
  }
}

function print(r: SoakResult): void {
  const lines = [
    `soak: ${r.seconds} s, ${r.reloads ? `reload every ${r.intervalMs} ms` : 'no reloads'}, keep-alive + new-connection TLS load`,
    `requests   keep-alive ${r.requests.keepAlive}, TLS ${r.requests.tls}`,
    `failed     keep-alive ${r.failed.keepAlive}, TLS ${r.failed.tls}${Object.keys(r.failures).length > 0 ? ` ${JSON.stringify(r.failures)}` : ''}`,
    `reloads    requested ${r.reloadsRequested}, completed ${r.reloadsCompleted} (requests during a reload coalesce), errors ${r.reloadErrors}`,
    `processes  at most ${r.maxProcesses} alive at once (master, workers, warm spare, draining)`,
    '',
    `${'process'.padEnd(10)}${'RSS start'.padStart(11)}${'RSS end'.padStart(10)}${'slope'.padStart(14)}${'fds start'.padStart(11)}${'fds end'.padStart(9)}`,
    ...Object.entries(r.slopes).map(
      ([role, s]) =>
        `${role.padEnd(10)}${`${s.startMb.toFixed(0)} MB`.padStart(11)}${`${s.endMb.toFixed(0)} MB`.padStart(10)}${`${s.mbPerMin.toFixed(2)} MB/min`.padStart(14)}${String(s.fdsStart).padStart(11)}${String(s.fdsEnd).padStart(9)}`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '300' },
      interval: { type: 'string', default: '50' },
      sample: { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      'keepalive-rate': { type: 'string', default: '800' },
      'tls-rate': { type: 'string', default: '80' },
      'no-reload': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n') + '\n');
    return 0;
  }
  const num = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} expects a number ≥ ${min}, got '${v}'`);
    return n;
  };
  const o = {
    seconds: num('seconds', values.seconds, 5),
    intervalMs: num('interval', values.interval, 10),
    sampleS: num('sample', values.sample, 1),
    workers: num('workers', values.workers, 1),
    kaRate: num('keepalive-rate', values['keepalive-rate'], 1),
    tlsRate: num('tls-rate', values['tls-rate'], 1),
    reloads: !values['no-reload'],
  };
  const dir = mkdtempSync(join(tmpdir(), 'handoff-soak-'));
  try {
    const r = await soak(o, dir);
    if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
    else print(r);
    return r.failed.keepAlive + r.failed.tls === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
