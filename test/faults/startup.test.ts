// Startup refusals, before anything serves, one line each and no stack trace: a pid file or a
// master socket that cannot be created, a stats socket in a missing directory (also a `handoff
// check` error), `crt /dev`; and a reload naming an unusable stats socket keeps the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, startBackends, startHandoff, freePort, tempDir, seedLikeConfig, sleep, stopAll } from '../helpers/proxy.ts';
import { sendCommand } from '../../src/admin/client.ts';

/** Run the CLI to its exit (or kill it after `timeoutMs`); stdout and stderr together. */
function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; output: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, killed });
    });
  });
}

async function configIn(dir: string, extraGlobal = '', cert?: string): Promise<string> {
  const file = path.join(dir, 'handoff.cfg');
  fs.writeFileSync(file, seedLikeConfig({ port: await freePort(), backends: [await freePort()], extraGlobal, ...(cert !== undefined ? { cert } : {}) }));
  return file;
}

function assertRefusedBeforeServing(r: { code: number | null; output: string; killed: boolean }, line: RegExp): void {
  assert.equal(r.killed, false, `still running:\n${r.output}`);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, line);
  assert.doesNotMatch(r.output, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.output, /generation \d+ ready|listening on/, 'nothing was started');
}

test('run -p with a pid file in a missing directory refuses before any worker starts, in one line', { timeout: 30_000 }, async () => {
  const dir = tempDir('handoff-start-');
  const pid = path.join(dir, 'missing', 'x.pid');
  const r = await runCli(['run', '-f', await configIn(dir), '-S', path.join(dir, 'm.sock'), '-p', pid]);
  assertRefusedBeforeServing(r, new RegExp(`\\[ALERT\\].*cannot create pidfile ${pid} \\(No such file or directory\\); not starting`));
  assert.equal(fs.existsSync(path.join(dir, 'm.sock')), false, 'no master socket left behind');
});

test('run -S in a missing directory, or longer than a unix socket path, is refused (no silent run without a master socket)', { timeout: 30_000 }, async () => {
  const dir = tempDir('handoff-start-');
  const cfg = await configIn(dir);
  const missing = path.join(dir, 'missing', 'm.sock');
  const r = await runCli(['run', '-f', cfg, '-S', missing]);
  assertRefusedBeforeServing(r, new RegExp(`master socket \\(-S\\): cannot bind UNIX socket \\(No such file or directory\\) \\[${missing}\\]; not starting`));
  assert.equal(fs.existsSync(path.dirname(missing)), false, 'an explicit -S directory is not created');
  const long = path.join(dir, `${'m'.repeat(110)}.sock`);
  const r2 = await runCli(['run', '-f', cfg, '-S', long]);
  assertRefusedBeforeServing(r2, /master socket \(-S\): cannot bind UNIX socket \(path too long: \d+ bytes, at most 107\)/);
});

test('a stats socket in a missing directory: handoff check reports FILE:LINE, run refuses before serving', { timeout: 30_000 }, async () => {
  const dir = tempDir('handoff-start-');
  const sock = path.join(dir, 'nodir', 'user.sock');
  const cfg = await configIn(dir, `    stats socket ${sock} mode 666 level user`);
  const what = `stats socket: cannot bind UNIX socket \\(No such file or directory\\) \\[${sock}\\]`;
  const check = await runCli(['check', '-f', cfg]);
  assert.equal(check.code, 1, check.output);
  assert.match(check.output, new RegExp(`${cfg}:4: error: ${what}`));
  // The master's log: HAProxy's shape.
  const r = await runCli(['run', '-f', cfg, '-S', path.join(dir, 'm.sock')]);
  assertRefusedBeforeServing(r, new RegExp(`\\[ALERT\\] +\\(\\d+\\) : config : parsing \\[${cfg}:4\\] : ${what}`));
  assert.equal(fs.existsSync(path.dirname(sock)), false, 'the directory is not created');
});

test('crt /dev is a config error at once, not a hang', { timeout: 30_000 }, async () => {
  const dir = tempDir('handoff-start-');
  const cfg = await configIn(dir, '', '/dev');
  const r = await runCli(['check', '-f', cfg], 10_000);
  assert.equal(r.killed, false, 'handoff check hung on crt /dev');
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /error: certificate directory '\/dev' contains no certificate/);
});

test('a reload naming a stats socket in a missing directory is refused and the old socket serves on; a valid one is opened, a removed one closed', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-start-');
  const backends = await startBackends(1);
  const port = await freePort();
  const oldSock = path.join(dir, 'old.sock');
  const cfg = (global: string) => seedLikeConfig({ port, backends: backends.ports, extraGlobal: global });
  const proxy = await startHandoff(dir, cfg(`    stats socket ${oldSock} mode 666 level user`), ['--workers', '1']);
  try {
    assert.ok((await sendCommand(oldSock, 'show info', 2000)).ok);
    const bad = path.join(dir, 'nodir', 'new.sock');
    fs.writeFileSync(proxy.configFile, cfg(`    stats socket ${oldSock} mode 666 level user\n    stats socket ${bad} level admin`));
    const refused = await proxy.ctl('reload');
    assert.equal(refused.ok, false, refused.output);
    assert.match(refused.output, /stats socket: cannot bind UNIX socket \(No such file or directory\)/);
    assert.equal((await proxy.info()).Generation, '1');
    assert.ok((await sendCommand(oldSock, 'show info', 2000)).ok, 'the old stats socket still answers');

    const newSock = path.join(dir, 'new.sock');
    fs.writeFileSync(proxy.configFile, cfg(`    stats socket ${newSock} mode 660 level operator`));
    const ok = await proxy.ctl('reload');
    assert.ok(ok.ok, ok.output);
    // The sockets follow the configuration just after the reload's answer: new ones open first.
    for (let i = 0; i < 50 && fs.existsSync(oldSock); i++) await sleep(20);
    const info = await sendCommand(newSock, 'show info', 2000);
    assert.ok(info.ok, info.output);
    assert.match(info.output, /^ConfigFile: /m);
    assert.equal(fs.statSync(newSock).mode & 0o777, 0o660);
    assert.equal(fs.existsSync(oldSock), false, 'a stats socket no longer configured is closed');
    assert.match(proxy.output(), /stats socket .*old\.sock closed \(no longer configured\)/);
  } finally {
    await stopAll([proxy, backends]);
  }
});
