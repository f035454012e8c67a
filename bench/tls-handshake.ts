// TLS handshake cost: a new TLS 1.2 connection per request (as the seed's `ab -f TLS1.2` run,
// without -k), concurrency 50, through `handoff run --workers 2` and through HAProxy
// (`nbthread 2`) on the same backend and the same certificate, printed side by side.
//   node bench/tls-handshake.ts [--requests 3000] [--concurrency 50]   (or: npm run bench tls-handshake)
// Needs `ab` (apache2-utils); HAProxy is optional. Every process it starts is ended by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, waitListening } from './proxy-overhead.ts';

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

const BACKEND_SOURCE = `
const http = require('node:http');
const body = Buffer.from('hello from the backend\\n');
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.send(s.address().port));
`;

interface Result {
  rps: number;
  p50: number;
  p95: number;
  failed: number;
}

function runAb(port: number, requests: number, concurrency: number): Result {
  const r = spawnSync('ab', ['-q', '-r', '-f', 'TLS1.2', '-c', String(concurrency), '-n', String(requests), `https://127.0.0.1:${port}/`], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = r.stdout ?? '';
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  return {
    rps: num(/Requests per second:\s+([\d.]+)/),
    p50: num(/\s50%\s+(\d+)/),
    p95: num(/\s95%\s+(\d+)/),
    failed: num(/Failed requests:\s+(\d+)/) + Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { requests: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '50' } } });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  if (spawnSync('ab', ['-V'], { stdio: 'ignore' }).error !== undefined) {
    process.stderr.write('tls-handshake: needs ab (apache2-utils)\n');
    return 2;
  }
  const haproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error === undefined;
  process.stdout.write(`ab -f TLS1.2 -c ${concurrency} -n ${requests}, a new connection per request; handoff --workers 2; HAProxy: ${haproxy ? 'nbthread 2' : 'not installed'}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'handoff-tls-bench-'));
  const pemPath = join(dir, 'site.pem');
  const cert = spawnSync(process.execPath, [CLI, 'cert', '--out', pemPath], { encoding: 'utf8' });
  if (cert.status !== 0) {
    process.stderr.write(`handoff cert failed: ${cert.stderr}\n`);
    return 1;
  }
  const backend = spawn(process.execPath, ['-e', BACKEND_SOURCE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let handoff: ChildProcess | undefined;
  let hap: ChildProcess | undefined;
  try {
    const backendPort = await new Promise<number>((resolve) => backend.once('message', (p) => resolve(Number(p))));
    const hPort = await freePort();
    const cfg = join(dir, 'handoff.cfg');
    writeFileSync(
      cfg,
      `defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n` +
        `frontend https-in\n  bind 127.0.0.1:${hPort} ssl crt ${pemPath}\n  default_backend app\n` +
        `backend app\n  server s1 127.0.0.1:${backendPort}\n`,
    );
    handoff = spawn(process.execPath, [CLI, 'run', '-q', '-f', cfg, '--workers', '2', '-S', join(dir, 'master.sock')], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitListening(hPort, 15_000);
    let ref: Result | undefined;
    let aPort = 0;
    if (haproxy) {
      aPort = await freePort();
      const hcfg = join(dir, 'haproxy.cfg');
      writeFileSync(
        hcfg,
        `global\n  nbthread 2\n  maxconn 4096\n` +
          `defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n` +
          `frontend https-in\n  bind 127.0.0.1:${aPort} ssl crt ${pemPath}\n  default_backend app\n` +
          `backend app\n  server s1 127.0.0.1:${backendPort}\n`,
      );
      hap = spawn('haproxy', ['-db', '-q', '-f', hcfg], { stdio: ['ignore', 'ignore', 'inherit'] });
      await waitListening(aPort);
    }
    runAb(hPort, Math.min(500, requests), concurrency); // warm-up
    const ours = runAb(hPort, requests, concurrency);
    if (haproxy) {
      runAb(aPort, Math.min(500, requests), concurrency);
      ref = runAb(aPort, requests, concurrency);
    }
    const row = (name: string, r: Result): string =>
      `${name.padEnd(22)} ${r.rps.toFixed(0).padStart(9)} ${String(r.p50).padStart(8)} ${String(r.p95).padStart(8)} ${String(r.failed).padStart(7)}\n`;
    process.stdout.write(`${'target'.padEnd(22)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'failed'.padStart(7)}\n`);
    process.stdout.write(row('handoff (2 workers)', ours));
    if (ref !== undefined) {
      process.stdout.write(row('haproxy (nbthread 2)', ref));
      process.stdout.write(`handoff/haproxy req/s: ${(ours.rps / ref.rps).toFixed(2)}\n`);
    }
    return 0;
  } finally {
    await stop(hap);
    await stop(handoff);
    backend.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
