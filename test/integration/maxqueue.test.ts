// `server … maxqueue N`: once N requests wait for a full server, the next ones go to another
// server's queue (HAProxy redispatches them), through the real binary with `balance first`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';

const servers: http.Server[] = [];
let proxy: Handoff | undefined;
after(async () => {
  await stopAll([proxy]);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function slow(name: string, seen: string[]): Promise<number> {
  const port = await freePort();
  const s = http.createServer((_req, res) => {
    seen.push(name);
    setTimeout(() => res.writeHead(200).end(name), 300);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return port;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('with balance first and maxconn 1, a third and fourth request queue on a until maxqueue 1 sends the fourth to b', { timeout: 60_000 }, async () => {
  const seen: string[] = [];
  const a = await slow('a', seen);
  const b = await slow('b', seen);
  const port = await freePort();
  proxy = await startHandoff(tempDir(), `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    balance first
    server a 127.0.0.1:${a} maxconn 1 maxqueue 1
    server b 127.0.0.1:${b} maxconn 1
`);
  // Sent one after another (each a few ms apart) so the order of arrival is the order of picking.
  const pending: Promise<string>[] = [];
  for (let i = 0; i < 4; i++) {
    pending.push(get(port));
    await new Promise((r) => setTimeout(r, 30));
  }
  const answers = await Promise.all(pending);
  const count = (n: string) => answers.filter((x) => x === n).length;
  // Without maxqueue: a, b, then both queued behind a (a 3, b 1). With maxqueue 1 on a: a 2, b 2.
  assert.deepEqual([count('a'), count('b')], [2, 2], `answers ${answers.join(',')}`);
});
