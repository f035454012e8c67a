import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failText, formatTable, oneLine, reqUsers, testName } from '../../src/bench/table.ts';
import { SAMPLE, result } from './synthetic.ts';

test('failures read as a total with a breakdown by class, largest first', () => {
  assert.equal(failText(result({ failed: 4332, failures: { receive: 232, connect_refused: 4100 } })), '4332 (refused 4100, receive 232)');
  assert.equal(failText(result({})), '0');
});

test('test names and #req/users follow the seed table', () => {
  assert.equal(testName({ scenario: 'restart', intervalMs: 200, keepAlive: false }), 'restart 0.2');
  assert.equal(testName({ scenario: 'rebind', intervalMs: 200, keepAlive: false }), 'reload 0.2 (legacy)');
  assert.equal(testName({ scenario: 'handoff', intervalMs: 1000, keepAlive: true }), 'reload 1 (socket) keep-alive');
  assert.equal(reqUsers(10_000, 200), '10k/200');
  assert.equal(reqUsers(300, 10), '300/10');
});

test('table: one aligned row per result, reload counts, unavailable rows on one line', () => {
  const text = formatTable(SAMPLE);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1 + SAMPLE.length);
  assert.match(lines[0]!, /^proxy\s+test\s+#req\/users\s+#fail\s+mean\s+p95\s+p99\s+rps\s+reloads requested\s+reloads completed$/);
  assert.match(lines[1]!, /^haproxy\s+baseline\s+10k\/200\s+0\s+513ms\s+560ms\s+601ms\s+390\s+-\s+-$/);
  assert.match(lines[2]!, /restart 0\.2\s+10k\/200\s+4332 \(refused 4100, receive 232\)\s+147ms\s+253ms\s+601ms\s+390\s+120\s+118$/);
  assert.match(lines[3]!, /reload 0\.2 \(socket\) keep-alive .* 50\s+\?$/);
  assert.match(lines[4]!, /^handoff\s+reload 0\.2 \(legacy\)\s+10k\/200\s+not available: 'handoff run' \| is not implemented yet$/);
  // the numeric columns line up: every full row has the same length as the header
  assert.equal(lines[1]!.length, lines[0]!.length);
});

test('long multi-line notes are flattened and cut', () => {
  assert.equal(oneLine('a\n\n  b   c\n', 100), 'a | b c');
  assert.equal(oneLine('x'.repeat(300), 10).length, 10);
});
