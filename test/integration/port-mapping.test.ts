// A tcp-mode server declared without a port (or with +N) takes the port the client connected to,
// as HAProxy maps it: one listen on a port range relays each port to the same port (+N) on the server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';

const servers: net.Server[] = [];
let proxy: Handoff | undefined;
after(async () => {
  await stopAll([proxy]);
  for (const s of servers) s.close();
});

async function answering(port: number): Promise<void> {
  const s = net.createServer((sock) => sock.end(`port ${port}\n`));
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.2', r));
}

const read = (port: number): Promise<string> => readFrom('127.0.0.1', port);

test('no port: same port on the server; +N: the port plus N', { timeout: 60_000 }, async () => {
  // Two consecutive free ports for the range, served on 127.0.0.2 (same ports) and +1000.
  let base = 0;
  for (let i = 0; i < 50 && base === 0; i++) {
    const p = await freePort();
    if (p + 1001 < 32768 && (await isFree(p + 1)) && (await isFree(p + 1000)) && (await isFree(p + 1001))) base = p;
  }
  assert.ok(base > 0, 'found free ports');
  for (const p of [base, base + 1, base + 1000, base + 1001]) await answering(p);
  proxy = await startHandoff(tempDir(), `defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend same
    bind 127.0.0.1:${base}-${base + 1}
    default_backend same
backend same
    server s 127.0.0.2
frontend shifted
    bind 127.0.0.3:${base}-${base + 1}
    default_backend shifted
backend shifted
    server s 127.0.0.2:+1000
`);
  assert.equal(await read(base), `port ${base}`);
  assert.equal(await read(base + 1), `port ${base + 1}`);
  assert.equal(await readFrom('127.0.0.3', base), `port ${base + 1000}`);
  assert.equal(await readFrom('127.0.0.3', base + 1), `port ${base + 1001}`);
});

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port });
    let out = '';
    c.on('data', (d: Buffer) => (out += d.toString()));
    c.on('end', () => resolve(out.trim()));
    c.on('error', reject);
    c.setTimeout(5_000, () => c.destroy(new Error('timeout')));
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
