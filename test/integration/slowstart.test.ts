// `server … slowstart`: a server that comes back UP does not take its full share at once; its
// weight ramps from 1 over the slowstart time (HAProxy's ramp), through the real binary.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startHandoff, stopAll, tempDir, until, type Handoff } from '../helpers/proxy.ts';

const servers: http.Server[] = [];
let proxy: Handoff | undefined;
after(async () => {
  await stopAll([proxy]);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** Answers `name`; the health path /h answers `health()`. */
async function named(name: string, health: () => number): Promise<number> {
  const port = await freePort();
  const s = http.createServer((req, res) => {
    if (req.url === '/h') res.writeHead(health()).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
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

test('a server back UP with slowstart 20s gets a small share at first, not half', { timeout: 60_000 }, async () => {
  let bHealth = 503;
  const a = await named('a', () => 200);
  const b = await named('b', () => bHealth);
  const port = await freePort();
  proxy = await startHandoff(tempDir(), `global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    option httpchk GET /h
    default-server check inter 100 rise 1 fall 1 weight 100 slowstart 20s
    server a 127.0.0.1:${a}
    server b 127.0.0.1:${b}
`);
  await until('b marked down', async () => (await Promise.all([get(port), get(port), get(port), get(port)])).every((n) => n === 'a'), 10_000);
  bHealth = 200;
  await until('b back up', async () => (await get(port)) === 'b', 10_000);
  const seen: string[] = [];
  for (let i = 0; i < 80; i++) seen.push(await get(port));
  const bShare = seen.filter((n) => n === 'b').length / seen.length;
  // At most a few percent of the way through a 20 s ramp: b's weight is a few of a's 100.
  assert.ok(bShare < 0.2, `b took ${Math.round(bShare * 100)}% of the requests right after coming back (expected a small share, not ~50%)`);
});
