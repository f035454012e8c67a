// The server state file: `show servers state` saved to `server-state-file` and read back at
// start (`load-server-state-from-file global|local`), HAProxy's rules and warnings; the same file
// read by HAProxy 2.6 and HAProxy's read by handoff.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startBackends, startHandoff, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';
import { serverState } from '../helpers/runtime-servers.ts';
import { haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

let backends: Backends;
const running: Handoff[] = [];

before(async () => {
  backends = await startBackends(2);
});

after(async () => {
  for (const h of running) h.kill();
  backends?.kill();
  await Promise.all([...running.map((h) => h.exited), backends?.exited]);
});

function config(opts: { listen: number; stateFile: string; socket?: string; load?: string; extraBackend?: string }): string {
  const [b0, b1] = backends.ports;
  return `global
    server-state-file ${opts.stateFile}
${opts.socket !== undefined ? `    stats socket ${opts.socket} level admin\n` : ''}defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file ${opts.load ?? 'global'}
frontend fe
    bind 127.0.0.1:${opts.listen}
    default_backend app
backend app
    balance roundrobin
    server s0 127.0.0.1:${b0} weight 2
    server s1 127.0.0.1:${b1} check inter 200
${opts.extraBackend ?? ''}`;
}

async function start(dir: string, text: string): Promise<Handoff> {
  const h = await startHandoff(dir, text, ['--workers', '1']);
  running.push(h);
  return h;
}

async function stop(h: Handoff): Promise<void> {
  h.kill();
  await h.exited;
}

test('round trip: weight and maint set at run time, saved with show servers state, are restored at the next start', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const stateFile = path.join(dir, 'state');
  const text = config({ listen: await freePort(), stateFile });
  const first = await start(dir, text);
  assert.match(first.output(), /Can't open global server state file '.*state': No such file or directory/);
  assert.equal((await first.ctl('set weight app/s0 7')).output, '');
  assert.equal((await first.ctl('set server app/s1 state maint')).output, '');
  const saved = (await first.ctl('show servers state')).output;
  fs.writeFileSync(stateFile, saved);
  await stop(first);

  const second = await start(dir, text);
  const out = (await second.ctl('show servers state')).output;
  assert.equal(serverState(out, 'app/s0')?.weight, 7);
  assert.equal(serverState(out, 'app/s1')?.admin, 'maint');
  assert.equal((await second.ctl('get weight app/s0')).output, '7 (initial 2)\n');
  // A reload with the file unchanged takes nothing back from the runtime API.
  assert.equal((await second.ctl('set server app/s1 state ready')).output, '');
  assert.ok((await second.ctl('reload')).ok);
  assert.equal(serverState((await second.ctl('show servers state')).output, 'app/s1')?.admin, 'ready');
  await stop(second);
});

test('HAProxy rules: a changed configured weight wins over the file; local files match by backend id or name, with HAProxy warnings', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const stateFile = path.join(dir, 'state');
  const [b0, b1] = backends.ports;
  // Saved while s0's configured weight was 3; the configuration now says 2.
  fs.writeFileSync(stateFile, `1\n# header\n2 app 1 s0 127.0.0.1 2 8 9 3 10 1 0 2 0 0 0 0 - ${b0} - 0 0 - - 0\n2 app 2 s1 127.0.0.1 2 1 1 1 10 6 3 4 6 0 0 0 - ${b1} - 0 0 - - 0\n`);
  fs.writeFileSync(path.join(dir, 'local-other'), `1\n9 other 1 o1 127.0.0.1 2 1 5 1 10 1 0 2 0 0 0 0 - ${b0} - 0 0 - - 0\n9 other 2 ghost 127.0.0.1 2 0 1 1 10 1 0 2 0 0 0 0 - ${b0} - 0 0 - - 0\n`);
  const extra = `backend other\n    load-server-state-from-file local\n    server-state-file-name ${path.join(dir, 'local-other')}\n    server o1 127.0.0.1:${b0}\n`;
  const h = await start(dir, config({ listen: await freePort(), stateFile, extraBackend: extra }));
  const out = (await h.ctl('show servers state')).output;
  assert.equal(serverState(out, 'app/s0')?.weight, 2, 'the configured weight changed: it wins');
  assert.equal(serverState(out, 'app/s0')?.admin, 'drain', 'the forced drain is kept');
  assert.equal(serverState(out, 'app/s1')?.admin, 'maint');
  assert.equal(serverState(out, 'other/o1')?.admin, 'maint');
  assert.equal(serverState(out, 'other/o1')?.weight, 5);
  assert.match(h.output(), /Proxy 'other': backend ID mismatch: from server state file: '9', from running config '3'/);
  assert.match(h.output(), /Proxy 'other': can't find server 'ghost' in backend 'other'/);
  await stop(h);
});

test('a bad state file is a warning naming the file and line; the servers keep their configured state and serve', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const stateFile = path.join(dir, 'state');
  fs.writeFileSync(stateFile, '1\n3 app 1 s0 127.0.0.1 2 1\n');
  const h = await start(dir, config({ listen: await freePort(), stateFile }));
  assert.match(h.output(), new RegExp(`\\[${stateFile.replace(/[/.]/g, '\\$&')}:2\\] : corrupted global server state file '.*' at line 2`));
  assert.equal(serverState((await h.ctl('show servers state')).output, 'app/s0')?.admin, 'ready');
  fs.writeFileSync(stateFile, `1\n3 app 1 s0 127.0.0.1 7 0 1 2 0 1 0 2 0 0 0 0 - 1 - 0 0 - - 0\n`);
  assert.ok((await h.ctl('reload')).ok, 'the file changed: a reload reads it');
  await until('the warning', () => /server-state application failed for server 'app\/s0', invalid srv_op_state value '7'/.test(h.output()));
  fs.writeFileSync(stateFile, 'two\n');
  assert.ok((await h.ctl('reload')).ok);
  await until('the warning', () => /Can't get version of the global server state file/.test(h.output()));
  await stop(h);
});

test("handoff's state file is read by HAProxy 2.6 (haproxy -c, then started), and HAProxy's by handoff", { timeout: 60_000 }, async (t) => {
  const missing = haproxyMissing();
  if (missing !== undefined) return t.skip(missing);
  const dir = tempDir();
  const ours = path.join(dir, 'ours.state');
  const theirs = path.join(dir, 'theirs.state');
  const socket = path.join(dir, 'haproxy.sock');
  const h = await start(dir, config({ listen: await freePort(), stateFile: ours }));
  await h.ctl('set weight app/s0 5');
  await h.ctl('set server app/s1 state drain');
  fs.writeFileSync(ours, (await h.ctl('show servers state')).output);
  await stop(h);

  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, config({ listen: await freePort(), stateFile: ours, socket }));
  const { spawnSync } = await import('node:child_process');
  const check = spawnSync('haproxy', ['-c', '-f', cfg], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const ha = await startHaproxy(cfg, socket);
  assert.ok(ha !== null);
  try {
    const out = await ha.cmd('show servers state');
    assert.equal(serverState(out, 'app/s0')?.weight, 5);
    assert.equal(serverState(out, 'app/s1')?.admin, 'drain');
    await ha.cmd('set server app/s0 state maint');
    await ha.cmd('set weight app/s1 4');
    fs.writeFileSync(theirs, await ha.cmd('show servers state'));
  } finally {
    await ha.stop();
  }
  assert.doesNotMatch(ha.output(), /corrupted|failed for server/);
  const back = await start(dir, config({ listen: await freePort(), stateFile: theirs }));
  const out = (await back.ctl('show servers state')).output;
  assert.equal(serverState(out, 'app/s0')?.admin, 'maint');
  assert.equal(serverState(out, 'app/s1')?.weight, 4);
  assert.equal(serverState(out, 'app/s1')?.admin, 'drain');
  assert.doesNotMatch(back.output(), /corrupted|failed for server/);
  await stop(back);
});
