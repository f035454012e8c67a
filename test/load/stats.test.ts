import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccumulator, recordMs, summarize } from '../../src/load/stats.ts';
import { formatReport } from '../../src/load/report.ts';
import { FAILURE_KINDS, type FailureKind, type LoadReport } from '../../src/load/types.ts';

/** Within the histogram's 3 significant digits (0.1 %), plus one microsecond of rounding. */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 0.001, `${what}: ${actual} vs ${expected}`);
}

test('latencies 1..1000 ms: percentiles, mean, sd and median match the known distribution', () => {
  const acc = createAccumulator();
  // Recorded in shuffled order: the summary must not depend on arrival order.
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);
  for (let i = values.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  for (const v of values) recordMs(acc, v);
  const s = summarize(acc);
  assert.equal(s.count, 1000);
  assert.equal(s.min, 1);
  assert.equal(s.max, 1000);
  near(s.mean, 500.5, 'mean');
  // Sample standard deviation of 1..n is sqrt(n(n+1)/12).
  near(s.sd, Math.sqrt((1000 * 1001) / 12), 'sd');
  near(s.median, 500, 'median');
  near(s.percentiles['50'] as number, 500, 'p50');
  near(s.percentiles['90'] as number, 900, 'p90');
  near(s.percentiles['99'] as number, 990, 'p99');
  assert.equal(s.percentiles['100'], 1000);
});

test('sub-millisecond latencies keep microsecond precision', () => {
  const acc = createAccumulator();
  for (let i = 0; i < 100; i++) recordMs(acc, 0.25);
  const s = summarize(acc);
  near(s.median, 0.25, 'median');
  near(s.percentiles['99'] as number, 0.25, 'p99');
});

test('an empty accumulator summarizes to zeros', () => {
  const s = summarize(createAccumulator());
  assert.deepEqual([s.count, s.min, s.max, s.mean, s.sd, s.percentiles['100']], [0, 0, 0, 0, 0, 0]);
});

test('the report has ApacheBench shape: labels, times table and percentage table', () => {
  const acc = createAccumulator();
  for (let v = 1; v <= 100; v++) recordMs(acc, v);
  const total = summarize(acc);
  const failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  failures.receive = 3;
  const report: LoadReport = {
    url: 'https://src1/', startedAtMs: 0, serverSoftware: 'handoff', host: 'src1', port: 443, path: '/',
    tlsProtocol: 'TLSv1.2,ECDHE-RSA-AES256-GCM-SHA384,2048,256', tlsServerName: 'src1', documentLength: 'variable',
    concurrency: 10, keepAlive: false, timeTakenMs: 340, completeRequests: 103, failedRequests: 3, failures, non2xx: 0,
    totalTransferredBytes: 36100, htmlTransferredBytes: 18600, requestsPerSecond: 302.94,
    connect: total, processing: total, waiting: total, total, failureTimes: total,
  };
  const text = formatReport(report);
  assert.match(text, /^Server Software:        handoff$/m);
  assert.match(text, /^SSL\/TLS Protocol:       TLSv1\.2,ECDHE-RSA-AES256-GCM-SHA384,2048,256$/m);
  assert.match(text, /^TLS Server Name:        src1$/m);
  assert.match(text, /^Document Length:        Variable$/m);
  assert.match(text, /^Time taken for tests:   0\.340 seconds$/m);
  assert.match(text, /^Failed requests:        3\n   \(Connect refused: 0, .*\n    .*Receive: 3, .*\)$/m);
  assert.match(text, /^Time per request:       33\.010 \[ms\] \(mean\)$/m);
  assert.match(text, /^Total:          1   51  29\.0     50     100$/m);
  assert.match(text, /^  50%     50$/m);
  assert.match(text, /^ 100%    100 \(longest request\)$/m);
});
