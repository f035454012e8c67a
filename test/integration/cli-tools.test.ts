// HAProxy's tools and conventions on handoff's runtime API: hatop in a pseudo-terminal, the master
// CLI (`@1`, `@!PID`, `show proc`), stats sockets on TCP, a unix socket's mode and owner, and
// `handoff ctl` on top of the same protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { exchange } from '../helpers/cli.ts';
import { BIN, freePort, startHandoff, stopAll, tempDir, until } from '../helpers/proxy.ts';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function config(dir: string, port: number, extraGlobal = ''): string {
  return `global
    stats socket ${dir}/admin.sock mode 600 level admin
${extraGlobal}
defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend www
    bind 127.0.0.1:${port}
    default_backend app

backend app
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2
`;
}

function ctl(socket: string, command: string) {
  return spawnSync(process.execPath, [BIN, 'ctl', '-S', socket, command], { encoding: 'utf8', timeout: 20_000 });
}

test('hatop starts in a pseudo-terminal on a stats socket and shows the servers', { timeout: 60_000 }, async (t) => {
  if (!has('hatop') || !has('tmux')) return t.skip('hatop or tmux not installed');
  const dir = tempDir('handoff-hatop-');
  const h = await startHandoff(dir, config(dir, await freePort()), ['--workers', '1']);
  const session = `handoff-hatop-${process.pid}`;
  try {
    const started = spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', `hatop -s ${dir}/admin.sock 2>${dir}/hatop.err; sleep 30`]);
    assert.equal(started.status, 0, started.stderr?.toString());
    const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout ?? '';
    await until('hatop shows its header', () => /Version: \S+/.test(screen()), 10_000, screen);
    assert.doesNotMatch(fs.readFileSync(`${dir}/hatop.err`, 'utf8'), /interactive mode/);
    assert.match(screen(), new RegExp(`PID: ${(await h.workerPids()).length > 0 ? '\\d+' : ''}`));
    // The server rows need `show stat` with HAProxy's full CSV columns.
    await until('hatop lists the servers', () => /\bs1\b/.test(screen()) && /\bs2\b/.test(screen()), 10_000, screen);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
    await stopAll([h]);
  }
});

test('master CLI: @1 and @!PID answer as that worker, an unknown pid gets HAProxy\'s error, show proc parses as HAProxy\'s', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-mcli-');
  const h = await startHandoff(dir, config(dir, await freePort()), ['--workers', '2']);
  try {
    const proc = await exchange(h.socket, 'show proc\n');
    const lines = proc.split('\n');
    assert.equal(lines[0], '#<PID>          <type>          <reloads>       <uptime>        <version>      ');
    assert.match(lines[1] ?? '', new RegExp(`^${h.pid} +master +0 \\[failed: 0\\] +\\d+d\\d\\dh\\d\\dm\\d\\ds +\\S+`));
    assert.equal(lines[2], '# workers');
    const workers = [...proc.matchAll(/^(\d+) +worker +(\d+) +\d+d\d\dh\d\dm\d\ds +\S+ *$/gm)].map((m) => Number(m[1]));
    assert.equal(workers.length, 2, proc);
    assert.ok(lines.includes('# programs'), proc);
    assert.match(await exchange(h.socket, '@1 show info\n'), new RegExp(`^Pid: ${workers[0]}$`, 'm'));
    assert.match(await exchange(h.socket, '@2 show info\n'), new RegExp(`^Pid: ${workers[1]}$\\n[^]*^Process_num: 2$|^Process_num: 2$[^]*^Pid: ${workers[1]}$`, 'm'));
    assert.match(await exchange(h.socket, `@!${workers[1]} show info\n`), new RegExp(`^Pid: ${workers[1]}$`, 'm'));
    assert.match(await exchange(h.socket, 'show info\n'), new RegExp(`^Pid: ${h.pid}$`, 'm'));
    assert.equal(await exchange(h.socket, '@!1 show info\n'), "Can't find the target PID matching the prefix '@!1'\n");
    assert.equal(await exchange(h.socket, '@3 show info\n'), "Can't find the target PID matching the prefix '@3'\n");
    // A default target in prompt mode, and the prompt names it.
    const session = await exchange(h.socket, `prompt\n@!${workers[0]}\nshow cli level\n@master\nquit\n`);
    assert.equal(session, `master> ${workers[0]}> admin\n\n${workers[0]}> master> master> `);
    // `show proc` is the master's: a worker answers it as unknown (as HAProxy's).
    assert.match(await exchange(h.socket, '@1 show proc\n'), /^Unknown command/);
  } finally {
    await stopAll([h]);
  }
});

test('set timeout cli closes an idle interactive session after that long', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-clitimeout-');
  const h = await startHandoff(dir, config(dir, await freePort()), ['--workers', '1']);
  try {
    const t0 = Date.now();
    const c = net.connect(`${dir}/admin.sock`);
    let out = '';
    c.on('data', (d: Buffer) => (out += d.toString()));
    c.on('connect', () => c.write('prompt\nset timeout cli 1\n'));
    await new Promise((r) => c.once('close', r));
    const took = Date.now() - t0;
    assert.equal(out, '\n> \n> ');
    assert.ok(took >= 900 && took < 3000, `closed after ${took} ms`);
  } finally {
    await stopAll([h]);
  }
});

test('stats sockets on TCP (ipv4@HOST:PORT and HOST:PORT) answer at their level; show cli sockets lists every socket', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-tcpcli-');
  const [p1, p2] = [await freePort(), await freePort()];
  const h = await startHandoff(dir, config(dir, await freePort(), `    stats socket ipv4@127.0.0.1:${p1} level operator\n    stats socket 127.0.0.1:${p2} level user maxconn 2`), ['--workers', '1']);
  try {
    assert.equal(await exchange({ host: '127.0.0.1', port: p1 }, 'show cli level\n'), 'operator\n\n');
    assert.equal(await exchange({ host: '127.0.0.1', port: p2 }, 'show cli level;show env HOME\n'), 'user\n\nPermission denied\n\n');
    assert.equal(
      await exchange(`${dir}/admin.sock`, 'show cli sockets\n'),
      `# socket lvl processes\nunix@${h.socket} admin all\nunix@${dir}/admin.sock admin all\nipv4@127.0.0.1:${p1} operator all\nipv4@127.0.0.1:${p2} user all\n\n`,
    );
  } finally {
    await stopAll([h]);
  }
});

async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(0, '::1', () => srv.close(() => resolve(true)));
  });
}

test('a stats socket on ipv6@::1:PORT answers; show cli sockets names it in HAProxy\'s form', { timeout: 60_000 }, async (t) => {
  if (!(await ipv6Loopback())) return t.skip('no IPv6 loopback on this host');
  const dir = tempDir('handoff-tcp6cli-');
  const port = await freePort();
  const h = await startHandoff(dir, config(dir, await freePort(), `    stats socket ipv6@::1:${port} level admin`), ['--workers', '1']);
  try {
    assert.equal(await exchange({ host: '::1', port }, 'show cli level\n'), 'admin\n\n');
    assert.match(await exchange({ host: '::1', port }, 'show cli sockets\n'), new RegExp(`^ipv6@\\[::1\\]:${port} admin all$`, 'm'));
  } finally {
    await stopAll([h]);
  }
});

test('a unix stats socket gets its mode, user and group; an unknown user is a config error at its line', { timeout: 60_000 }, async (t) => {
  const dir = tempDir('handoff-sockown-');
  const root = process.getuid?.() === 0;
  const owner = root ? '    stats socket ${DIR}/owned.sock mode 640 user nobody group nogroup level user' : '    stats socket ${DIR}/owned.sock mode 640 level user';
  const h = await startHandoff(dir, config(dir, await freePort(), owner.replace('${DIR}', dir)), ['--workers', '1']);
  try {
    const st = fs.statSync(`${dir}/owned.sock`);
    assert.equal(st.mode & 0o777, 0o640);
    if (root) {
      const uid = Number(/^nobody:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/passwd', 'utf8'))?.[1]);
      const gid = Number(/^nogroup:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/group', 'utf8'))?.[1]);
      assert.deepEqual([st.uid, st.gid], [uid, gid]);
    } else t.diagnostic('not root: the owner part is not checked');
    assert.equal(await exchange(`${dir}/owned.sock`, 'show cli level\n'), 'user\n\n');
  } finally {
    await stopAll([h]);
  }
  const bad = path.join(dir, 'bad.cfg');
  fs.writeFileSync(bad, config(dir, 1, `    stats socket ${dir}/x.sock user no-such-user-here`));
  const r = spawnSync(process.execPath, [BIN, '-c', '-f', bad], { encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, new RegExp(`${bad.replace(/[.]/g, '\\.')}:3.*unknown user name 'no-such-user-here'`));
});

test('handoff ctl works over the same protocol: output and exit status, several commands with ;', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-ctlcli-');
  const h = await startHandoff(dir, config(dir, await freePort()), ['--workers', '1']);
  try {
    const ok = ctl(h.socket, 'show cli level');
    assert.deepEqual([ok.status, ok.stdout], [0, 'admin\n']);
    const unknown = ctl(h.socket, 'show nothing here');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^Unknown command, but maybe one of the following ones is a better match:/);
    const two = ctl(h.socket, 'show cli level;show version');
    assert.equal(two.status, 0);
    assert.match(two.stdout, /^admin\n\d+\.\d+\.\d+/);
    const denied = ctl(`${dir}/admin.sock`, 'operator;user;disable server app/s1');
    assert.deepEqual([denied.status, denied.stderr], [1, 'Permission denied\n']);
    // An HAProxy client never sees the status line.
    assert.equal(await exchange(h.socket, 'show cli level\n'), 'admin\n\n');
  } finally {
    await stopAll([h]);
  }
});
