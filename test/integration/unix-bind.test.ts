// `bind unix@PATH` through the real binary: served over the socket with its mode, HAProxy's client
// identity for such clients (`%ci:%cp` = `unix:ID`, no `src`, no X-Forwarded-For), reloads in place
// and with new processes under load over the socket lose nothing, the file goes when handoff stops,
// a tcp frontend relays, and maxconn holds clients in the socket's backlog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, freePort, sleep, startBackends, startHandoff, stopAll, tempDir, until } from '../helpers/proxy.ts';

const DEFAULTS = `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`;

function get(socketPath: string, urlPath = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** `clients` loops, each sending requests one after another on new connections until `stop`. */
async function loadOverSocket(socketPath: string, clients: number, stop: AbortSignal): Promise<{ ok: number; failed: string[] }> {
  const out = { ok: 0, failed: [] as string[] };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stop.aborted) {
        try {
          const r = await get(socketPath);
          if (r.status === 200) out.ok++;
          else out.failed.push(`status ${r.status}`);
        } catch (err) {
          out.failed.push((err as Error).message);
        }
      }
    }),
  );
  return out;
}

test('an http frontend on unix@PATH mode 600 serves over the socket; reloads in place and with new processes under load lose nothing; the file goes at stop', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'h.sock');
  const backends = await startBackends(2);
  const proxy = await startHandoff(dir, `${DEFAULTS}
frontend www
    bind unix@${sock} mode 600
    option forwardfor
    http-request return status 200 content-type text/plain lf-string "ci=%ci cp=%cp src=%[src]" if { path /who }
    default_backend app
backend app
${backends.ports.map((p, i) => `    server s${i} 127.0.0.1:${p}`).join('\n')}
`, ['--workers', '2']);
  try {
    assert.ok(fs.statSync(sock).isSocket());
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary name left');
    const r = await get(sock, '/?echo=hello');
    assert.equal(r.status, 200);
    assert.match(r.body, /echo: hello/);
    assert.doesNotMatch(r.body, /x-forwarded-for/i, 'HAProxy adds no X-Forwarded-For for a unix client');
    assert.equal((await get(sock, '/who')).body, 'ci=unix cp=1 src=', "HAProxy's values for a unix client");

    const stop = new AbortController();
    const running = loadOverSocket(sock, 4, stop.signal);
    await sleep(300);
    const inPlace = await proxy.ctl('reload');
    assert.ok(inPlace.ok, inPlace.output);
    await sleep(300);
    const full = spawnSync(process.execPath, [BIN, 'reload', '--full', '-S', proxy.socket], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(full.status, 0, full.stderr);
    await sleep(500);
    stop.abort();
    const result = await running;
    assert.deepEqual(result.failed, [], 'no request lost over the reloads');
    assert.ok(result.ok > 20, `some load went through (${result.ok})`);
    assert.match(proxy.output(), /in-place/);
    assert.match(proxy.output(), /new-processes/);
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
  } finally {
    await stopAll([proxy, backends]);
  }
  assert.equal(fs.existsSync(sock), false, 'the socket file is removed when handoff stops');
});

test('a reload that drops the unix bind removes its file; one that adds it creates it; a missing directory refuses the reload at FILE:LINE', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const a = path.join(dir, 'a.sock');
  const b = path.join(dir, 'b.sock');
  const cfg = (binds: string): string => `${DEFAULTS}
frontend www
${binds}
    http-request return status 200 content-type text/plain string ok
`;
  const proxy = await startHandoff(dir, cfg(`    bind unix@${a}`));
  try {
    assert.equal((await get(a)).body, 'ok');
    fs.writeFileSync(proxy.configFile, cfg(`    bind /${b}`));
    const r = await proxy.ctl('reload');
    assert.ok(r.ok, r.output);
    assert.equal((await get(b)).body, 'ok');
    assert.equal(fs.existsSync(a), false, 'the file of the bind no longer configured is removed');
    fs.writeFileSync(proxy.configFile, cfg(`    bind unix@${b}\n    bind unix@${dir}/missing/c.sock`));
    const refused = await proxy.ctl('reload');
    assert.equal(refused.ok, false);
    assert.match(refused.output, new RegExp(`handoff\\.cfg:9\\b.*cannot bind UNIX socket \\(No such file or directory\\) \\[${dir}/missing/c\\.sock\\]`));
    assert.equal((await get(b)).body, 'ok', 'the running generation keeps serving');
  } finally {
    await stopAll([proxy]);
  }
});

test('a tcp frontend on a unix socket relays; maxconn on the bind holds the next clients in the backlog', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const sock = path.join(dir, 't.sock');
  const backends = await startBackends(1, ['--delay', '400']);
  const proxy = await startHandoff(dir, `${DEFAULTS}
frontend relay
    mode tcp
    bind unix@${sock} maxconn 1
    default_backend app
backend app
    mode tcp
    server s0 127.0.0.1:${backends.ports[0]}
`, ['--workers', '1']);
  try {
    const raw = await new Promise<string>((resolve, reject) => {
      const c = net.connect(sock);
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      c.on('end', () => resolve(text));
      c.on('error', reject);
      c.write('GET /?echo=relayed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.match(raw, /echo: relayed/);
    // Three clients at once through a socket that admits one: served one after the other (each
    // answer takes 400 ms), none refused.
    const t0 = Date.now();
    const all = await Promise.all([0, 1, 2].map(() => get(sock)));
    assert.deepEqual(all.map((r) => r.status), [200, 200, 200]);
    assert.ok(Date.now() - t0 >= 1100, `served one at a time (${Date.now() - t0} ms)`);
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('access log of a unix client: %ci:%cp is unix:ID (the listener id), as HAProxy logs it; balance source spreads them', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const backends = await startBackends(2);
  const port = await freePort();
  const proxy = await startHandoff(dir, `${DEFAULTS}    log stdout format raw local0
frontend www
    bind 127.0.0.1:${port}
    bind unix@${dir}/a.sock
    bind unix@${dir}/b.sock id 7
    log-format "client=%ci:%cp src=%[src]"
    default_backend app
backend app
    balance source
${backends.ports.map((p, i) => `    server s${i} 127.0.0.1:${p}`).join('\n')}
`, ['--workers', '1']);
  try {
    const endpoints = new Set<string>();
    for (let i = 0; i < 4; i++) endpoints.add(/endpoint: (\S+)/.exec((await get(`${dir}/a.sock`)).body)?.[1] ?? '');
    await get(`${dir}/b.sock`);
    assert.equal(endpoints.size, 2, 'no address to hash: round robin, as HAProxy falls back');
    await until('log lines', () => (proxy.output().match(/client=unix/g) ?? []).length >= 5);
    assert.match(proxy.output(), /client=unix:2 src=-/);
    assert.match(proxy.output(), /client=unix:7 src=-/);
  } finally {
    await stopAll([proxy, backends]);
  }
});

test('HAProxy answers the same for a unix client (when haproxy is installed)', { timeout: 30_000, skip: spawnSync('haproxy', ['-v']).status === 0 ? false : 'haproxy not installed' }, async () => {
  const dir = tempDir();
  const config = (sock: string): string => `${DEFAULTS}
frontend www
    bind unix@${sock} mode 640
    bind unix@${sock}2 id 5
    http-request return status 200 content-type text/plain lf-string "ci=%ci cp=%cp src=%[src] xff=%[req.hdr(x-forwarded-for)]"
`;
  const hapCfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(hapCfg, config(path.join(dir, 'hap.sock')));
  const hap = spawn('haproxy', ['-f', hapCfg], { stdio: 'ignore' });
  const hapExited = new Promise((r) => hap.once('exit', r));
  const proxy = await startHandoff(dir, config(path.join(dir, 'ho.sock')));
  try {
    await until('haproxy listening', () => fs.existsSync(path.join(dir, 'hap.sock2')));
    for (const suffix of ['', '2']) {
      const theirs = await get(path.join(dir, `hap.sock${suffix}`));
      const ours = await get(path.join(dir, `ho.sock${suffix}`));
      assert.deepEqual(ours, theirs);
    }
    assert.equal(fs.statSync(path.join(dir, 'ho.sock')).mode & 0o777, fs.statSync(path.join(dir, 'hap.sock')).mode & 0o777);
  } finally {
    hap.kill('SIGTERM');
    await stopAll([proxy]);
    await hapExited;
  }
});
