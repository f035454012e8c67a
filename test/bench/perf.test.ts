import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyConfig, nginxProxyConfig } from '../../src/bench/perf-configs.ts';
import { durationUs, formatSummary, formatValue, parseAb, parseProcStat, parseVmRssKb, parseWrk, ratios, summarize } from '../../src/bench/perf-stats.ts';
import { metricDefs, record, renderTable, type Results } from '../../src/bench/perf-table.ts';

const WRK_LATENCY = `Running 1s test @ http://127.0.0.1:23452/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   253.74us    0.89ms  14.97ms   93.90%
    Req/Sec   149.62k    15.15k  174.37k    54.55%
  Latency Distribution
     50%   34.00us
     75%   78.00us
     90%  527.00us
     99%    3.55ms
  163509 requests in 1.10s, 23.86MB read
Requests/sec: 148670.50
Transfer/sec:     21.69MB
`;

const WRK_ERRORS = `Running 10s test @ http://127.0.0.1:8080/
  2 threads and 10000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   400.00ms  100.00ms    1.00m    70.00%
    Req/Sec    12.00k     1.00k   14.00k    70.00%
  240000 requests in 1.00m, 30.00MB read
  Socket errors: connect 14, read 2, write 0, timeout 37
  Non-2xx or 3xx responses: 5
Requests/sec:   4000.00
Transfer/sec:      0.50MB
`;

test('wrk report: requests, rate and the latency distribution in µs', () => {
  const r = parseWrk(WRK_LATENCY);
  assert.equal(r.requests, 163509);
  assert.equal(r.rps, 148670.5);
  assert.ok(Math.abs(r.seconds - 1.1) < 1e-9);
  assert.equal(r.p50Us, 34);
  assert.equal(r.p99Us, 3550);
  assert.equal(r.errors, 0);
  assert.equal(r.errorText, '');
});

test('wrk report: socket errors and non-2xx responses are counted and spelled out; no --latency gives NaN', () => {
  const r = parseWrk(WRK_ERRORS);
  assert.equal(r.errors, 14 + 2 + 37 + 5);
  assert.equal(r.errorText, 'socket errors: connect 14, read 2, write 0, timeout 37; 5 non-2xx/3xx');
  assert.equal(r.seconds, 60);
  assert.ok(Number.isNaN(r.p50Us));
  assert.ok(Number.isNaN(parseWrk('wrk: command not found').rps));
});

test('durations in wrk units become µs', () => {
  assert.equal(durationUs('52.00us'), 52);
  assert.equal(durationUs('1.10ms'), 1100);
  assert.equal(durationUs('2.00s'), 2e6);
  assert.ok(Number.isNaN(durationUs('fast')));
});

test('ab report: complete, failed plus non-2xx, requests per second', () => {
  const out = 'Complete requests:      5702\nFailed requests:        3\nNon-2xx responses:      2\nRequests per second:    1900.08 [#/sec] (mean)\n';
  assert.deepEqual(parseAb(out), { complete: 5702, failed: 5, rps: 1900.08 });
});

test('/proc/PID/stat: ppid and utime+stime+cutime+cstime, with spaces and parentheses in the name', () => {
  const line = '4242 (node (g1 #0)) S 4200 4242 4242 0 -1 4194560 100 0 0 0 150 30 7 3 20 0 11 0 1000 1000000 20000';
  assert.deepEqual(parseProcStat(line), { ppid: 4200, ticks: 150 + 30 + 7 + 3 });
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseVmRssKb('Name:\tnode\nVmRSS:\t   93020 kB\n'), 93020);
  assert.ok(Number.isNaN(parseVmRssKb('Name:\tkthreadd\n')));
});

test('median and min–max over the rounds skip rounds that measured nothing', () => {
  assert.deepEqual(summarize([3, NaN, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
  assert.equal(summarize([]).n, 0);
  assert.deepEqual(ratios([10, 20, 5], [5, 0, NaN]).map((x) => (Number.isNaN(x) ? 'NaN' : x)), [2, 'NaN', 'NaN']);
});

test('cells read as median (min–max) in the unit of the row', () => {
  assert.equal(formatValue(18_234, 'req/s'), '18.2k');
  assert.equal(formatValue(1_234, 'req/s'), '1.23k');
  assert.equal(formatValue(950, 'req/s'), '950');
  assert.equal(formatValue(3.44, 'us'), '3.4');
  assert.equal(formatValue(1.234, 'x'), '1.23');
  assert.equal(formatSummary([17_900, 18_500, 18_200], 'req/s'), '18.2k (17.9k–18.5k)');
  assert.equal(formatSummary([52], 'us'), '52.0');
  assert.equal(formatSummary([NaN], 'us'), '-');
});

test('table: one row per measured metric, the per-round ratio handoff/haproxy, missing cells as -', () => {
  const results: Results = new Map();
  for (const [round, h, a] of [[0, 20_000, 40_000], [1, 22_000, 44_000], [2, 21_000, 30_000]] as const) {
    record(results, 'rps', 'handoff', round, h);
    record(results, 'rps', 'haproxy', round, a);
    record(results, 'rps', 'direct', round, 100_000);
  }
  record(results, 'idle-rss', 'handoff', 0, 264);
  const defs = metricDefs({ c10k: 9900, c10kSeconds: 10, idleConns: 2000, burstConns: 9900, burstWaitS: 30, backend: 'nginx' });
  const lines = renderTable(defs, results, ['handoff', 'haproxy', 'direct']).trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^metric\s+better\s+handoff\s+haproxy\s+direct\s+handoff\/haproxy$/);
  assert.match(lines[1]!, /^keep-alive -t1 -c100, 2 cores shared \(nginx backend\), req\/s\s+higher\s+21\.0k \(20\.0k–22\.0k\)\s+40\.0k \(30\.0k–44\.0k\)\s+100\.0k \(100\.0k–100\.0k\)\s+0\.50 \(0\.50–0\.70\)$/);
  assert.match(lines[2]!, /^idle RSS, all processes, MB\s+lower\s+264\s+-\s+-\s+-$/);
  assert.equal(lines[1]!.length, lines[0]!.length);
});

test('proxy configs: handoff and HAProxy get the same text; TLS frontends pin one version and cannot resume', () => {
  const routes = [
    { name: 'main', port: 20001, backendPort: 20002 },
    { name: 'tls', port: 20003, backendPort: 20002, tls: { pem: '/tmp/x/rsa.pem', version: '1.3' as const } },
  ];
  const cfg = haproxyConfig(2, routes);
  assert.match(cfg, /^ {4}nbthread 2$/m);
  assert.match(cfg, /^ {4}tune\.ssl\.cachesize 0$/m);
  assert.match(cfg, /bind 127\.0\.0\.1:20003 ssl crt \/tmp\/x\/rsa\.pem ssl-min-ver TLSv1\.3 ssl-max-ver TLSv1\.3 no-tls-tickets$/m);
  assert.doesNotMatch(cfg, /maxconn/);
  assert.doesNotMatch(haproxyConfig(1, routes.slice(0, 1)), /cachesize/);
  const ng = nginxProxyConfig({ dir: '/tmp/x', workers: 1, workerConnections: 19_000, asRoot: false, routes });
  assert.match(ng, /upstream up-main \{ server 127\.0\.0\.1:20002; keepalive 512;/);
  assert.match(ng, /ssl_protocols TLSv1\.3;\n\s+ssl_session_cache off;\n\s+ssl_session_tickets off;/);
  assert.doesNotMatch(ng, /^user /m);
});
