// The runtime API's wire protocol against HAProxy 2.6's, byte for byte: the same configuration's
// stats sockets and master socket, the same inputs, the same answers (one-shot, `;`, several
// lines, prompt, quit, levels, permission errors, bad arguments, escapes, payloads, the master
// CLI's `@`).
// Where a value legitimately differs (pids, uptimes, version) the shapes are compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { exchange, haproxyInstalled, startHaproxy } from '../helpers/cli.ts';
import { freePort, startHandoff, stopAll, tempDir } from '../helpers/proxy.ts';

process.env.HANDOFF_CLI_TEST = 'forty two';

function config(dir: string, port: number): string {
  return `global
    stats socket ${dir}/admin.sock mode 600 level admin
    stats socket ${dir}/user.sock mode 600 level user
    stats socket ${dir}/op.sock mode 600 level operator
    stats timeout 5s

defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s

frontend www
    bind 127.0.0.1:${port}
    use_backend %[req.hdr(host),lower,map(${dir}/hosts.map,app)]

backend app
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2
`;
}

/** [socket, input]: answers identical between HAProxy 2.6 and handoff. */
const SAME: [string, string][] = [
  ['admin', 'show cli level\n'],
  ['admin', 'show cli level;show cli level\n'],
  ['admin', 'show cli level\nshow cli level\n'],
  ['admin', 'operator;show cli level\n'],
  ['admin', 'user;operator\n'],
  ['admin', 'operator -;show cli level\n'],
  ['user', 'operator\n'],
  ['user', 'show cli level\n'],
  ['user', 'show env HOME\n'],
  ['user', 'disable server app/s1\n'],
  ['user', 'show sess\n'],
  ['user', 'shutdown session 0x1\n'],
  ['op', 'show env HANDOFF_CLI_TEST\n'],
  ['op', 'show env NOPE_NOT_SET\n'],
  ['op', 'disable frontend www\n'],
  ['admin', 'prompt\nshow cli level\nquit\n'],
  ['admin', 'prompt\nprompt\nshow cli level\n'],
  ['admin', 'quit\n'],
  ['admin', 'quit\nshow cli level\n'],
  ['admin', 'set timeout cli\n'],
  ['admin', 'set timeout foo\n'],
  ['admin', 'set timeout cli 0\n'],
  ['admin', 'show\\ cli level\n'],
  ['admin', 'show cli level\r\n'],
  ['admin', '  show   cli\tlevel  \n'],
  ['admin', 'show cli level'],
  ['master', 'show cli level\n'],
  ['master', '@!99999 show cli level\n'],
  ['master', '@1 show cli level\n'],
  ['master', 'user;show cli level\n'],
  ['master', 'operator\n'],
  ['master', '@1 user;show cli level\n'],
  ['admin', 'add map DIR/hosts.map <<\na.example app\nb.example app\n\n'],
  ['admin', 'prompt\nadd map DIR/hosts.map <<\nc.example app\n\nshow cli level\n'],
  ['admin', 'get map DIR/hosts.map b.example\n'],
  ['admin', 'help show cli\n'],
  ['admin', 'help set timeout\n'],
  ['user', 'help show env;help operator;help user\n'],
  ['admin', 'help show version\n'],
  ['admin', 'show cli foo\n'],
  ['admin', 'set server\n'],
  ['admin', 'set server app/zz state ready\n'],
  ['admin', 'set server app/s1\n'],
  ['admin', 'set weight app/s1\n'],
  ['admin', 'get weight app/zz\n'],
  ['admin', 'set server app/s1 weight 2;get weight app/s1\n'],
  ['admin', 'enable health app/zz\n'],
  ['user', 'show backend;help get weight\n'],
  ['master', '@1 get weight app/s2\n'],
];

async function both(t: { skip(msg: string): void }) {
  if (!haproxyInstalled()) {
    t.skip('haproxy not installed');
    return null;
  }
  const hdir = tempDir('handoff-cliw-h-');
  const wdir = tempDir('handoff-cliw-w-');
  for (const d of [hdir, wdir]) fs.writeFileSync(path.join(d, 'hosts.map'), 'foo.example app\n');
  const hcfg = path.join(hdir, 'h.cfg');
  fs.writeFileSync(hcfg, config(hdir, await freePort()));
  const haproxy = await startHaproxy(hcfg, path.join(hdir, 'master.sock'), ['admin', 'user', 'op'].map((s) => path.join(hdir, `${s}.sock`)));
  const handoff = await startHandoff(wdir, config(wdir, await freePort()), ['--workers', '1']);
  const sock = (dir: string, name: string, master: string) => (name === 'master' ? master : path.join(dir, `${name}.sock`));
  return {
    haproxy: (name: string, input: string) => exchange(sock(hdir, name, haproxy.masterSocket), input.replaceAll('DIR', hdir)),
    handoff: (name: string, input: string) => exchange(sock(wdir, name, handoff.socket), input.replaceAll('DIR', wdir)),
    stop: async () => {
      await haproxy.stop();
      await stopAll([handoff]);
    },
  };
}

test(`${SAME.length} inputs get byte-identical answers from HAProxy 2.6 and handoff`, { timeout: 90_000 }, async (t) => {
  const p: Awaited<ReturnType<typeof both>> = await both(t);
  if (p === null) return;
  try {
    for (const [name, input] of SAME) {
      const [h, w]: [string, string] = [await p.haproxy(name, input), await p.handoff(name, input)];
      assert.equal(JSON.stringify(w), JSON.stringify(h), `${name}.sock ${JSON.stringify(input)}`);
    }
  } finally {
    await p.stop();
  }
});

test('shapes where values differ: unknown commands, help, show info fields, show proc layout, @1 show info', { timeout: 90_000 }, async (t) => {
  const p: Awaited<ReturnType<typeof both>> = await both(t);
  if (p === null) return;
  try {
    const firstLine = (s: string) => s.split('\n')[0];
    const lastLines = (s: string) => s.split('\n').slice(-5).join('\n');
    for (const input of ['show foo\n', '\n', 'help\n', 'foo bar\n']) {
      const [h, w]: [string, string] = [await p.haproxy('admin', input), await p.handoff('admin', input)];
      assert.equal(firstLine(w), firstLine(h), input);
      assert.equal(lastLines(w), lastLines(h), input);
      // Every listed line is a usage column of (at least) 40 characters and its help.
      for (const line of w.split('\n').slice(1, -2)) assert.ok(line.startsWith('  ') && line.indexOf(': ', 2) >= 42, `${JSON.stringify(input)}: ${line}`);
    }
    const names = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => l.slice(0, l.indexOf(':')));
    const [hinfo, winfo] = [await p.haproxy('admin', 'show info\n'), await p.handoff('admin', 'show info\n')];
    assert.deepEqual(names(winfo).slice(0, names(hinfo).length), names(hinfo), 'HAProxy\'s fields first, in its order');
    assert.match(winfo, /^Generation: \d+$/m);
    const typed = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => l.split(':').slice(0, 3).join(':'));
    const [ht, wt] = [await p.haproxy('admin', 'show info typed\n'), await p.handoff('admin', 'show info typed\n')];
    assert.deepEqual(typed(wt).slice(0, typed(ht).length), typed(ht), 'typed: positions, tags and types');
    const [hd, wd] = [await p.haproxy('op', 'show info desc\n'), await p.handoff('op', 'show info desc\n')];
    const descs = (s: string) => s.split('\n').map((l) => /:"[^"]*"$/.exec(l)?.[0]).filter((d) => d !== undefined);
    assert.deepEqual(descs(wd).slice(0, descs(hd).length), descs(hd));
    const jsonNames = (s: string) => (JSON.parse(s) as { field: { name: string }; tags: unknown; value: { type: string } }[]).map((f) => JSON.stringify([f.field, f.tags, f.value.type]));
    const [hj, wj] = [await p.haproxy('admin', 'show info json\n'), await p.handoff('admin', 'show info json\n')];
    assert.deepEqual(jsonNames(wj).slice(0, jsonNames(hj).length), jsonNames(hj));
    const [hp, wp] = [await p.haproxy('master', 'show proc\n'), await p.handoff('master', 'show proc\n')];
    const layout = (s: string) => s.split('\n').map((l) => l.replace(/^\d+ +/, 'PID ').replace(/\d+d\d\dh\d\dm\d\ds +/, 'UPTIME ').replace(/(master|worker) +\S+( \[failed: \d+\])? +/, '$1 RELOADS ').replace(/[\d.+~a-z-]+ *$/, 'VERSION'));
    assert.equal(firstLine(wp), firstLine(hp), 'the header, padding included');
    assert.deepEqual(layout(wp).slice(0, 4), layout(hp).slice(0, 4));
    const pid = /^(\d+) +worker/m.exec(wp)?.[1];
    assert.match(await p.handoff('master', '@1 show info\n'), new RegExp(`^Pid: ${pid}$`, 'm'));
    assert.match(await p.haproxy('master', '@1 show info\n'), /^Pid: \d+$/m);
  } finally {
    await p.stop();
  }
});

/** Drive `socat` through its stdin: each command is sent once the previous prompt came. */
async function socatPrompt(sock: string, commands: string[]): Promise<string> {
  const child = spawn('socat', ['-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const prompts = () => out.split('\n> ').length - 1;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const wait = async (n: number) => {
    const end = Date.now() + 5000;
    while (prompts() < n) {
      if (Date.now() > end) throw new Error(`waited for prompt ${n}: ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  child.stdin.write('prompt\n');
  await wait(1);
  for (const [i, c] of commands.entries()) {
    child.stdin.write(`${c}\n`);
    await wait(i + 2);
  }
  child.stdin.end('quit\n');
  await new Promise((r) => child.once('exit', r));
  return out;
}

test('a socat session in prompt mode runs five commands and gets five answers, each followed by the prompt', { timeout: 60_000 }, async (t) => {
  if (spawn === undefined || !fs.existsSync('/usr/bin/socat')) return t.skip('socat not installed');
  const dir = tempDir('handoff-clisocat-');
  fs.writeFileSync(path.join(dir, 'hosts.map'), 'foo.example app\n');
  const h = await startHandoff(dir, config(dir, await freePort()), ['--workers', '1']);
  try {
    const out = await socatPrompt(path.join(dir, 'admin.sock'), ['show cli level', 'show version', 'operator', 'show cli level', 'show servers state']);
    const parts = out.split('\n> ');
    assert.equal(parts.length, 7, JSON.stringify(out)); // prompt's own, five answers, quit
    assert.deepEqual(parts.slice(1, 5), ['admin\n', `${JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`, '', 'operator\n']);
    assert.match(parts[5] ?? '', /app/);
    assert.equal(parts[0], '');
  } finally {
    await stopAll([h]);
  }
});
