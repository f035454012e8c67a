// Sessions and frontends from the runtime API on the real binary: `show sess` lists a request in
// flight, `shutdown sessions server` and `shutdown session` cut it, `disable frontend` refuses new
// connections in every worker and `enable frontend` serves again; answers compared with HAProxy 2.6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort, startBackends, startHandoff, stopAll, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';
import { startPeers } from '../helpers/peers.ts';

function config(port: number, server: string, extraGlobal = ''): string {
  return `global
    nbthread 2
${extraGlobal}
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    balance roundrobin
    server s1 ${server}
`;
}

/** A GET; resolves with its status, or the error that ended it, and how long it took. */
function request(port: number): Promise<{ outcome: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 40_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ outcome: String(res.statusCode), ms: Date.now() - t0 }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ outcome: e.code ?? e.message, ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ outcome: e.code ?? e.message, ms: Date.now() - t0 }));
  });
}

async function ctl(h: Handoff, command: string): Promise<{ ok: boolean; text: string }> {
  const r = await h.ctl(command);
  return { ok: r.ok, text: r.output.trim() };
}

async function sessionTo(h: Handoff, server: string): Promise<string | undefined> {
  const lines = (await ctl(h, 'show sess')).text.split('\n');
  return lines.find((l) => l.includes(` srv=${server} `));
}

test('show sess lists a request in flight; shutdown sessions server and shutdown session cut it; del server waits for none', { timeout: 90_000 }, async () => {
  const dir = tempDir('handoff-dyn-sess-');
  const slow: Backends = await startBackends(1, ['--delay', '30000']);
  const port = await freePort();
  const h = await startHandoff(dir, config(port, `127.0.0.1:${slow.ports[0] ?? 0}`));
  try {
    const first = request(port);
    await until('the request listed by show sess', async () => (await sessionTo(h, 's1')) !== undefined, 10_000);
    const line = (await sessionTo(h, 's1')) ?? '';
    assert.match(line, /^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=fe be=be srv=s1 age=\d+s$/);
    assert.deepEqual(await ctl(h, 'shutdown sessions server be/s1'), { ok: true, text: '' });
    const cut = await first;
    assert.ok(cut.ms < 10_000, `the request was cut (${cut.outcome} after ${cut.ms} ms)`);
    await until('no session left', async () => (await sessionTo(h, 's1')) === undefined, 5000);

    const second = request(port);
    await until('the second request listed', async () => (await sessionTo(h, 's1')) !== undefined, 10_000);
    const id = ((await sessionTo(h, 's1')) ?? '').split(':')[0] ?? '';
    assert.match((await ctl(h, `show sess ${id}`)).text, new RegExp(`^${id}: proto=tcpv4 `));
    assert.deepEqual(await ctl(h, `shutdown session ${id}`), { ok: true, text: '' });
    const cut2 = await second;
    assert.ok(cut2.ms < 10_000, `the request was cut (${cut2.outcome} after ${cut2.ms} ms)`);
    assert.deepEqual(await ctl(h, `shutdown session ${id}`), { ok: false, text: "No such session (use 'show sess')." });

    // del server: refused while a session is open with the server, even in maintenance.
    const third = request(port);
    await until('the third request listed', async () => (await sessionTo(h, 's1')) !== undefined, 10_000);
    assert.equal((await ctl(h, 'disable server be/s1')).ok, true);
    assert.deepEqual(await ctl(h, 'del server be/s1'), { ok: false, text: 'Server still has connections attached to it, cannot remove it.' });
    assert.equal((await ctl(h, 'shutdown sessions server be/s1')).ok, true);
    await third;
    await until('the server deleted', async () => (await ctl(h, 'del server be/s1')).text === 'Server deleted.', 5000);
  } finally {
    // The slow backend still holds its delayed answers: no need to wait for them.
    await stopAll([h]);
    await stopAll([slow], 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mode tcp: show sess lists a tcp session with its server; shutdown sessions server closes it', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-dyn-tcp-');
  const backends: Backends = await startBackends(1);
  const port = await freePort();
  const tcp = config(port, `127.0.0.1:${backends.ports[0] ?? 0}`).replace(/mode http/, 'mode tcp');
  const h = await startHandoff(dir, tcp);
  try {
    const client = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<number>((resolve) => client.on('close', () => resolve(Date.now())));
    client.on('error', () => {});
    await until('the tcp session listed', async () => (await sessionTo(h, 's1')) !== undefined, 10_000);
    assert.match((await sessionTo(h, 's1')) ?? '', /^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=fe be=be srv=s1 age=\d+s$/);
    const t0 = Date.now();
    assert.deepEqual(await ctl(h, 'shutdown sessions server be/s1'), { ok: true, text: '' });
    assert.ok((await closed) - t0 < 5000, 'the client connection was closed');
  } finally {
    await stopAll([h, backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function connects(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('disable frontend refuses new connections in every worker (a replaced one too); enable frontend serves again; a reload enables it too', { timeout: 90_000 }, async () => {
  const dir = tempDir('handoff-dyn-fe-');
  const backends: Backends = await startBackends(1);
  const port = await freePort();
  const h = await startHandoff(dir, config(port, `127.0.0.1:${backends.ports[0] ?? 0}`));
  try {
    assert.equal((await request(port)).outcome, '200');
    assert.deepEqual(await ctl(h, 'disable frontend fe'), { ok: true, text: '' });
    for (let i = 0; i < 4; i++) assert.equal(await connects(port), 'ECONNREFUSED');
    assert.deepEqual(await ctl(h, 'disable frontend fe'), { ok: true, text: 'All sockets are already disabled.' });
    // A worker that replaces a crashed one is stopped again once ready.
    const before = await h.workerPids();
    process.kill(before[0] ?? 0, 'SIGKILL');
    await until('a replacement worker', async () => {
      const now = await h.workerPids();
      return now.length === before.length && now.some((p) => !before.includes(p));
    }, 20_000);
    await until('the replacement stopped again', () => /frontend fe stays stopped on the worker/.test(h.output()), 20_000);
    for (let i = 0; i < 4; i++) assert.equal(await connects(port), 'ECONNREFUSED');
    assert.deepEqual(await ctl(h, 'enable frontend fe'), { ok: true, text: '' });
    for (let i = 0; i < 4; i++) assert.equal((await request(port)).outcome, '200');
    assert.deepEqual(await ctl(h, 'enable frontend fe'), { ok: true, text: 'All sockets are already enabled.' });

    for (const reload of ['reload', 'reload full']) {
      assert.equal((await ctl(h, 'disable frontend fe')).ok, true);
      assert.equal(await connects(port), 'ECONNREFUSED');
      assert.match((await ctl(h, reload)).text, /reload succeeded/);
      assert.equal((await request(port)).outcome, '200', `served again after ${reload}`);
    }

    assert.deepEqual(await ctl(h, 'shutdown frontend fe'), { ok: true, text: '' });
    assert.equal(await connects(port), 'ECONNREFUSED');
    assert.deepEqual(await ctl(h, 'enable frontend fe'), { ok: false, text: 'Frontend was previously shut down, cannot enable.' });
    assert.deepEqual(await ctl(h, 'disable frontend nope'), { ok: false, text: 'No such frontend.' });
  } finally {
    await stopAll([h, backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** One command on a `stats socket` (HAProxy's or handoff's), the answer trimmed. */
function socketCommand(file: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(file);
    let data = '';
    c.setEncoding('utf8');
    c.setTimeout(10_000, () => c.destroy(new Error(`no answer to '${command}'`)));
    c.on('connect', () => c.write(`${command}\n`));
    c.on('data', (d: string) => (data += d));
    c.on('end', () => resolve(data.replace(/\0(ok|error)\n$/, '').trim()));
    c.on('error', reject);
  });
}

test('runtime API answers for dynamic servers, sessions and frontends are HAProxy 2.6\'s', { timeout: 90_000 }, async (t) => {
  const dir = tempDir('handoff-dyn-peers-');
  const sock = (port: number): string => path.join(dir, `stats-${port}.sock`);
  const peers = await startPeers(dir, (port) => config(port, '127.0.0.1:1', `    stats socket ${sock(port)} level admin`).replace('frontend fe', 'backend st\n    balance static-rr\n    server s1 127.0.0.1:1\nfrontend fe'));
  try {
    if (peers.list.length < 2) {
      t.skip('haproxy not installed: nothing to compare with');
      return;
    }
    const cases = [
      'add server be/s2 127.0.0.1:2',
      'add server be/s2 127.0.0.1:2',
      'add server st/s2 127.0.0.1:2',
      'add server nope/s2 127.0.0.1:2',
      'add server be 127.0.0.1:2',
      'add server be/s3',
      'add server be/s3 127.0.0.1:3 cookie c3',
      'enable server be/s2',
      'del server be/s2',
      'del server be/s9',
      'del server nope/s9',
      'disable server be/s2',
      'del server be/s2',
      'shutdown session 0x1234',
      'shutdown session zz',
      'shutdown sessions server be/s9',
      'shutdown sessions server be',
      'shutdown sessions server be/s1',
      'disable frontend nope',
      'disable frontend fe',
      'disable frontend fe',
      'enable frontend fe',
      'enable frontend fe',
      'show errors nope',
    ];
    for (const command of cases) {
      const [ours, theirs] = await Promise.all(peers.list.map((p) => socketCommand(sock(p.port), command)));
      assert.equal(ours, theirs, `'${command}': handoff answered ${JSON.stringify(ours)}, HAProxy ${JSON.stringify(theirs)}`);
    }
    console.log(`# ${cases.length} answers identical to HAProxy's`);
    const errors = await Promise.all(peers.list.map((p) => socketCommand(sock(p.port), 'show errors')));
    for (const e of errors) assert.match(e, /^Total events captured on \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] : 0$/);
  } finally {
    await peers.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
