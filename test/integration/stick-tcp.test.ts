// `stick on src` in a `mode tcp` backend through the real binary with two workers: every
// connection of the client goes to the server its first one reached (roundrobin otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startHandoff, freePort, tempDir, type Handoff } from '../helpers/proxy.ts';

async function named(name: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((c) => c.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function read(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = net.connect(port, '127.0.0.1');
    c.setEncoding('utf8');
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

test('stick on src in a tcp backend keeps every connection on one server (2 workers)', { timeout: 60_000 }, async () => {
  const [a, b] = [await named('s1'), await named('s2')];
  const dir = tempDir('handoff-stick-tcp-');
  const port = await freePort();
  let h: Handoff | undefined;
  try {
    h = await startHandoff(dir, `global
  stats timeout 5s
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen l
  bind 127.0.0.1:${port}
  balance roundrobin
  stick-table type ip size 1k expire 10m
  stick on src
  server s1 127.0.0.1:${a.port}
  server s2 127.0.0.1:${b.port}
`, ['--workers', '2']);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push(await read(port));
    assert.deepEqual(got, Array(6).fill('s1'));
    assert.match((await h.ctl('show table l')).output, /key=127\.0\.0\.1 use=0 exp=\d+ server_id=1 server_key=s1$/m);
    assert.ok((await h.ctl('set table l key 127.0.0.1 data.server_id 2')).ok);
    assert.ok((await h.ctl('clear table l')).ok);
    assert.ok((await h.ctl('set table l key 127.0.0.1 data.server_id 2')).ok);
    assert.deepEqual([await read(port), await read(port)], ['s2', 's2']);
  } finally {
    h?.kill();
    a.server.close();
    b.server.close();
    await h?.exited;
  }
});
