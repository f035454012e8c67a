// HTTP response compression through the real binary, and through HAProxy 2.6 with the same
// configuration when it is installed: which responses are compressed (Accept-Encoding, listed
// types, already encoded, HEAD, status, no-transform) and with which headers (Content-Encoding,
// Vary, a weak ETag, chunked instead of Content-Length); a gzip body decodes to the original, and
// a large body is streamed: its first bytes reach the client before the server has finished.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import zlib from 'node:zlib';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';
import { tempDir } from '../helpers/proxy.ts';

const TEXT = 'handoff compresses this line of text.\n'.repeat(2000);

/** Incompressible: compressed, it stays as large, so buffering anywhere would show. */
const NOISE = randomBytes(1 << 16);
const NOISE_CHUNKS = 512;

interface Origin {
  port: number;
  server: http.Server;
  /** Bytes of /noise the origin got written so far (it honours backpressure). */
  noiseWritten: number;
  /** Resolves the streamed response's second half (the test calls it once the first bytes arrived). */
  release: (() => void) | undefined;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, origin: Origin): void {
  const url = req.url ?? '/';
  const text = (type: string, extra: Record<string, string> = {}, status = 200): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(TEXT), ...extra });
    res.end(req.method === 'HEAD' ? undefined : TEXT);
  };
  if (url === '/text') return text('text/plain; charset=utf-8');
  if (url === '/json') return text('application/json');
  if (url === '/png') return text('image/png');
  if (url === '/etag') return text('text/plain', { etag: '"v1"' });
  if (url === '/weak-etag') return text('text/plain', { etag: 'W/"v1"' });
  if (url === '/bad-etag') return text('text/plain', { etag: 'v1' });
  if (url === '/no-transform') return text('text/plain', { 'cache-control': 'public, no-transform' });
  if (url === '/vary') return text('text/plain', { vary: 'Cookie' });
  if (url === '/created') return text('text/plain', {}, 201);
  if (url === '/not-found') return text('text/plain', {}, 404);
  if (url === '/gzipped') {
    const gz = zlib.gzipSync(TEXT);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gz.length });
    res.end(gz);
    return;
  }
  if (url === '/accept-encoding') {
    const seen = JSON.stringify(req.headers['accept-encoding'] ?? null);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': seen.length });
    res.end(seen);
    return;
  }
  if (url === '/noise') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const more = (): void => {
      while (sent < NOISE_CHUNKS) {
        sent++;
        origin.noiseWritten += NOISE.length;
        if (!res.write(NOISE)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
    return;
  }
  if (url === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(TEXT);
    origin.release = () => res.end(TEXT);
    return;
  }
  res.writeHead(404);
  res.end();
}

async function startOrigin(): Promise<Origin> {
  const origin: Origin = { port: 0, server: http.createServer(), release: undefined, noiseWritten: 0 };
  origin.server.on('request', (req, res) => answer(req, res, origin));
  await new Promise<void>((r) => origin.server.listen(0, '127.0.0.1', r));
  origin.port = (origin.server.address() as net.AddressInfo).port;
  return origin;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

let origin: Origin;
let peers: Peers;
let dir: string;

before(async () => {
  origin = await startOrigin();
  dir = tempDir('handoff-compress-');
  const config = (port: number): string => `global
  tune.comp.maxlevel 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  compression algo gzip
frontend fe
  bind 127.0.0.1:${port}
  compression type text/plain application/json
  compression offload
  http-request use-service prometheus-exporter if { path /metrics }
  http-response set-header X-Comp %[res.comp]/%[res.comp_algo]
  default_backend be
backend be
  server s1 127.0.0.1:${origin.port}
`;
  peers = await startPeers(dir, config, 'compression is checked against handoff only');
});

after(async () => {
  await peers?.stop();
  origin?.server.close();
});

/** Every peer answers the case the same way; handoff's answer is returned. */
async function each(check: (p: Peer) => Promise<void>): Promise<void> {
  assert.ok(peers.list.length > 0);
  for (const p of peers.list) await check(p);
}

const GZIP = { 'accept-encoding': 'gzip, deflate' };

test('a gzip body decodes to the original, chunked, with Content-Encoding and Vary', async () => {
  await each(async (p) => {
    const r = await get(p.port, '/text', GZIP);
    assert.equal(r.status, 200, p.name);
    assert.equal(r.headers['content-encoding'], 'gzip', p.name);
    assert.equal(r.headers['content-length'], undefined, p.name);
    assert.equal(r.headers['transfer-encoding'], 'chunked', p.name);
    assert.equal(r.headers.vary, 'Accept-Encoding', p.name);
    assert.ok(r.body.length < TEXT.length / 10, `${p.name}: ${r.body.length} bytes`);
    assert.equal(zlib.gunzipSync(r.body).toString(), TEXT, p.name);
    assert.equal(r.headers['x-comp'], '1/gzip', `${p.name}: res.comp and res.comp_algo`);
    assert.equal((await get(p.port, '/text', {})).headers['x-comp'], '0/', `${p.name}: not compressed`);
  });
});

test('q-values choose: gzip;q=0 is refused, * takes the configured algorithm', async () => {
  await each(async (p) => {
    const refused = await get(p.port, '/text', { 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers['content-encoding'], undefined, p.name);
    assert.equal(refused.body.toString(), TEXT, p.name);
    const star = await get(p.port, '/json', { 'accept-encoding': 'br;q=1.0, *;q=0.5' });
    assert.equal(star.headers['content-encoding'], 'gzip', p.name);
    assert.equal(zlib.gunzipSync(star.body).toString(), TEXT, p.name);
  });
});

test('not compressed: no Accept-Encoding, a type not listed, already encoded, HEAD, 404, no-transform, a bad ETag', async () => {
  await each(async (p) => {
    const cases: [string, Record<string, string>, string][] = [
      ['/text', {}, 'GET'],
      ['/text', { 'accept-encoding': 'br' }, 'GET'],
      ['/png', GZIP, 'GET'],
      ['/not-found', GZIP, 'GET'],
      ['/no-transform', GZIP, 'GET'],
      ['/bad-etag', GZIP, 'GET'],
    ];
    for (const [path, headers, method] of cases) {
      const r = await get(p.port, path, headers, method);
      assert.equal(r.headers['content-encoding'], undefined, `${p.name} ${path} ${JSON.stringify(headers)}`);
      assert.equal(r.headers['content-length'], String(TEXT.length), `${p.name} ${path}`);
      assert.equal(r.headers.vary, undefined, `${p.name} ${path}`);
      assert.equal(r.body.toString(), TEXT, `${p.name} ${path}`);
    }
    const head = await get(p.port, '/text', GZIP, 'HEAD');
    assert.equal(head.headers['content-encoding'], undefined, `${p.name} HEAD`);
    assert.equal(head.headers['content-length'], String(TEXT.length), `${p.name} HEAD`);
    const gz = await get(p.port, '/gzipped', GZIP);
    assert.equal(gz.headers['content-encoding'], 'gzip', p.name);
    assert.equal(zlib.gunzipSync(gz.body).toString(), TEXT, `${p.name}: compressed once`);
  });
});

test('a strong ETag becomes weak, a weak one stays, 201 is compressed, Vary is added to the server\'s', async () => {
  await each(async (p) => {
    assert.equal((await get(p.port, '/etag', GZIP)).headers.etag, 'W/"v1"', p.name);
    assert.equal((await get(p.port, '/weak-etag', GZIP)).headers.etag, 'W/"v1"', p.name);
    assert.equal((await get(p.port, '/created', GZIP)).headers['content-encoding'], 'gzip', p.name);
    assert.equal((await get(p.port, '/vary', GZIP)).headers.vary, 'Cookie, Accept-Encoding', p.name);
  });
});

test('offload: the server does not see the Accept-Encoding that chose gzip, and sees one that chose nothing', async () => {
  await each(async (p) => {
    const chosen = await get(p.port, '/accept-encoding', GZIP);
    assert.equal(zlib.gunzipSync(chosen.body).toString(), 'null', p.name);
    const unchosen = await get(p.port, '/accept-encoding', { 'accept-encoding': 'br' });
    assert.equal(unchosen.body.toString(), '"br"', p.name);
  });
});

test('streamed: a large body starts arriving before the server finishes it', async () => {
  await each(async (p) => {
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: p.port, path: '/stream', headers: GZIP, agent: false }, (res) => {
        assert.equal(res.headers['content-encoding'], 'gzip', p.name);
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          parts.push(d);
          // The first half came through compressed while the server still holds the second.
          const release = origin.release;
          origin.release = undefined;
          release?.();
        });
        res.on('end', () => resolve(Buffer.concat(parts)));
      });
      req.setTimeout(5_000, () => req.destroy(new Error(`${p.name}: the first half never arrived before the server finished`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(zlib.gunzipSync(body).toString(), TEXT + TEXT, p.name);
  });
});

test('backpressure: a client that stops reading stops the server, nothing is buffered whole', async () => {
  const total = NOISE.length * NOISE_CHUNKS;
  for (const p of peers.list) {
    origin.noiseWritten = 0;
    const { res, firstBytes } = await new Promise<{ res: http.IncomingMessage; firstBytes: Buffer }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: p.port, path: '/noise', headers: GZIP, agent: false }, (r) => {
        r.once('data', (d: Buffer) => {
          r.pause();
          resolve({ res: r, firstBytes: d });
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.headers['content-encoding'], 'gzip', p.name);
    await new Promise((r) => setTimeout(r, 1_000));
    const stalled = origin.noiseWritten;
    assert.ok(stalled < total / 2, `${p.name}: the server wrote ${stalled} of ${total} bytes to a client that reads nothing`);
    console.log(`# ${p.name}: ${stalled} of ${total} bytes written by the server while the client read nothing`);
    const parts: Buffer[] = [firstBytes];
    res.on('data', (d: Buffer) => parts.push(d));
    const ended = new Promise((r) => res.on('end', r));
    res.resume();
    await ended;
    assert.equal(zlib.gunzipSync(Buffer.concat(parts)).length, total, p.name);
  }
});

test('the exporter: comp_in, comp_out and comp_rsp count what went through zlib', async () => {
  for (const p of peers.list) {
    const text = (await get(p.port, '/metrics', {})).body.toString();
    const value = (name: string): number => {
      const m = new RegExp(`^haproxy_frontend_${name}\\{proxy="fe"\\} (\\d+)`, 'm').exec(text);
      assert.ok(m !== null, `${p.name}: no ${name} for fe`);
      return Number(m[1]);
    };
    const [cin, cout, rsp, byp] = ['http_comp_bytes_in_total', 'http_comp_bytes_out_total', 'http_comp_responses_total', 'http_comp_bytes_bypassed_total'].map(value) as [number, number, number, number];
    console.log(`# ${p.name}: comp_in ${cin} comp_out ${cout} comp_rsp ${rsp} comp_byp ${byp}`);
    assert.ok(rsp >= 8, `${p.name}: comp_rsp ${rsp}`);
    assert.ok(cin > cout && cout > 0, `${p.name}: comp_in ${cin} comp_out ${cout}`);
    assert.equal(byp, 0, p.name);
  }
});
