// `show table`, `clear table`, `set table` through the real binary, answered as HAProxy 2.6
// answers them (compared side by side when haproxy is installed; entry addresses and `exp`
// are the only differences allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { startHandoff, freePort, tempDir } from '../helpers/proxy.ts';
import { haproxyCommand, haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

function config(port: number, socket: string): string {
  return `global
  stats socket ${socket} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  stick-table type ip size 100k expire 60s store gpc0,conn_cur,http_req_cnt,http_req_rate(10s)
  http-request track-sc0 src
  http-request return status 200
backend t2
  stick-table type string len 16 size 10 store gpc0
`;
}

const COMMANDS = [
  'show table', 'show table fe', 'show table fe key 127.0.0.1', 'show table fe data.http_req_cnt gt 1', 'show table fe data.http_req_cnt gt 5',
  'show table nope', 'show table fe key', 'show table fe data.gpc0 xx 1', 'show table fe data.foo gt 1', 'show table t2 data.http_req_cnt gt 1',
  'set table fe key 127.0.0.1 data.gpc0 7', 'set table fe key 127.0.0.2 data.gpc0 3', 'set table fe key 127.0.0.1 data.server_id 3',
  'set table fe key 1.2.3.4 data.gpc0', 'set table nope key 1 data.gpc0 1', 'show table fe',
  'clear table fe key 127.0.0.2', 'clear table fe data.gpc0 gt 5', 'show table fe', 'clear table nope',
  'set table t2 key abcdefghijklmnopqrstuvwxyz data.gpc0 4', 'show table t2', 'clear table fe', 'show table fe',
];

/** Addresses and expiry times differ between processes and runs. */
const normal = (s: string): string => s.replace(/^0x[0-9a-f]+:/gm, '0x:').replace(/ exp=\d+/g, ' exp=N');

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, agent: false }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0)))).on('error', reject);
  });
}

async function answers(port: number, cmd: (line: string) => Promise<string>): Promise<string[]> {
  for (let i = 0; i < 3; i++) assert.equal(await get(port), 200);
  const out: string[] = [];
  for (const c of COMMANDS) out.push(normal(await cmd(c)));
  return out;
}

test('show/set/clear table answer as documented in docs/runtime-api.md', async () => {
  const dir = tempDir('handoff-stick-api-');
  const port = await freePort();
  const socket = path.join(dir, 'stats.sock');
  const h = await startHandoff(dir, config(port, socket));
  try {
    const got = await answers(port, (line) => haproxyCommand(socket, line));
    assert.equal(got[1], '# table: fe, type: ip, size:102400, used:1\n0x: key=127.0.0.1 use=0 exp=N gpc0=0 conn_cur=0 http_req_cnt=3 http_req_rate(10000)=3\n\n');
    assert.equal(got[5], 'No such table\n\n');
    assert.equal(got[21], '# table: t2, type: string, size:10, used:1\n0x: key=abcdefghijklmnop use=0 exp=N gpc0=4\n\n');
  } finally {
    h.kill();
    await h.exited;
  }
});

test('show/set/clear table answer as HAProxy 2.6 does', { skip: haproxyMissing() }, async () => {
  const dir = tempDir('handoff-stick-cmp-');
  const [hport, port] = [await freePort(), await freePort()];
  const hsock = path.join(dir, 'haproxy.sock');
  const socket = path.join(dir, 'stats.sock');
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config(hport, hsock));
  const hap = await startHaproxy(path.join(dir, 'haproxy.cfg'), hsock);
  const h = await startHandoff(dir, config(port, socket));
  try {
    const theirs = await answers(hport, (line) => haproxyCommand(hsock, line));
    const ours = await answers(port, (line) => haproxyCommand(socket, line));
    for (let i = 0; i < COMMANDS.length; i++) assert.equal(ours[i], theirs[i], COMMANDS[i]);
  } finally {
    await hap?.stop();
    h.kill();
    await h.exited;
  }
});

function countingConfig(port: number, socket: string): string {
  return `global
  stats socket ${socket} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  stick-table type ip size 100k expire 60s store conn_cnt,conn_cur,conn_rate(10s),sess_cnt,http_req_cnt,http_err_cnt,gpc0,gpt0
  http-request track-sc0 src
  http-request sc-inc-gpc0(0) if { path /inc }
  http-request sc-set-gpt0(0) 42 if { path /gpt }
  http-request return status 404 if { path /nf }
  http-request return status 200 content-type text/plain string "hello"
`;
}

/** Requests on new connections and two on one kept-alive connection. */
async function traffic(port: number): Promise<void> {
  for (const p of ['/', '/nf', '/inc', '/gpt']) await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => (res.resume(), res.on('end', () => resolve()))).on('error', reject);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (const p of ['/inc', '/x']) await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => (res.resume(), res.on('end', () => resolve()))).on('error', reject);
  });
  agent.destroy();
  await new Promise((r) => setTimeout(r, 200));
}

test('tracking counts connections, requests, gpc0 and gpt0 as HAProxy 2.6 does', { skip: haproxyMissing() }, async () => {
  const dir = tempDir('handoff-stick-count-');
  const [hport, port] = [await freePort(), await freePort()];
  const hsock = path.join(dir, 'haproxy.sock');
  const socket = path.join(dir, 'stats.sock');
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), countingConfig(hport, hsock));
  const hap = await startHaproxy(path.join(dir, 'haproxy.cfg'), hsock);
  const h = await startHandoff(dir, countingConfig(port, socket));
  try {
    await traffic(hport);
    await traffic(port);
    const theirs = normal(await haproxyCommand(hsock, 'show table fe'));
    assert.match(theirs, /gpt0=42 gpc0=2 conn_cnt=6 conn_rate\(10000\)=6 conn_cur=0 sess_cnt=0 http_req_cnt=6 http_err_cnt=0/);
    assert.equal(normal(await haproxyCommand(socket, 'show table fe')), theirs);
  } finally {
    await hap?.stop();
    h.kill();
    await h.exited;
  }
});
