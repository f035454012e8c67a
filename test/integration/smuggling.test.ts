// The hostile corpus (test/worker/smuggling-corpus.ts) replayed through the real binary on raw
// sockets: each request is refused with its status, and the backend never sees `/smuggled` — nor
// anything at all for a request refused from its head.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';
import { HOSTILE, type HostileRequest } from '../worker/smuggling-corpus.ts';

const seen: string[] = [];
let backend: http.Server | undefined;
let handoff: Handoff | undefined;
let port = 0;

before(async () => {
  const bPort = await freePort();
  backend = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => backend?.listen(bPort, '127.0.0.1', r));
  port = await freePort();
  const config = `defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
backend app
    server a 127.0.0.1:${bPort}
`;
  handoff = await startHandoff(tempDir(), config);
});

after(async () => {
  await stopAll([handoff]);
  backend?.close();
});

/** Send the raw request; the status line of what comes back before the proxy closes (≤ 2 s). */
function replay(c: HostileRequest): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => s.destroy(), 2000);
    s.on('connect', () => s.write(c.raw, 'latin1'));
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(out)?.[1] ?? 0));
    });
  });
}

test(`the ${HOSTILE.length} hostile requests are refused with their status, and none reaches the backend smuggled`, async () => {
  assert.ok(HOSTILE.length >= 60);
  const wrong: string[] = [];
  // Ten at a time: bounded, and quick (each is refused at once and closed).
  for (let i = 0; i < HOSTILE.length; i += 10) {
    const batch = HOSTILE.slice(i, i + 10);
    const got = await Promise.all(batch.map(replay));
    batch.forEach((c, j) => {
      if (got[j] !== c.expect) wrong.push(`${c.name}: ${got[j]} (expected ${c.expect})`);
    });
  }
  assert.deepEqual(wrong, []);
  assert.deepEqual(seen.filter((u) => u.includes('smuggled')), []);
  // Only the chunked cases have a valid head: they may reach the backend, as `/`, and nothing else.
  assert.ok(seen.every((u) => u === '/'), JSON.stringify(seen));
});
