// Server runtime commands in HAProxy 2.6's syntax and words: show servers state|conn, show
// backend, get/set weight, set server addr|port|health|agent|check-port|maxconn|state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { freePort, startBackends, startHandoff, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';
import { CHECK_STATUS, STATE_HEADER, parseServersState, serverState } from '../helpers/runtime-servers.ts';
import { haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

let backends: Backends;
let proxy: Handoff;
let port: number;
let dir: string;

function config(listen: number, socket?: string): string {
  const [b0, b1] = backends.ports;
  return `global
${socket !== undefined ? `    stats socket ${socket} level admin\n` : ''}defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${listen}
    default_backend app
backend app
    balance roundrobin
    server s0 127.0.0.1:${b0} check inter 200
    server s1 127.0.0.1:${b1} weight 3
    server s2 127.0.0.1:${b1} check inter 200 disabled
backend other
    server o1 127.0.0.1:${b0} maxconn 10
`;
}

before(async () => {
  dir = tempDir();
  backends = await startBackends(2);
  port = await freePort();
  proxy = await startHandoff(dir, config(port, path.join(dir, 'handoff.sock')), ['--workers', '2']);
});

after(async () => {
  proxy?.kill();
  backends?.kill();
  await Promise.all([proxy?.exited, backends?.exited]);
});

const ctl = async (line: string): Promise<string> => (await proxy.ctl(line)).output;

function endpoint(): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(/endpoint: (\S+)/.exec(body)?.[1] ?? String(res.statusCode)));
      })
      .on('error', reject);
  });
}

test('show servers state prints HAProxy 2.6 state file (version 1) with its codes', async () => {
  await until('s0 checked', async () => serverState(await ctl('show servers state'), 'app/s0')?.fields.srv_check_status === String(CHECK_STATUS.L4OK));
  const out = await ctl('show servers state');
  const lines = out.split('\n');
  assert.equal(lines[0], '1');
  assert.equal(lines[1], STATE_HEADER);
  const rows = parseServersState(out);
  assert.deepEqual(rows.map((r) => r.id), ['app/s0', 'app/s1', 'app/s2', 'other/o1']);
  const f = (id: string): string[] => (rows.find((r) => r.id === id)?.fields ? Object.values(rows.find((r) => r.id === id)?.fields ?? {}) : []);
  // be_id 3: HAProxy numbers its own CLI proxy 1, then fe 2, app 3, other 4.
  assert.deepEqual(f('app/s0').filter((_, i) => i !== 9 && i !== 18), '3 app 1 s0 127.0.0.1 2 0 1 1 6 3 4 6 0 0 0 - - 0 0 - - 0'.split(' '));
  assert.deepEqual(f('app/s1').filter((_, i) => i !== 9 && i !== 18), '3 app 2 s1 127.0.0.1 2 0 3 3 1 0 2 0 0 0 0 - - 0 0 - - 0'.split(' '));
  assert.deepEqual(f('app/s2').filter((_, i) => i !== 9 && i !== 18), '3 app 3 s2 127.0.0.1 0 5 1 1 1 0 0 14 0 0 0 - - 0 0 - - 0'.split(' '));
  assert.equal(await ctl('show servers state other'), `1\n${STATE_HEADER}\n${lines[5]}\n`);
  assert.equal((await ctl('show servers state nope')).trim(), "Can't find backend.");
});

test('show servers state, show servers conn and show backend have the shape of HAProxy 2.6 for the same configuration', async (t) => {
  const missing = haproxyMissing();
  if (missing !== undefined) return t.skip(missing);
  const socket = path.join(dir, 'haproxy.sock');
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, config(await freePort(), socket));
  const h = await startHaproxy(cfg, socket);
  assert.ok(h !== null);
  try {
    await until('haproxy checked s0', async () => serverState(await h.cmd('show servers state'), 'app/s0')?.fields.srv_check_status === String(CHECK_STATUS.L4OK));
    const theirs = parseServersState(await h.cmd('show servers state'));
    const ours = parseServersState(await ctl('show servers state'));
    assert.equal((await h.cmd('show servers state')).split('\n')[1], (await ctl('show servers state')).split('\n')[1]);
    const volatile = new Set(['srv_time_since_last_change']);
    const shape = (rows: typeof ours): string[] => rows.map((r) => Object.entries(r.fields).filter(([k]) => !volatile.has(k)).map(([k, v]) => `${k}=${v}`).join(' '));
    assert.deepEqual(shape(ours), shape(theirs));
    assert.equal(await ctl('show backend'), (await h.cmd('show backend')).replace(/\n\n$/, '\n'));
    const conn = (s: string): string[] => s.trim().split('\n').map((l) => l.split(' ').slice(0, 6).join(' '));
    assert.deepEqual(conn(await ctl('show servers conn app')), conn(await h.cmd('show servers conn app')));
    for (const line of ['get weight app/s1', 'get weight app/nope', 'get weight nope/s1', 'get weight app', 'set weight app/s1 300', 'set server app/s0 health x', 'set server app/s1 state x', 'set server app/s1 agent up', 'set server app/s1 check-port 80', 'set server app/s1 addr', 'enable health app/s1', 'enable agent app/s1', 'show servers state nope']) {
      assert.equal((await ctl(line)).trim(), (await h.cmd(line)).trim(), line);
    }
  } finally {
    await h.stop();
  }
});

test('get weight, set weight N and N%, set server weight: HAProxy answers and errors', async () => {
  assert.equal(await ctl('get weight app/s1'), '3 (initial 3)\n');
  assert.equal(await ctl('set weight app/s1 50%'), '');
  assert.equal(await ctl('get weight app/s1'), '1 (initial 3)\n');
  assert.equal(await ctl('set server app/s1 weight 10'), '');
  assert.equal(await ctl('get weight app/s1'), '10 (initial 3)\n');
  assert.equal(serverState(await ctl('show servers state'), 'app/s1')?.weight, 10);
  assert.equal((await ctl('set weight app/s1 257')).trim(), 'Absolute weight can only be between 0 and 256 inclusive.');
  assert.equal((await ctl('set weight app/s1 abc')).trim(), 'Empty weight string empty or preceded by garbage');
  assert.equal((await ctl('set weight app/s1')).trim(), 'Require <weight> or <weight%>.');
  assert.equal((await ctl('set weight app/nope 1')).trim(), 'No such server.');
  assert.equal((await ctl('set weight nope/s1 1')).trim(), 'No such backend.');
  assert.equal((await ctl('set weight app 1')).trim(), "Require 'backend/server'.");
  assert.equal(await ctl('set weight app/s1 100%'), '');
});

test('set server addr moves traffic to the new address without a reload, and it is kept across reloads of both kinds', { timeout: 60_000 }, async () => {
  const [b0, b1] = backends.ports;
  assert.equal(await ctl('set server app/s0 state maint'), '');
  assert.equal(await ctl('set server app/s1 state maint'), '');
  assert.equal(await ctl(`set server other/o1 addr 127.0.0.1 port ${b1}`), `no need to change the addr, port changed from '${b0}' to '${b1}' by 'stats socket command'\n`);
  // app/s0 now points at the second backend: the only server in service.
  assert.equal(await ctl(`set server app/s0 addr 127.0.0.1 port ${b1}`), `no need to change the addr, port changed from '${b0}' to '${b1}' by 'stats socket command'\n`);
  assert.equal(await ctl('set server app/s0 state ready'), '');
  const seen = async (): Promise<string[]> => Promise.all(Array.from({ length: 8 }, () => endpoint()));
  assert.deepEqual(await seen(), Array(8).fill(`127.0.0.1:${b1}`));
  assert.equal(serverState(await ctl('show servers state'), 'app/s0')?.fields.srv_port, String(b1));
  assert.ok((await proxy.ctl('reload')).ok);
  assert.deepEqual(await seen(), Array(8).fill(`127.0.0.1:${b1}`), 'after an in-place reload');
  assert.ok((await proxy.ctl('reload full')).ok);
  assert.deepEqual(await seen(), Array(8).fill(`127.0.0.1:${b1}`), 'after a reload with new processes');
  assert.equal(await ctl(`set server app/s0 port ${b0}`), `port changed from '${b1}' to '${b0}' by 'stats socket command'\n`);
  assert.deepEqual(await seen(), Array(8).fill(`127.0.0.1:${b0}`));
  assert.equal((await ctl('set server app/s0 addr bogus')).trim(), "Invalid addr 'bogus' by 'stats socket command'");
  assert.equal((await ctl('set server app/s0 addr')).trim(), 'set server <b>/<s> addr requires an address and optionally a port.');
  assert.equal(await ctl('set server app/s0 addr 127.0.0.1'), "no need to change the addr by 'stats socket command'\n");
  assert.equal(await ctl('set server app/s1 state ready'), '');
});

test('set server health, agent, check-port, maxconn; enable/disable health: HAProxy answers', { timeout: 30_000 }, async () => {
  assert.equal(await ctl('set server app/s1 health down'), '');
  let s1 = serverState(await ctl('show servers state'), 'app/s1');
  assert.equal(s1?.up, false);
  assert.equal(s1?.fields.srv_check_health, '0');
  assert.equal(await ctl('set server app/s1 health stopping'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s1')?.fields.srv_op_state, '3');
  assert.equal(await ctl('set server app/s1 health up'), '');
  s1 = serverState(await ctl('show servers state'), 'app/s1');
  assert.equal(s1?.fields.srv_op_state, '2');
  assert.equal((await ctl('set server app/s1 health x')).trim(), "'set server <srv> health' expects 'up', 'stopping', or 'down'.");
  assert.equal((await ctl('set server app/s1 agent up')).trim(), 'agent checks are not enabled on this server.');
  assert.equal((await ctl('set server app/s1 check-port 80')).trim(), 'health checks are not enabled on this server');
  assert.equal((await ctl('set server app/s0 check-port x')).trim(), 'provided port is not an integer');
  assert.equal(await ctl(`set server app/s0 check-port ${backends.ports[0]}`), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s0')?.fields.srv_check_port, String(backends.ports[0]));
  assert.equal(await ctl('disable health app/s0'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s0')?.fields.srv_check_state, '2');
  assert.equal(await ctl('set server app/s0 health down'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s0')?.up, false, 'forced down while its checks are off');
  assert.equal(await ctl('enable health app/s0'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s0')?.fields.srv_check_state, '6');
  await until('the checks bring app/s0 back up', async () => serverState(await ctl('show servers state'), 'app/s0')?.up === true);
  assert.equal((await ctl('enable health app/s1')).trim(), 'Health check was not configured on this server, cannot enable.');
  assert.equal(await ctl('disable health app/s1'), '');
  assert.equal((await ctl('enable agent app/s1')).trim(), 'Agent was not configured on this server, cannot enable.');
  assert.equal(await ctl('disable agent app/s1'), '');
  assert.equal(await ctl('set maxconn server other/o1 7'), '');
  assert.equal(await ctl('set server other/o1 maxconn 8'), '');
  assert.equal((await ctl('set maxconn server other/o1 x')).trim(), 'maxconn string empty or preceded by garbage');
  assert.equal((await ctl('set server app/s1 state x')).trim(), "'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
  assert.match(await ctl('set server app/s1 foo'), /^usage: set server <backend>\/<server> addr \| agent/);
  assert.equal((await ctl('set server app')).trim(), "Require 'backend/server'.");
  assert.equal((await ctl('set server app/nope state ready')).trim(), 'No such server.');
  assert.equal((await ctl('set server nope/s1 state ready')).trim(), 'No such backend.');
  assert.equal(await ctl('set server app/s1 state drain'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s1')?.fields.srv_admin_state, '8');
  assert.equal(await ctl('set server app/s1 state ready'), '');
  // A server `disabled` in the configuration stays in maintenance when another setting changes.
  assert.equal(await ctl('set server app/s2 weight 2'), '');
  assert.equal(await ctl('set server app/s2 health stopping'), '');
  assert.equal(serverState(await ctl('show servers state'), 'app/s2')?.fields.srv_admin_state, '5');
});

test('show servers conn and show backend: HAProxy formats', async () => {
  const conn = await ctl('show servers conn app');
  const lines = conn.trim().split('\n');
  assert.equal(lines[0], '# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]');
  assert.match(lines[1] ?? '', /^app\/s0 3\/1 127\.0\.0\.1 \d+ - 5000 \d+ \d+ \d+ 0 0 -1 0 0 0$/);
  assert.equal(lines.length, 4);
  assert.equal((await ctl('show servers conn nope')).trim(), "Can't find backend.");
  assert.equal(await ctl('show backend'), '# name\napp\nother\n');
});
