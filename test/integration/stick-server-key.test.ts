// `server_key` beside `server_id` (HAProxy 2.6's default `srvkey name`): `stick on src` stores the
// server's name too, `show table` prints it as HAProxy does, and matching prefers the name, so a
// reload that renumbers the backend's servers (a server inserted before) does not move clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHandoff, freePort, tempDir, type Handoff } from '../helpers/proxy.ts';
import { frontendToBackendBe } from '../helpers/stick-config.ts';

async function named(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function config(port: number, servers: [string, number][]): string {
  return `${frontendToBackendBe(port)}backend be
  balance roundrobin
  stick-table type ip size 1k expire 10m store gpc1,http_req_rate(10s)
  stick on src
  http-request track-sc0 src
${servers.map(([n, p]) => `  server ${n} 127.0.0.1:${p}\n`).join('')}`;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

async function bodies(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await get(port));
  return out;
}

test('stick on src stores server_key; renumbering the servers on reload keeps the client on its server (2 workers)', { timeout: 90_000 }, async () => {
  const [s0, s1, s2] = [await named('s0'), await named('s1'), await named('s2')];
  const dir = tempDir('handoff-stick-server-key-');
  const port = await freePort();
  let h: Handoff | undefined;
  try {
    h = await startHandoff(dir, config(port, [['s1', s1.port], ['s2', s2.port]]), ['--workers', '2']);
    assert.deepEqual(await bodies(port, 4), ['s1', 's1', 's1', 's1']);
    // HAProxy 2.6.12 prints the same line (data in its order, server_key last).
    assert.match((await h.ctl('show table be')).output, /^0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ server_id=1 http_req_rate\(10000\)=4 gpc1=0 server_key=s1$/m);
    for (const step of ['reload', 'reload full']) {
      // s0 inserted first: s1 becomes the second server (id 2), the entry still says server_id=1.
      fs.writeFileSync(h.configFile, config(port, step === 'reload' ? [['s0', s0.port], ['s1', s1.port], ['s2', s2.port]] : [['s2', s2.port], ['s0', s0.port], ['s1', s1.port]]));
      assert.ok((await h.ctl(step)).ok, step);
      assert.deepEqual(await bodies(port, 4), ['s1', 's1', 's1', 's1'], `the client stays on s1 after ${step}`);
    }
    // An entry set by hand has no name: its server_id alone chooses, server_key shows '-'.
    // `clear table` keeps entries in use (HAProxy too): the last connection's release reaches the
    // master just after its answer, so clear until the entry is gone.
    const until = Date.now() + 5000;
    do assert.ok((await h.ctl('clear table be')).ok);
    while (/used:1/.test((await h.ctl('show table be')).output) && Date.now() < until && (await new Promise((r) => setTimeout(r, 50, true))));
    assert.match((await h.ctl('show table be')).output, /used:0/, 'the table is empty once its entry is released');
    assert.ok((await h.ctl('set table be key 127.0.0.1 data.server_id 1')).ok);
    assert.match((await h.ctl('show table be')).output, /key=127\.0\.0\.1 use=0 exp=\d+ server_id=1 http_req_rate\(10000\)=0 gpc1=0 server_key=-$/m);
    assert.deepEqual(await bodies(port, 2), ['s2', 's2'], 'by server_id 1: the first server now');
  } finally {
    h?.kill();
    for (const s of [s0, s1, s2]) s.server.close();
    await h?.exited;
  }
});
