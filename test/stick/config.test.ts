import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, HTTP_DEFAULTS } from '../config/compile.ts';

const fe = (body: string, extra = ''): ReturnType<typeof compile> =>
  compile(`${HTTP_DEFAULTS}frontend fe\n    bind 127.0.0.1:8080\n${body}\n    default_backend be\nbackend be\n    server s1 127.0.0.1:9000\n${extra}`);

test('stick-table: type, size, expire and store in HAProxy order', () => {
  const r = fe('    stick-table type string len 16 size 10k expire 30s store http_req_rate(10s),gpc0,conn_cur');
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config?.stickTables, [{
    name: 'fe', type: 'string', len: 16, size: 10240, expireMs: 30_000, nopurge: false,
    store: [{ name: 'gpc0' }, { name: 'conn_cur' }, { name: 'http_req_rate', periodMs: 10_000 }],
  }]);
});

test('stick-table mistakes are located errors', () => {
  for (const [line, pattern] of [
    ['stick-table size 10', /needs a key type/],
    ['stick-table type ip', /needs a size/],
    ['stick-table type ip size 1k store http_req_rate', /needs a period/],
    ['stick-table type ip size 1k store foo', /unknown data type 'foo'/],
    ['stick-table type mac size 1k', /expects one of ip, ipv6/],
  ] as const) {
    const e = errors(fe(`    ${line}`));
    assert.equal(e.length, 1, line);
    assert.match(e[0] as string, pattern, line);
  }
});

test('track-sc: key, table, and sc fetches in conditions', () => {
  const r = fe('    http-request track-sc1 src table be\n    http-request deny deny_status 429 if { sc1_http_req_rate gt 10 } || { sc_conn_cur(1,be) gt 5 }', '    stick-table type ip size 1k store http_req_rate(10s),conn_cur\n');
  assert.deepEqual(errors(r), []);
  const rule = r.config?.frontends[0]?.http.httpRequest[0];
  assert.equal(rule?.action, 'track-sc');
  assert.deepEqual(rule?.action === 'track-sc' ? [rule.slot, rule.table, rule.key.fetch] : [], [1, 'be', 'src']);
});

test('track-sc of a proxy without a table, or of an unknown table, is an error', () => {
  assert.match(errors(fe('    http-request track-sc0 src'))[0] ?? '', /frontend 'fe' has no stick-table/);
  assert.match(errors(fe('    http-request track-sc0 src table nope'))[0] ?? '', /unable to find table 'nope'/);
  assert.match(errors(fe('    http-request track-sc3 src'))[0] ?? '', /stick counters/);
});

test('tcp-request connection track-sc/accept/reject are rules of the frontend; session tracking is a clear error', () => {
  const r = fe('    stick-table type ip size 1k\n    tcp-request connection track-sc0 src\n    tcp-request connection reject if { sc_conn_cur(0) gt 3 }');
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config?.frontends[0]?.tcpConnection?.map((x) => x.action), ['track-sc', 'reject']);
  assert.match(errors(fe('    tcp-request connection track-sc1 src table nowhere'))[0] ?? '', /'tcp-request connection track-sc1': unable to find table 'nowhere'/);
  assert.match(errors(fe('    tcp-request session track-sc0 src', '    stick-table type ip size 1k\n'))[0] ?? '', /'tcp-request session track-sc0' is not supported by handoff yet/);
});

test('tcp-request content track-sc in an http proxy runs before the http-request rules; in a tcp one it is an error', () => {
  const r = fe('    http-request set-var(txn.x) str(1)\n    tcp-request content track-sc0 src table be if { src 10.0.0.0/8 }', '    stick-table type ip size 1k\n');
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config?.frontends[0]?.http.httpRequest.map((x) => x.action), ['track-sc', 'set-var']);
  const tcp = compile(`${HTTP_DEFAULTS}frontend fe\n    mode tcp\n    bind 127.0.0.1:8080\n    stick-table type ip size 1k\n    tcp-request content track-sc0 src\n    default_backend be\nbackend be\n    mode tcp\n    server s1 127.0.0.1:9000\n`);
  assert.match(errors(tcp).join('\n'), /'tcp-request content track-sc\*' in tcp frontend 'fe' is not supported/);
});
