// The seed's systemd recipe with `handoff` typed where it says `haproxy`: the unit's commands as a
// user (or systemd) runs them, against the real binary; and `systemd-analyze verify` on our units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, alive, freePort, seedLikeConfig, startBackends, stopAll, tempDir, until, type Backends } from '../helpers/proxy.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `handoff ARGS…` to completion (bounded). */
function handoff(args: string[], timeoutMs = 20_000): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    // 'exit', not 'close': a daemon keeps the pipe's other end until the parent lets go.
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

async function serves(port: number): Promise<boolean> {
  return get(port).then((s) => s === 200, () => false);
}

async function setup(): Promise<{ dir: string; cfg: string; port: number; backends: Backends }> {
  const dir = tempDir('handoff-hacli-');
  const backends = await startBackends(1);
  const port = await freePort();
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, seedLikeConfig({ port, backends: backends.ports }));
  return { dir, cfg, port, backends };
}

test('handoff -f CFG -c -q: exit 0 silent when valid, 1 with FILE:LINE on errors, 2 on no listener (as haproxy)', { timeout: 60_000 }, async () => {
  const { dir, cfg, backends } = await setup();
  try {
    const ok = await handoff(['-f', cfg, '-c', '-q']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout + ok.stderr, '');
    assert.match((await handoff(['-f', cfg, '-c'])).stdout, /Configuration file is valid/);

    const bad = path.join(dir, 'bad.cfg');
    fs.writeFileSync(bad, 'frontend www\n    bind 127.0.0.1:1\n    default_backend nowhere\n');
    const b = await handoff(['-f', bad, '-c', '-q']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:3: error: .*nowhere`));

    const empty = path.join(dir, 'empty.cfg');
    fs.writeFileSync(empty, '');
    const e = await handoff(['-f', empty, '-c']);
    assert.equal(e.code, 2);
    assert.match(e.stderr, /Configuration file has no error but will not start \(no listener\) => exit\(2\)\./);
    const eq = await handoff(['-f', empty, '-c', '-q']);
    assert.equal(eq.code, 2);
    assert.equal(eq.stderr, '');
    // `handoff check` says the same; `run` refuses to start.
    assert.equal((await handoff(['check', '-q', '-f', empty])).code, 2);
    const r = await handoff(['-f', empty, '-S', path.join(dir, 'm.sock')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no enabled listener found/);

    // -f DIR: its *.cfg files in lexical order (the listener in 20-, its backend in 10-).
    const confd = path.join(dir, 'conf.d');
    fs.mkdirSync(confd);
    fs.writeFileSync(path.join(confd, '20-www.cfg'), 'frontend www\n    bind 127.0.0.1:1\n    default_backend app\n');
    fs.writeFileSync(path.join(confd, '10-app.cfg'), `backend app\n    server s0 127.0.0.1:${backends.ports[0]}\n`);
    fs.writeFileSync(path.join(confd, 'README'), 'not a cfg file');
    const d = await handoff(['-f', confd, '-c', '-q']);
    assert.equal(d.code, 0, d.stderr);

    const u = await handoff(['-f', cfg, '-c', '-Z']);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /unknown option '-Z'/);
  } finally {
    await stopAll([backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the seed unit: -Ws -f CFG -p PIDFILE serves; check -x SOCK then kill -USR2 reloads with every request answered; SIGTERM stops', { timeout: 90_000 }, async () => {
  const { dir, cfg, port, backends } = await setup();
  const pidFile = path.join(dir, 'haproxy.pid');
  const sock = path.join(dir, 'admin.sock');
  let master: ChildProcess | undefined;
  try {
    master = spawn(process.execPath, [BIN, '-Ws', '-f', cfg, '-p', pidFile, '-S', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    master.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    master.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => master?.on('exit', (code) => r(code)));
    await until('pid file written', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').length > 0, 20_000, () => out);
    const mainPid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    assert.equal(mainPid, master.pid);
    assert.equal(await get(port), 200);

    // ExecReload: handoff -f $CONFIG -c -q $EXTRAOPTS $RELOADOPTS, then kill -USR2 $MAINPID.
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) statuses.push(await get(port).catch(() => -1));
    })();
    const c = await handoff(['-f', cfg, '-c', '-q', '-x', sock]);
    assert.equal(c.code, 0, c.stderr);
    process.kill(mainPid, 'SIGUSR2');
    await until('reload succeeded', () => /reload succeeded/.test(out), 30_000, () => out);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await traffic;
    assert.ok(statuses.length > 5, `only ${statuses.length} requests`);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'every request during the reload is answered 200');

    // A configuration emptied by mistake: the unit's check stops the reload (exit 2); a signal
    // sent anyway is refused by the master, which keeps serving.
    fs.writeFileSync(cfg, '');
    assert.equal((await handoff(['-f', cfg, '-c', '-q', '-x', sock])).code, 2);
    process.kill(mainPid, 'SIGUSR2');
    await until('reload refused', () => /reload failed: configuration has no listener/.test(out), 30_000, () => out);
    assert.equal(await get(port), 200);

    process.kill(mainPid, 'SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed on stop');
  } finally {
    if (master !== undefined && master.exitCode === null) master.kill('SIGKILL');
    await stopAll([backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('handoff -D -f CFG -p PIDFILE detaches: returns once serving, the pidfile\'s first line is the master', { timeout: 60_000 }, async () => {
  const { dir, cfg, port, backends } = await setup();
  const pidFile = path.join(dir, 'haproxy.pid');
  let daemonPid: number | undefined;
  try {
    const t0 = Date.now();
    const r = await handoff(['-D', '-f', cfg, '-p', pidFile, '-S', path.join(dir, 'm.sock')], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - t0 < 30_000);
    daemonPid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    assert.ok(daemonPid > 0 && alive(daemonPid), 'the master named in the pid file runs');
    assert.equal(await get(port), 200, 'and serves right away');
    process.kill(daemonPid, 'SIGTERM');
    const pid = daemonPid;
    await until('the daemon exits', () => !alive(pid), 20_000);
    assert.equal(await serves(port), false);

    // A daemon that cannot start says why and the command fails.
    const empty = path.join(dir, 'empty.cfg');
    fs.writeFileSync(empty, '');
    const f = await handoff(['-D', '-f', empty, '-p', pidFile, '-S', path.join(dir, 'm2.sock')]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /no enabled listener found/);
  } finally {
    if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    await stopAll([backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('handoff -vv prints handoff\'s, Node.js\'s, OpenSSL\'s and llhttp\'s versions', { timeout: 20_000 }, async () => {
  const v = await handoff(['-vv']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^handoff version 0\.1\.0 /);
  for (const s of [process.version, process.versions.openssl, process.versions.llhttp ?? 'llhttp']) assert.ok(v.stdout.includes(s), `${s} in:\n${v.stdout}`);
  assert.match(v.stdout, /Feature list : /);
  const short = await handoff(['-v']);
  assert.equal(short.stdout.split('\n').length, 3);
});

test('systemd-analyze verify accepts deploy/handoff.service and deploy/handoff-notify-reload.service', { timeout: 60_000 }, (t) => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    t.skip(`systemd-analyze cannot run here (${probe.error?.message ?? probe.stderr.trim()}); apt-get install systemd`);
    return;
  }
  const version = Number(/systemd (\d+)/.exec(probe.stdout)?.[1] ?? 0);
  // The units name /usr/local/bin/handoff, which verify requires to exist: check copies that
  // point at an executable stand-in made here instead.
  const dir = tempDir('handoff-units-');
  try {
    const exe = path.join(dir, 'handoff');
    fs.writeFileSync(exe, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    for (const unit of ['handoff.service', 'handoff-notify-reload.service']) {
      const copy = path.join(dir, unit);
      fs.writeFileSync(copy, fs.readFileSync(path.join(DEPLOY, unit), 'utf8').replaceAll('/usr/local/bin/handoff', exe));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 30_000 });
      let problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(copy));
      if (version < 253 && unit === 'handoff-notify-reload.service') {
        // Type=notify-reload is systemd 253's; an older verify warns about that line only.
        problems = problems.filter((l) => !/Failed to parse service type, ignoring: notify-reload/.test(l));
        t.diagnostic(`systemd ${version} < 253: Type=notify-reload not known to this verify, the rest checked`);
      }
      assert.equal(r.status, 0, `${unit}: ${r.stdout}${r.stderr}`);
      assert.deepEqual(problems, [], `${unit}: ${r.stdout}${r.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
