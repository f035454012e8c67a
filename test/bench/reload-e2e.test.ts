import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { findHaproxy, haproxyVersion } from '../../src/bench/proxies.ts';
import type { ScenarioResult } from '../../src/bench/types.ts';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

function benchDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('handoff-bench-'));
}

test('bench reload --proxy haproxy end to end: baseline has 0 failures, socket reloads are requested and completed', { timeout: 60_000 }, async (t) => {
  const bin = findHaproxy();
  if (bin === null || haproxyVersion(bin) === null) {
    console.log('# skipped: haproxy not installed');
    t.skip('haproxy not installed');
    return;
  }
  const before = new Set(benchDirs());
  const child = spawn(process.execPath, [BIN, 'bench', 'reload', '--proxy', 'haproxy', '-n', '1000', '-c', '10', '--interval', '0.2', '--scenarios', 'baseline,handoff', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, err);
  const results = JSON.parse(out) as ScenarioResult[];
  assert.deepEqual(results.map((r) => [r.proxy, r.scenario, r.status]), [
    ['haproxy', 'baseline', 'ok'],
    ['haproxy', 'handoff', 'ok'],
  ]);
  const [baseline, socket] = results as [ScenarioResult, ScenarioResult];
  assert.equal(baseline.failed, 0);
  assert.equal(baseline.completed, 1000);
  assert.equal(baseline.reloadsRequested, 0);
  assert.ok(baseline.buckets.length > 0, 'timeline summarised');
  assert.equal(socket.completed, 1000);
  assert.ok(socket.reloadsRequested >= 1, `reloads requested: ${socket.reloadsRequested}`);
  assert.ok(socket.reloadsCompleted !== null && socket.reloadsCompleted >= 1 && socket.reloadsCompleted <= socket.reloadsRequested,
    `reloads completed: ${socket.reloadsCompleted} of ${socket.reloadsRequested}`);
  assert.match(socket.proxyVersion ?? '', /^HAProxy 2\./);
  assert.match(err, /\[1\/2\] haproxy baseline/);
  assert.deepEqual(benchDirs().filter((d) => !before.has(d)), [], 'temporary directory removed');
});
