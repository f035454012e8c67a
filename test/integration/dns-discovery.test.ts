// DNS service discovery through the real binary: dnsmasq started by the test on 127.0.0.1 answers
// SRV and A records; handoff's master re-resolves every `hold valid` and fills server-template
// slots in place, without a reload. The SRV case runs against HAProxy 2.6 too when installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, startHandoff, tempDir, until, type Handoff } from '../helpers/proxy.ts';
import { parseServersState } from '../helpers/runtime-servers.ts';
import { haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

const dnsmasqMissing = spawnSync('sh', ['-c', 'command -v dnsmasq']).status === 0 ? undefined : 'dnsmasq not installed';

interface Records {
  /** SRV _http._tcp.app.test targets: name → port (all on 127.0.0.1). */
  srv: Record<string, number>;
  /** web.test's A record (absent: the name does not exist, NXDOMAIN). */
  web?: string;
  /** multi.test's A records. */
  multi?: string[];
}

let dnsPort = 0;
let dnsmasq: ChildProcess | undefined;
const servers: http.Server[] = [];
/** Backend name by port and address: a.app.test … on 127.0.0.1, w1/w2 on 127.0.0.1/127.0.0.2. */
const ports = { a: 0, b: 0, c: 0, web: 0 };

async function listen(host: string, port: number, name: string): Promise<number> {
  const s = http.createServer((_req, res) => res.end(name));
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, host, () => r()));
  const a = s.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

/** (Re)start dnsmasq with `records` (it reads SRV records only at start). */
async function serveRecords(r: Records): Promise<void> {
  if (dnsmasq !== undefined) {
    const gone = new Promise((res) => dnsmasq?.once('exit', res));
    dnsmasq.kill('SIGKILL');
    await gone;
  }
  const args = ['--no-daemon', `--port=${dnsPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null',
    '--pid-file=', '--local=/test/', `--user=${os.userInfo().username}`, ...(r.web !== undefined ? [`--host-record=web.test,${r.web}`] : []), ...(r.multi ?? []).map((ip) => `--host-record=multi.test,${ip}`)];
  for (const [name, port] of Object.entries(r.srv)) args.push(`--srv-host=_http._tcp.app.test,${name}.app.test,${port},0,${name === 'c' ? 600 : 100}`, `--host-record=${name}.app.test,127.0.0.1`);
  const p = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  dnsmasq = p;
  await until('dnsmasq listening', () => /started, version/.test(err), 5000, () => err);
}

function get(port: number, p = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body : `status ${res.statusCode}`));
    }).on('error', reject);
  });
}

/** The names of the backends `n` requests reached. */
async function reached(port: number, n = 8, p = '/'): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < n; i++) out.add(await get(port, p));
  return out;
}

function config(listen: number, socket: string, slotOptions = ''): string {
  return `global
    stats socket ${socket} level admin
resolvers dns
    nameserver ns1 127.0.0.1:${dnsPort}
    hold valid 1s
    hold nx 1s
    timeout resolve 1s
    timeout retry 500ms
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend app
    balance roundrobin
    server-template srv 3 _http._tcp.app.test resolvers dns init-addr none${slotOptions}
backend web
    server web web.test:${ports.web} resolvers dns resolve-prefer ipv4 init-addr none
frontend f
    bind 127.0.0.1:${listen}
    use_backend web if { path_beg /web }
    default_backend app
`;
}

/** srv_addr, srv_port, srv_fqdn, srvrecord, admin state and weight of each server: what DNS decides. */
function dnsColumns(state: string): string[] {
  return parseServersState(state).map((r) => [r.id, r.fields.srv_addr, r.fields.srv_port, r.fields.srv_fqdn, r.fields.srvrecord, r.fields.srv_admin_state, r.fields.srv_uweight].join(' ')).sort();
}

/** Every column but srv_time_since_last_change, for the comparison with HAProxy. */
function allColumns(state: string): string[] {
  return state.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(' ').filter((_, i) => i !== 9).join(' ')).sort();
}

before(async () => {
  if (dnsmasqMissing !== undefined) return;
  dnsPort = await freePort();
  ports.a = await listen('127.0.0.1', 0, 'a');
  ports.b = await listen('127.0.0.1', 0, 'b');
  ports.c = await listen('127.0.0.1', 0, 'c');
  ports.web = await listen('127.0.0.1', 0, 'w1');
  await listen('127.0.0.2', ports.web, 'w2');
});

after(async () => {
  dnsmasq?.kill('SIGKILL');
  for (const s of servers) s.close();
});

test('SRV records fill server-template slots in place; a removed record puts its slot in MAINT (resolution); an A change moves traffic; reloads keep the addresses', { timeout: 90_000, skip: dnsmasqMissing }, async () => {
  await serveRecords({ srv: { a: ports.a }, web: '127.0.0.1' });
  const dir = tempDir();
  const listen = await freePort();
  const h: Handoff = await startHandoff(dir, config(listen, path.join(dir, 'stats.sock'), ' check inter 300ms'), ['--workers', '2']);
  try {
    await until('slot 1 filled from the SRV record', async () => (await reached(listen, 2)).has('a'), 10_000, h.output);
    assert.deepEqual(await reached(listen), new Set(['a']));
    let stat = (await h.ctl('show stat')).output;
    assert.match(stat, /^app,srv2,(?:[^,]*,){15}MAINT \(resolution\),/m);
    assert.match(h.output(), /app\/srv1 changed its IP from \(none\) to 127\.0\.0\.1 by DNS additional record\./);
    // Checks wait while a slot has no record (HAProxy pauses them in maintenance).
    assert.doesNotMatch(h.output(), /server app\/srv[23] is DOWN/);

    // A record added: traffic reaches it within hold valid (1s) and a restart of dnsmasq, no reload.
    const t0 = Date.now();
    await serveRecords({ srv: { a: ports.a, b: ports.b }, web: '127.0.0.1' });
    await until('new SRV record served', async () => (await reached(listen, 4)).has('b'), 5000, h.output);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal((await h.info()).Reloads ?? '0', '0');
    assert.deepEqual(await reached(listen), new Set(['a', 'b']));

    // Record a removed, web.test moved: the slot goes MAINT (resolution), traffic follows the A record.
    await serveRecords({ srv: { b: ports.b }, web: '127.0.0.2' });
    await until('removed record in maintenance', async () => /^app,srv1,(?:[^,]*,){15}MAINT \(resolution\),/m.test((await h.ctl('show stat')).output), 5000, h.output);
    await until('traffic follows the A record', async () => (await reached(listen, 2, '/web')).has('w2'), 5000, h.output);
    assert.deepEqual(await reached(listen), new Set(['b']));
    assert.match(h.output(), /Server app\/srv1 is going DOWN for maintenance \(entry removed from SRV record\)\. 1 active and 0 backup servers left\./);
    assert.match(h.output(), /web\/web changed its IP from 127\.0\.0\.1 to 127\.0\.0\.2 by dns\/ns1\./);
    const before = dnsColumns((await h.ctl('show servers state')).output);
    assert.deepEqual(before, [
      'app/srv1 - 0 - _http._tcp.app.test 96 1',
      'app/srv2 127.0.0.1 ' + ports.b + ' b.app.test _http._tcp.app.test 64 1',
      'app/srv3 - 0 - _http._tcp.app.test 32 1',
      'web/web 127.0.0.2 ' + ports.web + ' web.test - 0 1',
    ]);

    // Reloads (in place, then new processes): no flap back to init-addr none.
    for (const how of ['reload', 'reload full']) {
      const lines = h.output().length;
      assert.match((await h.ctl(how)).output, /reload succeeded/);
      assert.deepEqual(dnsColumns((await h.ctl('show servers state')).output), before, how);
      assert.deepEqual(await reached(listen, 4), new Set(['b']), how);
      assert.equal(await get(listen, '/web'), 'w2', how);
      assert.doesNotMatch(h.output().slice(lines), /changed its IP|going DOWN/, how);
      assert.match(h.output().slice(lines), how === 'reload' ? /reload succeeded \(.*in-place\)/ : /reload succeeded \(.*new-processes\)/, how);
    }

    // web.test gone (NXDOMAIN) for longer than hold nx: resolution maintenance; back when it resolves.
    await serveRecords({ srv: { b: ports.b } });
    await until('NX name in maintenance', async () => /^web,web,(?:[^,]*,){15}MAINT \(resolution\),/m.test((await h.ctl('show stat')).output), 8000, h.output);
    assert.match(h.output(), /Server web\/web is going DOWN for maintenance \(DNS NX status\)\. 0 active and 0 backup servers left\./);
    assert.equal(await get(listen, '/web'), 'status 503');
    await serveRecords({ srv: { b: ports.b }, web: '127.0.0.1' });
    await until('name resolves again', async () => (await get(listen, '/web')) === 'w1', 8000, h.output);
    assert.match(h.output(), /Server web\/web \('web\.test'\) is UP\/READY \(resolves again\)\./);
  } finally {
    h.kill();
    await h.exited;
  }
});

test('HAProxy 2.6 fills the same slots from the same SRV records: show servers state agrees on address, port, fqdn, srvrecord, admin state and weight', { timeout: 60_000, skip: dnsmasqMissing ?? haproxyMissing() }, async () => {
  await serveRecords({ srv: { a: ports.a }, web: '127.0.0.1' });
  const dir = tempDir();
  const socket = path.join(dir, 'h.sock');
  const cfg = path.join(dir, 'haproxy.cfg');
  const hListen = await freePort();
  fs.writeFileSync(cfg, config(hListen, socket));
  const hap = await startHaproxy(cfg, socket);
  assert.ok(hap !== null);
  const hoListen = await freePort();
  const h = await startHandoff(dir, config(hoListen, path.join(dir, 'stats.sock')), ['--workers', '1']);
  try {
    const settle = async (what: string, cond: (state: string) => boolean): Promise<void> => {
      await until(`haproxy: ${what}`, async () => cond(await hap.cmd('show servers state')), 10_000, hap.output);
      await until(`handoff: ${what}`, async () => cond((await h.ctl('show servers state')).output), 10_000, h.output);
    };
    await settle('a filled', (s) => s.includes(' a.app.test '));
    assert.deepEqual(allColumns((await h.ctl('show servers state')).output), allColumns(await hap.cmd('show servers state')));
    await serveRecords({ srv: { a: ports.a, c: ports.c }, web: '127.0.0.1' });
    await settle('c filled', (s) => s.includes(' c.app.test '));
    assert.deepEqual(dnsColumns((await h.ctl('show servers state')).output), dnsColumns(await hap.cmd('show servers state')));
    await serveRecords({ srv: { c: ports.c }, web: '127.0.0.1' });
    await settle('a removed', (s) => !s.includes(' a.app.test '));
    const ours = dnsColumns((await h.ctl('show servers state')).output);
    assert.deepEqual(ours, dnsColumns(await hap.cmd('show servers state')));
    assert.deepEqual(allColumns((await h.ctl('show servers state')).output), allColumns(await hap.cmd('show servers state')));
    assert.ok(ours.some((l) => l.startsWith('app/srv2 127.0.0.1 ') && l.endsWith(' c.app.test _http._tcp.app.test 64 3')), ours.join('\n'));
    // show resolvers: the same sections (with HAProxy's implicit `default`), nameservers and counter names.
    // (HAProxy's stats socket ends an answer with an empty line; the master socket's reply has none.)
    const layout = (text: string): string => text.replace(/\d+$/gm, 'N').replace(/\n+$/, '\n');
    assert.equal(layout((await h.ctl('show resolvers')).output), layout(await hap.cmd('show resolvers')));
    assert.equal(layout((await h.ctl('show resolvers nope')).output), layout(await hap.cmd('show resolvers nope')));
    assert.match((await h.ctl('show resolvers dns')).output, /^Resolvers section dns\n nameserver ns1:\n  sent:        [1-9]\d*\n  snd_error:   0\n  valid:       [1-9]/);
  } finally {
    await hap.stop();
    h.kill();
    await h.exited;
  }
});

test('server-template on a name with two A records: each server takes another address, the third waits in MAINT (resolution); as HAProxy 2.6 when installed', { timeout: 60_000, skip: dnsmasqMissing }, async () => {
  await serveRecords({ srv: {}, multi: ['127.0.0.1', '127.0.0.2'] });
  const text = (listen: number, socket: string): string => `global
    stats socket ${socket} level admin
resolvers dns
    nameserver ns1 127.0.0.1:${dnsPort}
    hold valid 1s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
backend web
    server-template web 3 multi.test:${ports.web} resolvers dns resolve-prefer ipv4 init-addr none
frontend f
    bind 127.0.0.1:${listen}
    default_backend web
`;
  const dir = tempDir();
  const listen = await freePort();
  const h = await startHandoff(dir, text(listen, path.join(dir, 'stats.sock')), ['--workers', '1']);
  try {
    await until('two servers resolved', async () => (await reached(listen, 6)).size === 2, 10_000, h.output);
    const state = (await h.ctl('show servers state')).output;
    const addrs = parseServersState(state).map((r) => r.fields.srv_addr).sort();
    assert.deepEqual(addrs, ['-', '127.0.0.1', '127.0.0.2']);
    assert.match(h.output(), /changed its IP from \(none\) to 127\.0\.0\.\d by DNS cache\./);
    const missing = haproxyMissing();
    if (missing !== undefined) return void console.log(`# skipped the HAProxy half: ${missing}`);
    const socket = path.join(dir, 'h.sock');
    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(cfg, text(await freePort(), socket));
    const hap = await startHaproxy(cfg, socket);
    assert.ok(hap !== null);
    try {
      await until('haproxy: two servers resolved', async () => (await hap.cmd('show servers state')).includes(' 127.0.0.2 '), 10_000, hap.output);
      await until('haproxy: both', async () => (await hap.cmd('show servers state')).includes(' 127.0.0.1 '), 10_000, hap.output);
      // dnsmasq rotates the order of the records: which server takes which address may differ.
      const masked = (text: string): string[] => allColumns(text).map((l) => l.replace(/ 127\.0\.0\.[12] /, ' IP '));
      const ips = (text: string): string[] => parseServersState(text).map((r) => r.fields.srv_addr ?? '').sort();
      const ours = (await h.ctl('show servers state')).output;
      const theirs = await hap.cmd('show servers state');
      assert.deepEqual(masked(ours), masked(theirs));
      assert.deepEqual(ips(ours), ips(theirs));
    } finally {
      await hap.stop();
    }
  } finally {
    h.kill();
    await h.exited;
  }
});
