import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '../../src/load/types.ts';
import { closedPort, countingServer } from './servers.ts';
import { parseLoadArgs } from '../../src/cli/load.ts';

const bin = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

function handoff(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('handoff load against a closed port: exit 0 and a full report of connect_refused failures', async () => {
  const port = await closedPort();
  const r = await handoff(['load', '-r', '-R', '-n', '30', '-c', '3', `http://127.0.0.1:${port}/`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Complete requests:      30$/m);
  assert.match(r.stdout, /^Failed requests:        30$/m);
  assert.match(r.stdout, /Connect refused: 30/);
  assert.match(r.stdout, /^Connection Times \(ms\)$/m);
  assert.match(r.stdout, /^Percentage of the requests served within a certain time \(ms\)$/m);
});

test('--json prints exactly one LoadReport object on stdout', async () => {
  const srv = await countingServer();
  try {
    const r = await handoff(['load', '--json', '-k', '-n100', '-c', '4', `http://127.0.0.1:${srv.port}/`]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as LoadReport;
    assert.equal(report.completeRequests, 100);
    assert.equal(report.failedRequests, 0);
    assert.equal(report.keepAlive, true);
    assert.equal(srv.requests(), 100);
    assert.ok(typeof report.startedAtMs === 'number' && report.total.count === 100);
  } finally {
    await srv.stop();
  }
});

test('bad flags and bad URLs exit 2 with a message naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['load'], /missing URL/],
    [['load', '-n', 'ten', 'http://127.0.0.1/'], /-n expects an integer/],
    [['load', '-f', 'SSL3', 'http://127.0.0.1/'], /-f expects one of TLS1, TLS1\.1, TLS1\.2, TLS1\.3, ALL/],
    [['load', 'ftp://127.0.0.1/'], /unsupported URL scheme/],
    [['load', '-H', 'nocolon', 'http://127.0.0.1/'], /-H expects 'Name: value'/],
    [['load', '--bogus', 'http://127.0.0.1/'], /bogus/],
  ];
  for (const [args, message] of cases) {
    const r = await handoff(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage: handoff load/);
  }
});

test('--help prints the usage and exits 0', async () => {
  const r = await handoff(['load', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: handoff load \[options\] URL/);
  assert.match(r.stdout, /--timeline FILE/);
});

test('SIGTERM stops a long run and still prints the JSON report of what finished', async () => {
  const srv = await countingServer();
  try {
    const child = spawn(process.execPath, [bin, 'load', '--json', '-k', '-n', '10000000', '-c', '2', `http://127.0.0.1:${srv.port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as LoadReport;
    assert.ok(report.completeRequests > 0 && report.completeRequests < 10_000_000);
    assert.equal(report.failedRequests, 0);
  } finally {
    await srv.stop();
  }
});

test('flag mapping: ab defaults, -t implies 50000 requests, --rate with -t implies rate × t', () => {
  const base = parseLoadArgs(['http://127.0.0.1/']).options;
  assert.deepEqual([base.requests, base.concurrency, base.timeoutMs, base.tls, base.method, base.keepAlive], [1, 1, 30_000, 'ALL', 'GET', false]);
  assert.equal(parseLoadArgs(['-t', '10', 'http://127.0.0.1/']).options.requests, 50_000);
  assert.equal(parseLoadArgs(['-t', '10', '-n', '7', 'http://127.0.0.1/']).options.requests, 7);
  const rated = parseLoadArgs(['--rate', '250', '-t', '2', 'http://127.0.0.1/']).options;
  assert.deepEqual([rated.requests, rated.rate, rated.timeLimitMs], [500, 250, 2000]);
  const full = parseLoadArgs(['-k', '-l', '-s', '0.5', '-f', 'tls1.2', '-H', 'X-A: 1', '-H', 'X-B:2', '-i', 'https://h/']).options;
  assert.deepEqual([full.keepAlive, full.variableLength, full.timeoutMs, full.tls, full.method], [true, true, 500, 'TLS1.2', 'HEAD']);
  assert.deepEqual(full.headers, [['X-A', '1'], ['X-B', '2']]);
  assert.throws(() => parseLoadArgs(['-H', 'X-A: 1\r\nEvil: 1', 'http://h/']), /line break/);
});
