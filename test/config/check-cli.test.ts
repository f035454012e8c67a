import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-check-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const VALID = `global
    daemon
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:8080
    default_backend app
backend app
    server s1 127.0.0.1:9000 check
`;

test('handoff check on a valid file prints warnings on stderr, "Configuration file is valid" and exits 0', async () => {
  const file = join(dir, 'valid.cfg');
  await writeFile(file, VALID);
  const r = await run(['check', '-f', file]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'Configuration file is valid\n');
  assert.match(r.stderr, new RegExp(`^${file}:2: warning: 'daemon' is ignored`));
});

test('handoff check on an invalid file prints FILE:LINE errors and exits 1', async () => {
  const file = join(dir, 'invalid.cfg');
  await writeFile(file, VALID.replace('default_backend app', 'default_backend nope').replace('timeout client 30s', 'timeout client 10x'));
  const r = await run(['check', '-f', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const errs = r.stderr.split('\n').filter((l) => l.includes(': error: '));
  assert.deepEqual(errs, [
    `${file}:6: error: 'timeout client': invalid time '10x': unknown unit 'x' (use us, ms, s, m, h or d)`,
    `${file}:10: error: default_backend 'nope' of frontend 'web': no such backend`,
  ]);
});

test('handoff check -q prints only errors and nothing on success', async () => {
  const file = join(dir, 'quiet.cfg');
  await writeFile(file, VALID);
  const r = await run(['check', '-q', '-f', file]);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
});

test('handoff check --dump prints the model as JSON', async () => {
  const file = join(dir, 'dump.cfg');
  await writeFile(file, VALID);
  const r = await run(['check', '--dump', '-q', '-f', file]);
  assert.equal(r.code, 0);
  const model = JSON.parse(r.stdout) as { backends: { servers: { id: string }[] }[] };
  assert.equal(model.backends[0]!.servers[0]!.id, 'app/s1');
});

test('handoff check without -f or with an unknown flag is a usage error (exit 2)', async () => {
  const missing = await run(['check']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing -f FILE/);
  const unknown = await run(['check', '--frobnicate', '-f', 'x.cfg']);
  assert.equal(unknown.code, 2);
});

test('handoff check on a missing file reports FILE:0 and exits 1', async () => {
  const file = join(dir, 'nope.cfg');
  const r = await run(['check', '-f', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^${file}:0: error: cannot read configuration file: no such file`));
});
