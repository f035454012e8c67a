// `npm run bench load-vs-ab [-- --rounds N --scale F]`: handoff load next to ApacheBench against
// the same local targets, (a) HTTPS with TLS 1.2 and a new connection per request, (b) plain HTTP
// keep-alive, (c) plain HTTP with a new connection per request. The targets run in a child process so they do not share our event loop; each load
// tool is its own process too, and its CPU time (user+sys, from bash's `times`) is reported per
// 1000 requests, which shows the generator's own cost even when the target is the bottleneck.
import { spawn, spawnSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testCert } from '../test/helpers/tls.ts';
import type { LoadReport } from '../src/load/types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const BODY = Buffer.from('x'.repeat(100) + '\n');

interface Scenario {
  name: string;
  scheme: 'http' | 'https';
  flags: string[];
  requests: number;
  concurrency: number;
}

interface Measured {
  rps: number;
  complete: number;
  failed: number;
  cpuMs: number;
}

/** Child-process mode: serve the targets and print their ports as one JSON line. */
async function serveTargets(): Promise<void> {
  const { cert, key } = await testCert();
  const handler = (_req: unknown, res: import('node:http').ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
    res.end(BODY);
  };
  const http = createHttpServer({ keepAliveTimeout: 30_000 }, handler);
  const https = createHttpsServer({ cert, key, keepAliveTimeout: 30_000 }, handler);
  await Promise.all([
    new Promise<void>((r) => http.listen(0, '127.0.0.1', 1024, r)),
    new Promise<void>((r) => https.listen(0, '127.0.0.1', 1024, r)),
  ]);
  process.stdout.write(JSON.stringify({ http: (http.address() as AddressInfo).port, https: (https.address() as AddressInfo).port }) + '\n');
  // The parent closes our stdin when it is done; never outlive it.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function startTargets(): Promise<{ ports: { http: number; https: number }; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve-target'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ ports: JSON.parse(out.slice(0, nl)) as { http: number; https: number }, stop: () => child.stdin.end() });
    });
    child.on('exit', (code) => reject(new Error(`target server exited with ${code}`)));
  });
}

/** Runs a command under bash and returns its stdout and the children's user+sys CPU ms. */
function timed(cmd: string, args: string[], timeoutMs: number): { stdout: string; cpuMs: number } {
  const r = spawnSync('bash', ['-c', '"$@"; status=$?; times >&2; exit $status', 'bash', cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  const lines = (r.stderr ?? '').trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
  const cpuMs = m === null ? NaN : (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
  if (r.status !== 0) throw new Error(`${cmd} exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').slice(-500)}`);
  return { stdout: r.stdout, cpuMs };
}

function runAb(s: Scenario, url: string): Measured {
  const { stdout, cpuMs } = timed('ab', ['-r', '-q', '-n', String(s.requests), '-c', String(s.concurrency), ...s.flags, url], 120_000);
  const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? NaN);
  return { rps: num(/Requests per second:\s+([\d.]+)/), complete: num(/Complete requests:\s+(\d+)/), failed: num(/Failed requests:\s+(\d+)/), cpuMs };
}

function runHandoff(s: Scenario, url: string): Measured {
  const args = [`${root}bin/handoff.js`, 'load', '--json', '-q', '-n', String(s.requests), '-c', String(s.concurrency), ...s.flags, url];
  const { stdout, cpuMs } = timed(process.execPath, args, 120_000);
  const r = JSON.parse(stdout) as LoadReport;
  return { rps: r.requestsPerSecond, complete: r.completeRequests, failed: r.failedRequests, cpuMs };
}

function best(a: Measured | undefined, b: Measured): Measured {
  return a === undefined || b.rps > a.rps ? b : a;
}

export async function main(argv: string[]): Promise<number> {
  let rounds = 2;
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') rounds = Math.max(1, Number(argv[++i]));
    else if (argv[i] === '--scale') scale = Math.max(0.01, Number(argv[++i]));
  }
  const hasAb = spawnSync('ab', ['-V'], { encoding: 'utf8' }).status === 0;
  const scenarios: Scenario[] = [
    { name: 'TLS 1.2, new connection per request', scheme: 'https', flags: ['-f', 'TLS1.2'], requests: Math.round(3000 * scale), concurrency: 20 },
    { name: 'plain HTTP keep-alive', scheme: 'http', flags: ['-k'], requests: Math.round(60_000 * scale), concurrency: 50 },
    // Not in the brief's pair, reported anyway: here Node's per-socket cost (~45 µs CPU per
    // connection, measured with a bare net.connect loop) is the limit, about twice ab's.
    { name: 'plain HTTP, new connection per request', scheme: 'http', flags: [], requests: Math.round(20_000 * scale), concurrency: 20 },
  ];
  const { ports, stop } = await startTargets();
  try {
    if (!hasAb) process.stdout.write('ab (apache2-utils) is not installed: printing handoff figures only\n');
    process.stdout.write(`target: Node http/https server in a child process; best of ${rounds} round(s), tools alternate\n\n`);
    const header = ['scenario', 'requests', 'ab req/s', 'handoff req/s', 'ratio', 'ab cpu ms/1k', 'handoff cpu ms/1k', 'failed ab/handoff'];
    const rows: string[][] = [];
    for (const s of scenarios) {
      const url = `${s.scheme}://127.0.0.1:${s.scheme === 'https' ? ports.https : ports.http}/`;
      let ab: Measured | undefined;
      let ours: Measured | undefined;
      for (let r = 0; r < rounds; r++) {
        if (hasAb) ab = best(ab, runAb(s, url));
        ours = best(ours, runHandoff(s, url));
      }
      const o = ours as Measured;
      const perK = (m: Measured): string => ((m.cpuMs * 1000) / m.complete).toFixed(1);
      rows.push([
        s.name,
        String(s.requests),
        ab === undefined ? '-' : ab.rps.toFixed(0),
        o.rps.toFixed(0),
        ab === undefined ? '-' : (o.rps / ab.rps).toFixed(2),
        ab === undefined ? '-' : perK(ab),
        perK(o),
        `${ab === undefined ? '-' : ab.failed}/${o.failed}`,
      ]);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ') + '\n';
    process.stdout.write(fmt(header) + rows.map(fmt).join(''));
    return 0;
  } finally {
    stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--serve-target')) {
  await serveTargets();
}
