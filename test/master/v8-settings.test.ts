import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMasterV8Flag, MASTER_V8_FLAGS, reexecAsMaster } from '../../src/master/v8-settings.ts';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

test('only `handoff run` is re-executed, and the re-executed process runs it', () => {
  // Not `run`: returns at once, nothing replaced.
  reexecAsMaster([process.execPath, BIN, 'check', '-f', 'x.cfg']);
  process.env.HANDOFF_MASTER_V8 = '1';
  reexecAsMaster([process.execPath, BIN, 'run', '-f', 'x.cfg']);
  assert.equal(process.env.HANDOFF_MASTER_V8, undefined, 'the mark is for the re-executed process only');
});

test('workers do not inherit the master flags', () => {
  for (const f of MASTER_V8_FLAGS) assert.ok(isMasterV8Flag(f));
  assert.ok(!isMasterV8Flag('--max-semi-space-size=8'));
  assert.ok(!isMasterV8Flag('--inspect'));
});

test('`handoff run` is re-executed with the master flags, once, in the same process', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-v8-'));
  const probe = path.join(dir, 'probe.cjs');
  writeFileSync(probe, 'process.stdout.write(process.pid + " " + JSON.stringify(process.execArgv) + "\\n");');
  try {
    // The configuration does not exist: the command fails, after the re-exec.
    const r = spawnSync(process.execPath, ['--require', probe, BIN, 'run', '-q', '-f', path.join(dir, 'missing.cfg')], { encoding: 'utf8', timeout: 20_000 });
    const lines = r.stdout.trim().split('\n').map((l) => ({ pid: l.split(' ')[0], argv: JSON.parse(l.slice(l.indexOf(' ') + 1)) as string[] }));
    assert.equal(lines.length, 2, r.stdout + r.stderr);
    assert.equal(lines[0]?.pid, lines[1]?.pid);
    assert.deepEqual(lines[1]?.argv.slice(0, MASTER_V8_FLAGS.length), [...MASTER_V8_FLAGS]);
    assert.notEqual(r.status, 0);
    // A master handed a descriptor (`-D`'s readiness pipe) is not re-executed: execve would close it.
    const d = spawnSync(process.execPath, ['--require', probe, BIN, 'run', '-q', '-f', path.join(dir, 'missing.cfg')], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HANDOFF_READY_FD: '3' } });
    assert.equal(d.stdout.trim().split('\n').length, 1, d.stdout + d.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
