// Persistence through the real binary with two workers: a cookie keeps a client on its server
// across new connections and both kinds of reload, a DOWN server's client is redispatched with a
// new cookie, indirect hides the cookie from the server, prefix round-trips; `balance source` and
// `balance uri` with `hash-type consistent` send one key to one server whichever worker accepts it,
// before and after reloads. Where haproxy is installed, the cookie cases run against HAProxy 2.6
// with the same configuration and the Set-Cookie headers and routing are compared.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort, startHandoff, stopAll, tempDir, until, type Handoff } from '../helpers/proxy.ts';
import { haproxyInstalled, startHaproxy, type HaproxyProc } from '../helpers/cli.ts';

interface Answer {
  status: number;
  server: string;
  /** The Cookie header the server received ('' when none). */
  seen: string;
  setCookie: string[];
  cacheControl: string;
}

const servers: http.Server[] = [];
const health: Record<string, number> = { s1: 200, s2: 200, s3: 200 };
const ports: Record<string, number> = {};
let proxy: Handoff | undefined;
let haproxy: HaproxyProc | undefined;
const dir = tempDir('handoff-persist-');

/** A server answering its name and the Cookie header it got; `/setck` sets the application's JSESSIONID. */
async function named(name: string): Promise<number> {
  const port = await freePort();
  const s = http.createServer((req, res) => {
    if (req.url === '/h') return void res.writeHead(health[name] ?? 200).end();
    const headers: Record<string, string> = { 'content-type': 'text/plain', etag: '"v1"' };
    if (req.url?.startsWith('/setck') === true) headers['set-cookie'] = 'JSESSIONID=abc123; Path=/';
    res.writeHead(200, headers).end(`${name} ${req.headers.cookie ?? ''}`);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return port;
}

/** One request on a new connection (agent: false), optionally with a Cookie header and a source address. */
function get(port: number, urlPath: string, cookie?: string, localAddress?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = cookie === undefined ? {} : { cookie };
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers, ...(localAddress === undefined ? {} : { localAddress }) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const [server = '', ...rest] = body.split(' ');
        const sc = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode ?? 0, server, seen: rest.join(' '), setCookie: sc, cacheControl: String(res.headers['cache-control'] ?? '') });
      });
    }).on('error', reject);
  });
}

type Ports = { ins: number; pfx: number; src: number; uri: number; map: number; tcp: number };

function config(p: Ports, extraGlobal = ''): string {
  const list = (opts: (n: number) => string): string => [1, 2, 3].map((n) => `    server s${n} 127.0.0.1:${ports[`s${n}`]} ${opts(n)}`).join('\n');
  return `global
    nbthread 2
${extraGlobal}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe_ins
    bind 127.0.0.1:${p.ins}
    default_backend ins
frontend fe_pfx
    bind 127.0.0.1:${p.pfx}
    default_backend pfx
frontend fe_src
    bind 127.0.0.1:${p.src}
    default_backend src
frontend fe_uri
    bind 127.0.0.1:${p.uri}
    default_backend uri
frontend fe_map
    bind 127.0.0.1:${p.map}
    default_backend map
frontend fe_tcp
    mode tcp
    bind 127.0.0.1:${p.tcp}
    default_backend tcph
backend ins
    cookie SRV insert indirect nocache httponly
    option redispatch
    option httpchk GET /h
    default-server check inter 100 rise 1 fall 1
${list((n) => `cookie c${n}`)}
backend pfx
    cookie JSESSIONID prefix
${list((n) => `cookie c${n}`)}
backend src
    balance source
    hash-type consistent
${list(() => '')}
backend uri
    balance uri
    hash-type consistent
${list(() => '')}
backend map
    balance hash req.cook(sid),lower
${list((n) => `weight ${n === 2 ? 3 : 1}`)}
backend tcph
    mode tcp
    balance hash src
    hash-type consistent
${list(() => '')}
`;
}

let h: Ports;
const ports5 = async (): Promise<Ports> => ({ ins: await freePort(), pfx: await freePort(), src: await freePort(), uri: await freePort(), map: await freePort(), tcp: await freePort() });

before(async () => {
  for (const n of ['s1', 's2', 's3']) ports[n] = await named(n);
  h = await ports5();
  proxy = await startHandoff(dir, config(h));
});

after(async () => {
  await stopAll([proxy]);
  await haproxy?.stop();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** The cookie value (`SRV=c2`) of a Set-Cookie line. */
const cookieOf = (a: Answer): string => (a.setCookie[0] ?? '').split(';')[0] ?? '';

async function reload(kind: 'reload' | 'reload full', generation: number): Promise<void> {
  const p = proxy as Handoff;
  await p.ctl(kind);
  await until(`${kind}: generation ${generation}`, () => p.output().includes(`reload succeeded (generation ${generation}`), 20_000, () => p.output());
}

/** 20 requests on new connections with `cookie`: the servers they reached, and what those servers saw. */
async function twenty(port: number, urlPath: string, cookie?: string, localAddress?: string): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < 20; i++) out.push(await get(port, urlPath, cookie, localAddress));
  return out;
}

test('a client that got a cookie sticks to its server over 20 new connections, an in-place reload and a reload full', { timeout: 90_000 }, async () => {
  const first = await get(h.ins, '/');
  assert.equal(first.status, 200);
  assert.equal(cookieOf(first), `SRV=c${first.server.slice(1)}`);
  assert.deepEqual(first.setCookie, [`SRV=c${first.server.slice(1)}; path=/; HttpOnly`]);
  assert.equal(first.cacheControl, 'private', 'nocache: a cacheable response (it has an ETag) that sets the cookie is private');
  const ck = `${cookieOf(first)}; app=1`;
  let generation = 1;
  for (const step of ['before', 'reload', 'reload full'] as const) {
    if (step !== 'before') await reload(step, ++generation);
    const rs = await twenty(h.ins, '/', ck);
    assert.deepEqual(new Set(rs.map((r) => r.server)), new Set([first.server]), `${step}: every request reached ${first.server}`);
    assert.ok(rs.every((r) => r.seen === 'app=1'), `${step}: indirect: the server never sees SRV (saw ${rs.map((r) => r.seen).join(' | ')})`);
    assert.ok(rs.every((r) => r.setCookie.length === 0), `${step}: a client with the right cookie is not sent it again`);
  }
  // Without a cookie the requests are balanced (round robin over both workers reaches every server).
  const spread = new Set((await twenty(h.ins, '/')).map((r) => r.server));
  assert.ok(spread.size >= 2, `without a cookie, requests are balanced (reached ${[...spread].join(' ')})`);
});

test("a DOWN server's client is redispatched with option redispatch and given a new cookie", { timeout: 60_000 }, async () => {
  health.s2 = 503;
  try {
    await until('s2 marked down', async () => (await get(h.ins, '/', 'SRV=c2')).server !== 's2', 10_000);
    const r = await get(h.ins, '/', 'SRV=c2');
    assert.notEqual(r.server, 's2');
    assert.deepEqual(r.setCookie, [`SRV=c${r.server.slice(1)}; path=/; HttpOnly`], 'the client learns its new server');
    const again = await twenty(h.ins, '/', cookieOf(r));
    assert.deepEqual(new Set(again.map((a) => a.server)), new Set([r.server]), 'and sticks to it');
  } finally {
    health.s2 = 200;
  }
  await until('s2 back up', async () => (await get(h.ins, '/', 'SRV=c2')).server === 's2', 10_000);
});

test('a draining server still takes its persistent clients (new ones go elsewhere); one in maint does not', { timeout: 60_000 }, async () => {
  const p = proxy as Handoff;
  assert.equal((await p.ctl('set server ins/s3 state drain')).output, '');
  try {
    await until('s3 draining', async () => !(await twenty(h.ins, '/')).some((r) => r.server === 's3'), 10_000);
    const persistent = await twenty(h.ins, '/', 'SRV=c3');
    assert.deepEqual(new Set(persistent.map((r) => r.server)), new Set(['s3']), 'drain: the cookie still reaches s3');
    assert.equal((await p.ctl('set server ins/s3 state maint')).output, '');
    await until('s3 in maint', async () => (await get(h.ins, '/', 'SRV=c3')).server !== 's3', 10_000);
    const moved = await get(h.ins, '/', 'SRV=c3');
    assert.notEqual(moved.server, 's3');
    assert.deepEqual(moved.setCookie, [`SRV=c${moved.server.slice(1)}; path=/; HttpOnly`]);
  } finally {
    await p.ctl('set server ins/s3 state ready');
  }
  await until('s3 ready', async () => (await get(h.ins, '/', 'SRV=c3')).server === 's3', 10_000);
});

test("show stat's cookie field: the backend's cookie name, each server's value (as HAProxy)", async () => {
  const out = (await (proxy as Handoff).ctl('show stat')).output.split('\n').filter((l) => l !== '');
  const head = (out[0] ?? '').replace(/^# /, '').split(',');
  const at = head.indexOf('cookie');
  assert.ok(at > 0, 'a cookie column');
  const cell = (px: string, sv: string): string | undefined => out.map((l) => l.split(',')).find((c) => c[0] === px && c[1] === sv)?.[at];
  assert.deepEqual([cell('ins', 'BACKEND'), cell('ins', 's1'), cell('ins', 's3'), cell('src', 'BACKEND')], ['SRV', 'c1', 'c3', '']);
});

test('prefix: the server cookie is prefixed on the way out and stripped on the way in', async () => {
  const first = await get(h.pfx, '/setck');
  const n = first.server.slice(1);
  assert.deepEqual(first.setCookie, [`JSESSIONID=c${n}~abc123; Path=/`]);
  const rs = await twenty(h.pfx, '/', `JSESSIONID=c${n}~abc123; x=1`);
  assert.deepEqual(new Set(rs.map((r) => r.server)), new Set([first.server]));
  assert.ok(rs.every((r) => r.seen === 'JSESSIONID=abc123; x=1'), `the server sees its own cookie back (saw ${rs[0]?.seen ?? ''})`);
});

test('balance source and balance uri with hash-type consistent: one key, one server, across workers and reloads', { timeout: 90_000 }, async () => {
  const uris = ['/a/1', '/b/2', '/c/3', '/d/4', '/e/5', '/f/6'];
  const sources = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
  const snapshot = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const u of uris) out.push([...new Set((await twenty(h.uri, u)).map((r) => r.server))].join('+'));
    for (const s of sources) out.push([...new Set((await twenty(h.src, '/', undefined, s)).map((r) => r.server))].join('+'));
    // A tcp backend, `balance hash src`: the sample is evaluated on the connection.
    for (const s of sources) out.push(`tcp:${[...new Set((await twenty(h.tcp, '/', undefined, s)).map((r) => r.server))].join('+')}`);
    return out;
  };
  const initial = await snapshot();
  assert.ok(initial.every((s) => !s.includes('+')), `every key reached a single server: ${initial.join(' ')}`);
  assert.ok(new Set(initial).size >= 2, 'different keys spread over the servers');
  const p = proxy as Handoff;
  const gen = Number(/generation (\d+)/.exec([...p.output().matchAll(/reload succeeded \(generation \d+/g)].pop()?.[0] ?? 'generation 1')?.[1] ?? 1);
  await reload('reload', gen + 1);
  assert.deepEqual(await snapshot(), initial, 'after an in-place reload');
  await reload('reload full', gen + 2);
  assert.deepEqual(await snapshot(), initial, 'after a reload full');
});

test('the cookie cases against HAProxy 2.6: the same Set-Cookie headers and routing; a map-based hash picks the same servers', { timeout: 60_000 }, async (t) => {
  if (!haproxyInstalled()) return t.skip('haproxy not installed');
  const hp = await ports5();
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, config(hp));
  haproxy = await startHaproxy(cfg, path.join(dir, 'haproxy-master.sock'), []);
  await until('haproxy serving', async () => (await get(hp.ins, '/').catch(() => undefined))?.status === 200, 10_000);
  const cases: [keyof typeof hp, string, string | undefined][] = [
    ['ins', '/', 'SRV=c2; app=1'],
    ['ins', '/', 'SRV=c3'],
    ['ins', '/', 'SRV=bogus'],
    ['pfx', '/setck', 'JSESSIONID=c1~abc123; x=1'],
    ['pfx', '/', 'JSESSIONID=c3~zz'],
  ];
  for (const [fe, urlPath, ck] of cases) {
    const ours = await get(h[fe], urlPath, ck);
    const theirs = await get(hp[fe], urlPath, ck);
    const view = (a: Answer): unknown => (ck?.includes('bogus') === true ? [a.setCookie.length, a.seen] : [a.server, a.seen, a.setCookie, a.cacheControl]);
    assert.deepEqual(view(ours), view(theirs), `${fe} ${urlPath} Cookie: ${ck ?? '-'}`);
  }
  // A first visit: both insert the cookie of the server they chose, with the same attributes.
  const ours = await get(h.ins, '/');
  const theirs = await get(hp.ins, '/');
  assert.equal(ours.setCookie[0], `SRV=c${ours.server.slice(1)}; path=/; HttpOnly`);
  assert.equal(theirs.setCookie[0], `SRV=c${theirs.server.slice(1)}; path=/; HttpOnly`);
  assert.equal(ours.cacheControl, theirs.cacheControl);
  // `balance hash req.cook(sid),lower`, map-based, weights 1,3,1: HAProxy's server map, key for key.
  const users = Array.from({ length: 16 }, (_, i) => `sid=USER${i}`);
  const route = async (port: number): Promise<string[]> => {
    const out: string[] = [];
    for (const u of users) out.push((await get(port, '/', u)).server);
    return out;
  };
  assert.deepEqual(await route(h.map), await route(hp.map));
});
