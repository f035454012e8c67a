// Maps and ACL files changed through the runtime API change routing at once, in every worker,
// without a reload; a reload reads the files again (runtime changes are lost, as in HAProxy).
// `show map` / `show acl` / `get map` answers are compared with HAProxy 2.6's when installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { findHaproxy } from '../../src/bench/proxies.ts';
import { canConnect } from '../../src/bench/processes.ts';
import { freePort, startHandoff, stopAll, tempDir, until, type Handoff } from '../helpers/proxy.ts';

const servers: http.Server[] = [];
let dir: string;
let port: number;
let handoff: Handoff;
let mapFile: string;
let aclFile: string;
let backends: number[];

async function namedBackend(name: string): Promise<number> {
  const p = await freePort();
  const s = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': name.length, 'x-pid': String(process.pid) });
    res.end(name);
  });
  await new Promise<void>((r) => s.listen(p, '127.0.0.1', r));
  servers.push(s);
  return p;
}

function get(host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host, ...headers }, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function config(p: number, b: number[], socket: string): string {
  return `global
  stats socket ${socket} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${p}
  acl blocked req.hdr(x-client) -f ${aclFile}
  http-request deny if blocked
  use_backend %[req.hdr(host),lower,map(${mapFile},be_a)]
backend be_a
  server a 127.0.0.1:${b[0]}
backend be_b
  server b 127.0.0.1:${b[1]}
`;
}

async function ctl(cmd: string): Promise<string> {
  const r = await handoff.ctl(cmd);
  return r.output;
}

/** Every one of `n` fresh connections (spread over both workers) gets `want` for `host`. */
async function allGet(host: string, want: string, n = 8, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await get(host, headers)).body, want, `request ${i} for ${host}`);
}

before(async () => {
  dir = tempDir('handoff-maps-');
  mapFile = path.join(dir, 'hosts.map');
  aclFile = path.join(dir, 'blocked.acl');
  fs.writeFileSync(mapFile, '# host to backend\nexample.com be_a\nfoo.org be_b\n');
  fs.writeFileSync(aclFile, 'evil\n');
  backends = [await namedBackend('A'), await namedBackend('B')];
  port = await freePort();
  handoff = await startHandoff(dir, config(port, backends, path.join(dir, 'handoff-stats.sock')), ['--workers', '2']);
});

after(async () => {
  await stopAll([handoff]);
  for (const s of servers) s.close();
});

test('show map lists the map file with its id, uses and entry count; show map FILE its entries', async () => {
  const list = await ctl('show map');
  assert.match(list, new RegExp(`^# id \\(file\\) description\\n1 \\(${mapFile}\\) pattern loaded from file '${mapFile}' used by map at file '.*handoff.cfg' line 12\\. curr_ver=0 next_ver=0 entry_cnt=2\\n$`));
  const entries = await ctl(`show map ${mapFile}`);
  assert.match(entries, /^0x[0-9a-f]+ example\.com be_a\n0x[0-9a-f]+ foo\.org be_b\n$/);
  assert.equal(await ctl('show map #1'), entries);
  assert.match(await ctl('show acl'), new RegExp(`^# id \\(file\\) description\\n0 \\(${aclFile}\\) pattern loaded from file '${aclFile}' used by acl at file '.*' line 10\\. curr_ver=0 next_ver=0 entry_cnt=1\\n$`));
  assert.equal((await handoff.ctl('show map #0')).output, 'Unknown map identifier. Please use #<id> or <file>.\n');
  assert.equal((await handoff.ctl('show acl nope')).output, 'Unknown ACL identifier. Please use #<id> or <file>.\n');
});

test('add map / set map / del map / clear map change routing in every worker without a reload', async () => {
  await allGet('new.net', 'A');
  assert.equal(await ctl(`add map ${mapFile} new.net be_b`), '');
  await allGet('new.net', 'B');
  assert.equal(await ctl('get map #1 new.net'), 'type=str, case=sensitive, found=yes, idx=tree, key="new.net", value="be_b", type="str"\n');
  assert.equal(await ctl('set map #1 foo.org be_a'), '');
  await allGet('foo.org', 'A');
  assert.equal((await handoff.ctl('set map #1 zz be_a')).output, 'entry not found.\n');
  assert.equal(await ctl('del map #1 new.net'), '');
  await allGet('new.net', 'A');
  assert.equal((await handoff.ctl('del map #1 new.net')).output, 'Key not found.\n');
  assert.equal(await ctl('clear map #1'), '');
  assert.equal(await ctl('show map #1'), '');
  await allGet('foo.org', 'A');
  assert.equal(await ctl('get map #1 foo.org'), 'type=str, case=sensitive, found=no\n');
});

test('add acl / del acl change what an ACL file matches at once; bad patterns are refused', async () => {
  assert.equal((await get('x', { 'x-client': 'mallory' })).status, 200);
  assert.equal(await ctl(`add acl ${aclFile} mallory`), '');
  for (let i = 0; i < 6; i++) assert.equal((await get('x', { 'x-client': 'mallory' })).status, 403);
  assert.match(await ctl('show acl #0'), /^0x[0-9a-f]+ evil\n0x[0-9a-f]+ mallory\n$/);
  assert.equal(await ctl('get acl #0 mallory'), 'type=str, case=sensitive, match=yes, idx=tree, pattern="mallory"\n');
  const ref = /^(0x[0-9a-f]+) mallory$/m.exec(await ctl('show acl #0'))?.[1];
  assert.equal(await ctl(`del acl #0 #${ref}`), '');
  for (let i = 0; i < 6; i++) assert.equal((await get('x', { 'x-client': 'mallory' })).status, 200);
  assert.equal((await handoff.ctl('add acl #0')).output, "'add acl' expects two parameters: ACL identifier and pattern.\n");
  assert.equal((await handoff.ctl('get map')).ok, false);
});

test('a worker that replaces a dead one gets the runtime changes; a reload reads the files again', async () => {
  assert.equal(await ctl(`add map ${mapFile} kept.io be_b`), '');
  const [pid] = await handoff.workerPids();
  process.kill(pid as number, 'SIGKILL');
  await until('worker replaced', async () => {
    const pids = await handoff.workerPids();
    return pids.length === 2 && !pids.includes(pid as number);
  });
  await allGet('kept.io', 'B');
  const r = await handoff.ctl('reload');
  assert.equal(r.ok, true, r.output);
  await allGet('kept.io', 'A');
  assert.match(await ctl(`show map ${mapFile}`), /^0x[0-9a-f]+ example\.com be_a\n0x[0-9a-f]+ foo\.org be_b\n$/);
});

test('show table: nothing without stick tables, No such table for a name', async () => {
  assert.equal(await ctl('show table'), '');
  assert.equal((await handoff.ctl('show table t1')).output, 'No such table\n');
});

/** One command on a stats socket, the answer without HAProxy's closing empty line. */
function ask(socket: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    let out = '';
    c.on('connect', () => c.write(`${cmd}\n`));
    c.setEncoding('utf8');
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out.replace(/\n\n$/, '\n').replace(/\n\0?(ok|error)?\n?$/, '\n')));
    c.on('error', reject);
  });
}

test('show map, show map FILE, get map and errors read as HAProxy 2.6 answers them', async (t) => {
  const bin = findHaproxy();
  if (bin === null) return t.skip('haproxy not installed: nothing to compare with');
  const socket = path.join(dir, 'haproxy.sock');
  const hPort = await freePort();
  fs.writeFileSync(path.join(dir, 'haproxy.cfg'), config(hPort, backends, socket));
  let haproxy: ChildProcess | undefined;
  try {
    haproxy = spawn(bin, ['-db', '-f', 'haproxy.cfg'], { stdio: 'ignore', cwd: dir });
    await until('haproxy listening', () => canConnect('127.0.0.1', hPort), 10_000);
    const mask = (s: string): string => s.replace(/0x[0-9a-f]+/g, '0xPTR').replace(/at file '[^']*' line/g, "at file 'CFG' line");
    // HAProxy numbers every ACL's patterns (and its own internal ones); handoff numbers files only.
    const noId = (s: string): string => s.replace(/^\d+ \(/m, 'ID (');
    assert.equal(noId(mask(await ctl('show map'))), noId(mask(await ask(socket, 'show map'))));
    const cmds = [
      `show map ${mapFile}`, `get map ${mapFile} foo.org`, `get map ${mapFile} nope`, 'show map #9', `add map ${mapFile} onlykey`,
      `set map ${mapFile} nokey v`, `set map ${mapFile} onlykey`, `del map ${mapFile} nokey`, `del map ${mapFile}`,
      `show acl ${aclFile}`, `get acl ${aclFile} evil`, `get acl ${aclFile} nobody`, `add acl ${aclFile}`, `del acl ${aclFile} nobody`, 'show acl /nope',
      'show table', 'show table x',
    ];
    for (const cmd of cmds) {
      assert.equal(mask(await ctl(cmd)).replace(/\n$/, ''), mask(await ask(socket, cmd)).replace(/\n$/, ''), cmd);
    }
  } finally {
    haproxy?.kill('SIGKILL');
  }
});
