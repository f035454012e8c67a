// HTTP rules through the real binary — and through HAProxy 2.6 with the same configuration when it
// is installed: deny, return, tarpit, auth with a userlist, request-line and header rewrites,
// set-status, redirects, http-after-response on handoff's own 503, monitor-uri, forwardfor except,
// and the order of http-request rules. Raw sockets, so the bytes on the wire are the ones under test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort, tempDir, until } from '../helpers/proxy.ts';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

const seen: Seen[] = [];
let server: http.Server | undefined;

/** A backend that answers with what it received, as JSON. */
async function echoBackend(): Promise<number> {
  const port = await freePort();
  server = http.createServer((req, res) => {
    const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(s);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(s);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
  return port;
}

// alice: insecure-password; bob: SHA-512-crypt of "builder"; carol: SHA-256-crypt of "s3cret".
const BOB = '$6$Qx7bXy2a$wndbSLBO9EaetA.uuC8.AL.3VLq8GXJ7HW4feuwQzH9Ud6uc69tnQbia6NDF1AczhZtkdImvVJ93oD4IPRgDJ/';
const CAROL = '$5$Wq3aZ9k$mZM3oloSvJWBdoXrzqeGE7IDTTYkf0kGdpCkG.pH8R/';

function config(port: number, app: number, dead: number, dir: string): string {
  return `global
    maxconn 1000
userlist users
    group admins users bob
    user alice insecure-password wonderland
    user bob password ${BOB}
    user carol password ${CAROL}
http-errors site
    errorfile 503 ${dir}/503.http
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tarpit 300ms
    log stdout format raw local0
    option httplog
frontend fe
    bind 127.0.0.1:${port}
    monitor-uri /alive
    option forwardfor except 127.0.0.0/8
    errorfiles site
    http-request set-var(txn.path) path
    http-request capture req.hdr(host) len 20
    http-request capture path len 4 if { path_beg /cap }
    http-request set-log-level silent if { path /quiet }
    http-request reject if { path /reject }
    http-request allow if { path /allowed }
    http-request deny if { path_beg /allowed } || { path /denied }
    http-request deny deny_status 429 if { path /limited }
    http-request return status 200 content-type text/plain string ok hdr X-Ret yes if { path /ret }
    http-request tarpit deny_status 403 if { path /tarpit }
    http-request auth realm Private if { path_beg /private } !{ http_auth(users) }
    http-request deny if { path_beg /private/admin } !{ http_auth_group(users) admins }
    http-request set-path /rewritten%[path] if { path_beg /setpath }
    http-request replace-uri ^/old/(.*) /new/\\1
    http-request replace-header X-Agent ^curl/(.*)$ fake/\\1
    http-request redirect prefix /dq drop-query if { path_beg /redir-dq }
    http-request redirect prefix /as drop-query append-slash if { path_beg /redir-as }
    http-response set-status 299 reason Fine if { var(txn.path) -m beg /status }
    http-response replace-value Cache-Control ^public$ private
    http-response deny if { var(txn.path) -m beg /resp-deny }
    http-after-response set-header X-After yes
    use_backend dead if { path /dead }
    default_backend app
backend app
    server s1 127.0.0.1:${app}
backend dead
    retries 0
    server s1 127.0.0.1:${dead}
`;
}

let peers: Peers | undefined;

before(async () => {
  const app = await echoBackend();
  const dead = await freePort();
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '503.http'), 'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n\r\nsite is down\n');
  peers = await startPeers(dir, (port) => config(port, app, dead, dir), 'the rules run against handoff only');
});

after(async () => {
  await peers?.stop();
  server?.close();
});

interface Answer {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

/** One request with `Connection: close`; the answer as parsed from the bytes (≤ 3 s). */
function request(port: number, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('connect', () => {
      const lines = [`GET ${target} HTTP/1.1`, 'Host: www.example', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      s.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    s.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const end = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, end).split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(head[0] ?? '');
      if (m === null) return raw === '' ? resolve({ status: 0, reason: '', headers: {}, body: '', ms: Date.now() - t0 }) : reject(new Error(`no response: ${JSON.stringify(raw)}`));
      const hs: Record<string, string> = {};
      for (const l of head.slice(1)) hs[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      let body = raw.slice(end + 4);
      if (hs['transfer-encoding'] === 'chunked') body = body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n0\r\n\r\n$/gi, '');
      resolve({ status: Number(m[1]), reason: m[2] ?? '', headers: hs, body, ms: Date.now() - t0 });
    });
  });
}

const basic = (user: string, pw: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

/** What the backend saw for the last request. */
function lastSeen(): Seen {
  return seen[seen.length - 1] as Seen;
}

for (const name of ['handoff', 'haproxy']) {
  const run = (title: string, fn: (port: number) => Promise<void>): void => {
    test(`${name}: ${title}`, async (t) => {
      const p = peers?.list.find((x) => x.name === name);
      if (p === undefined) return void t.skip('HAProxy is not installed');
      await fn(p.port);
    });
  };

  run('deny answers 403, deny_status 429 answers 429, neither reaches the backend', async (port) => {
    const before = seen.length;
    const d = await request(port, '/denied');
    assert.equal(d.status, 403);
    assert.match(d.body, /403 Forbidden/);
    assert.equal((await request(port, '/limited')).status, 429);
    assert.equal(seen.length, before);
  });

  run('http-request rules run in order: an allow before a deny lets the request in', async (port) => {
    const ok = await request(port, '/allowed');
    assert.equal(ok.status, 200);
    assert.equal(lastSeen().url, '/allowed');
    assert.equal((await request(port, '/allowed/other')).status, 403);
  });

  run('return status 200 content-type text/plain string ok answers without reaching a backend', async (port) => {
    const before = seen.length;
    const r = await request(port, '/ret');
    assert.deepEqual([r.status, r.body, r.headers['content-type'], r.headers['x-ret'], r.headers['content-length']], [200, 'ok', 'text/plain', 'yes', '2']);
    assert.equal(seen.length, before);
  });

  run('tarpit holds the request for timeout tarpit, then answers its deny_status', async (port) => {
    const r = await request(port, '/tarpit');
    assert.equal(r.status, 403);
    assert.ok(r.ms >= 280, `answered after ${r.ms} ms`);
  });

  run('auth: 401 with a Basic challenge without credentials; a userlist lets in its users', async (port) => {
    const none = await request(port, '/private/x');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Basic realm="Private"');
    assert.equal((await request(port, '/private/x', basic('alice', 'wrong'))).status, 401);
    for (const [user, pw] of [['alice', 'wonderland'], ['bob', 'builder'], ['carol', 's3cret']] as const) {
      const r = await request(port, '/private/x', basic(user, pw));
      assert.equal(r.status, 200, `${user}: ${r.status}`);
    }
    // http_auth_group: only admins (bob) pass the second rule.
    assert.equal((await request(port, '/private/admin', basic('alice', 'wonderland'))).status, 403);
    assert.equal((await request(port, '/private/admin', basic('bob', 'builder'))).status, 200);
  });

  run('set-path rewrites the path the backend sees and keeps the query', async (port) => {
    assert.equal((await request(port, '/setpath/a?q=1')).status, 200);
    assert.equal(lastSeen().url, '/rewritten/setpath/a?q=1');
  });

  run('replace-uri and replace-header rewrite what is forwarded', async (port) => {
    assert.equal((await request(port, '/old/x?y=2', { 'X-Agent': 'curl/8.1' })).status, 200);
    assert.equal(lastSeen().url, '/new/x?y=2');
    assert.equal(lastSeen().headers['x-agent'], 'fake/8.1');
  });

  run('http-response set-status and replace-value change the server response; http-after-response sets a header', async (port) => {
    const r = await request(port, '/status');
    assert.deepEqual([r.status, r.reason, r.headers['cache-control'], r.headers['x-after']], [299, 'Fine', 'private, max-age=60', 'yes']);
  });

  run("http-after-response applies to handoff's own 503 (an http-errors errorfile)", async (port) => {
    const r = await request(port, '/dead');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-after'], 'yes');
    assert.equal(r.body, 'site is down\n');
  });

  run('redirect drop-query and append-slash', async (port) => {
    const dq = await request(port, '/redir-dq/a?x=1');
    assert.equal(dq.status, 302);
    assert.equal(dq.headers.location, '/dq/redir-dq/a');
    const as = await request(port, '/redir-as/b?y=2');
    assert.equal(as.headers.location, '/as/redir-as/b/');
    assert.equal(as.headers['x-after'], 'yes');
  });

  run('monitor-uri answers 200 without reaching a backend', async (port) => {
    const before = seen.length;
    const r = await request(port, '/alive');
    assert.equal(r.status, 200);
    assert.equal(seen.length, before);
  });

  run('reject closes the connection without an answer; http-response deny answers 502 instead of the server', async (port) => {
    assert.equal((await request(port, '/reject')).status, 0);
    const d = await request(port, '/resp-deny');
    assert.equal(d.status, 502);
    assert.equal(d.headers['x-after'], 'yes');
    assert.equal(lastSeen().url, '/resp-deny');
  });

  run('forwardfor except 127.0.0.0/8: no X-Forwarded-For for a client on 127.0.0.1', async (port) => {
    await request(port, '/xff');
    assert.equal(lastSeen().headers['x-forwarded-for'], undefined);
  });
}

test('handoff: http-request capture fills %hr in the log line; set-log-level silent leaves the request out', async () => {
  const h = (peers as Peers).handoff;
  const port = (peers?.list.find((x) => x.name === 'handoff') as Peer).port;
  await request(port, '/cap123');
  await request(port, '/quiet');
  await request(port, '/after-quiet');
  await until('the log lines', () => h.output().includes('/after-quiet'), 5000);
  const lines = h.output().split('\n');
  assert.match(lines.find((l) => l.includes('GET /cap123')) ?? '', / \{www\.example\|\/cap\} "GET \/cap123 HTTP\/1\.1"$/);
  assert.equal(lines.some((l) => l.includes('GET /quiet')), false);
  assert.match(lines.find((l) => l.includes('GET /after-quiet')) ?? '', / \{www\.example\|\} "GET/);
});
