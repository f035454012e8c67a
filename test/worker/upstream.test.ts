// The upstream HTTP/1.1 client's parser and connection reuse, against raw servers that write
// canned bytes (split as the test decides).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { UpstreamPool, UPSTREAM_PARSE, UPSTREAM_SOCKET, UPSTREAM_HEADERS_TIMEOUT, type RequestBody, type UpstreamRequest } from '../../src/worker/upstream.ts';

interface Result {
  status: number;
  statusText: string;
  headers: string[];
  body: string;
  error?: string;
  sent: boolean;
}

/** A server answering each request (one per connection or kept alive) with `answer(n)` pieces. */
async function rawServer(answer: (n: number, request: string) => Buffer[] | undefined, opts: { close?: boolean } = {}): Promise<{ port: number; connections: number; requests: string[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = {
    port: 0,
    connections: 0,
    requests: [] as string[],
    close: () => new Promise<void>((resolve) => {
      for (const c of sockets) c.destroy();
      server.close(() => resolve());
    }),
  };
  const server = net.createServer((sock) => {
    s.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        let reqText = buf.slice(0, end + 4);
        let rest = buf.slice(end + 4);
        const cl = /content-length: (\d+)/i.exec(reqText);
        if (cl !== null) {
          const n = Number(cl[1]);
          if (rest.length < n) return;
          reqText += rest.slice(0, n);
          rest = rest.slice(n);
        } else if (/transfer-encoding: chunked/i.test(reqText)) {
          const z = rest.indexOf('0\r\n\r\n');
          if (z === -1) return;
          reqText += rest.slice(0, z + 5);
          rest = rest.slice(z + 5);
        }
        buf = rest;
        s.requests.push(reqText);
        const pieces = answer(s.requests.length, reqText);
        if (pieces === undefined) return;
        void (async () => {
          for (const p of pieces) {
            sock.write(p);
            await new Promise((r) => setImmediate(r));
          }
          if (opts.close) sock.end();
        })();
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.port = (server.address() as net.AddressInfo).port;
  return s;
}

/** A request body of these pieces, delivered on the next tick once the pool starts it. */
function bodyOf(pieces: Buffer[]): RequestBody {
  return {
    start(sink) {
      setImmediate(() => {
        for (const piece of pieces) sink.data(piece);
        sink.end();
      });
    },
    pause() {},
    resume() {},
    stop() {},
  };
}

function request(pool: UpstreamPool, req: Partial<UpstreamRequest> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { status: 0, statusText: '', headers: [], body: '', sent: false };
    pool.dispatch(
      { method: 'GET', path: '/', headers: ['Host', 'x'], body: null, reset: false, ...req },
      {
        onConnect() {},
        onRequestSent() {
          r.sent = true;
        },
        onHeaders(status, headers, _resume, statusText) {
          r.status = status;
          r.statusText = statusText;
          r.headers = headers;
          return true;
        },
        onData(chunk) {
          r.body += chunk.toString('latin1');
          return true;
        },
        onComplete() {
          resolve(r);
        },
        onError(err) {
          r.error = err.code;
          resolve(r);
        },
      },
    );
  });
}

function pool(port: number, extra: Partial<ConstructorParameters<typeof UpstreamPool>[0]> = {}): UpstreamPool {
  return new UpstreamPool({ host: '127.0.0.1', port, connections: null, connectTimeout: 1000, serverTimeout: 2000, ...extra });
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('content-length body, connection reused (LIFO idle list)', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')]);
  const p = pool(srv.port);
  for (let i = 0; i < 3; i++) {
    const r = await request(p);
    assert.equal(r.status, 200);
    assert.equal(r.statusText, 'OK');
    assert.equal(r.body, 'hello');
    assert.ok(r.sent);
  }
  assert.equal(srv.connections, 1);
  await p.close();
  assert.ok(p.destroyed);
  await srv.close();
});

test('chunked body with extensions and trailers', async () => {
  const resp = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1;x="y"\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n';
  const srv = await rawServer(() => [b(resp)]);
  const p = pool(srv.port);
  const r = await request(p);
  assert.equal(r.body, 'hello world');
  const r2 = await request(p);
  assert.equal(r2.body, 'hello world');
  assert.equal(srv.connections, 1);
  await p.close();
  await srv.close();
});

test('split at every byte boundary: content-length and chunked', async () => {
  const bodies = [
    'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nSet-Cookie: a=1\r\n\r\nhello world',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world',
  ];
  for (const text of bodies) {
    for (let cut = 1; cut < text.length; cut++) {
      const srv = await rawServer(() => [b(text.slice(0, cut)), b(text.slice(cut))]);
      const p = pool(srv.port);
      const r = await request(p);
      assert.equal(r.error, undefined, `cut ${cut}`);
      assert.equal(r.status, 200, `cut ${cut}`);
      assert.equal(r.body, 'hello world', `cut ${cut}`);
      const r2 = await request(p);
      assert.equal(r2.body, 'hello world', `second, cut ${cut}`);
      assert.equal(srv.connections, 1, `reuse, cut ${cut}`);
      await p.close();
      await srv.close();
    }
  }
});

test('every byte in its own write (chunked)', async () => {
  const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  const srv = await rawServer(() => [...text].map(b));
  const p = pool(srv.port);
  const r = await request(p);
  assert.equal(r.body, 'hello world');
  await p.close();
  await srv.close();
});

test('body until close: not reused', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\n\r\nuntil '), b('the end')], { close: true });
  const p = pool(srv.port);
  const r = await request(p);
  assert.equal(r.error, undefined);
  assert.equal(r.body, 'until the end');
  const r2 = await request(p);
  assert.equal(r2.body, 'until the end');
  assert.equal(srv.connections, 2);
  await p.close();
  await srv.close();
});

test('204, 304 and HEAD have no body; the connection is reused', async () => {
  const srv = await rawServer((n, req) => {
    if (req.startsWith('HEAD')) return [b('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n')];
    return [b(n % 2 === 0 ? 'HTTP/1.1 204 No Content\r\n\r\n' : 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')];
  });
  const p = pool(srv.port);
  const a = await request(p);
  assert.equal(a.status, 304);
  assert.equal(a.body, '');
  const c = await request(p);
  assert.equal(c.status, 204);
  const h = await request(p, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.body, '');
  assert.deepEqual(h.headers, ['Content-Length', '1234']);
  assert.equal(srv.connections, 1);
  await p.close();
  await srv.close();
});

test('Connection: close from the server: the next request opens a new connection', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')]);
  const p = pool(srv.port);
  assert.equal((await request(p)).body, 'ok');
  assert.equal((await request(p)).body, 'ok');
  assert.equal(srv.connections, 2);
  await p.close();
  await srv.close();
});

test('HTTP/1.0 response without keep-alive is not reused; with it, it is', async () => {
  const srv = await rawServer((n) => [b(n === 1 ? 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok')]);
  const p = pool(srv.port);
  await request(p);
  await request(p);
  await request(p);
  assert.equal(srv.connections, 2);
  await p.close();
  await srv.close();
});

test('reset (http-server-close): Connection: close upstream, not reused', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
  const p = pool(srv.port);
  await request(p, { reset: true });
  await request(p, { reset: true });
  assert.equal(srv.connections, 2);
  assert.match(srv.requests[0] as string, /\r\nconnection: close\r\n/i);
  await p.close();
  await srv.close();
});

test('multiple Set-Cookie headers are kept apart, in order', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2; Path=/\r\nX-A:  v  \r\nContent-Length: 0\r\n\r\n')]);
  const p = pool(srv.port);
  const r = await request(p);
  assert.deepEqual(r.headers, ['Set-Cookie', 'a=1', 'set-cookie', 'b=2; Path=/', 'X-A', 'v', 'Content-Length', '0']);
  await p.close();
  await srv.close();
});

test('garbage, bad chunk size and an early close are errors', async () => {
  const garbage = await rawServer(() => [b('NOT HTTP AT ALL\r\n\r\n')]);
  let p = pool(garbage.port);
  assert.equal((await request(p)).error, UPSTREAM_PARSE);
  await p.close();
  await garbage.close();
  const badChunk = await rawServer(() => [b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')]);
  p = pool(badChunk.port);
  assert.equal((await request(p)).error, UPSTREAM_PARSE);
  await p.close();
  await badChunk.close();
  const short = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')], { close: true });
  p = pool(short.port);
  assert.equal((await request(p)).error, UPSTREAM_SOCKET);
  await p.close();
  await short.close();
});

test('server timeout before the head; connect refused', async () => {
  const silent = await rawServer(() => undefined);
  let p = pool(silent.port, { serverTimeout: 100 });
  assert.equal((await request(p)).error, UPSTREAM_HEADERS_TIMEOUT);
  await p.close();
  await silent.close();
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  p = pool(port);
  assert.equal((await request(p)).error, 'ECONNREFUSED');
  await p.close();
  await p.close();
});

test('request bodies: content-length as is, unknown length chunked', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')]);
  const p = pool(srv.port);
  await request(p, { method: 'POST', headers: ['Host', 'x', 'Content-Length', '6'], body: bodyOf([b('abc'), b('def')]) });
  await request(p, { method: 'POST', body: bodyOf([b('abc'), b('defg')]) });
  assert.match(srv.requests[0] as string, /\r\n\r\nabcdef$/);
  assert.match(srv.requests[1] as string, /transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n$/);
  assert.equal(srv.connections, 1);
  await p.close();
  await srv.close();
});

test('maxconn: requests wait for a free connection', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
  const p = pool(srv.port, { connections: 2 });
  const all = await Promise.all(Array.from({ length: 10 }, () => request(p)));
  assert.ok(all.every((r) => r.body === 'ok'));
  assert.ok(srv.connections <= 2);
  await p.close();
  await srv.close();
});

test('close() lets an in-flight request finish', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsl'), b('ow')]);
  const p = pool(srv.port);
  const pending = request(p);
  await new Promise((r) => setTimeout(r, 5));
  const closed = p.close();
  assert.equal((await pending).body, 'slow');
  await closed;
  assert.equal((await request(p)).error, 'UPSTREAM_CLOSED');
  await srv.close();
});

test('timeout queue: a request waiting for a maxconn slot longer than queueTimeout fails with UPSTREAM_QUEUE_TIMEOUT, nothing sent', async () => {
  // The first request is never answered: it holds the only slot.
  const srv = await rawServer((n) => (n === 1 ? undefined : [b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]));
  const p = pool(srv.port, { connections: 1, queueTimeout: 100 });
  const held = request(p);
  const t0 = performance.now();
  const queued = await request(p);
  const waited = performance.now() - t0;
  assert.equal(queued.error, 'UPSTREAM_QUEUE_TIMEOUT');
  assert.equal(queued.sent, false);
  assert.ok(waited >= 95 && waited < 1000, `waited ${waited} ms`);
  assert.equal(p.queue.length, 0);
  await srv.close();
  assert.ok((await held).error !== undefined);
  await p.close();
});

test('max-reuse: a connection carries at most N requests after its first; pool-max-conn 0 keeps no idle connection', async () => {
  const srv = await rawServer(() => [b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
  const reuse2 = pool(srv.port, { maxReuse: 2 });
  for (let i = 0; i < 5; i++) assert.equal((await request(reuse2)).body, 'ok');
  assert.equal(srv.connections, 2, 'requests 1-3 on the first connection, 4-5 on a second');
  await reuse2.close();
  const noIdle = pool(srv.port, { maxIdle: 0 });
  for (let i = 0; i < 3; i++) assert.equal((await request(noIdle)).body, 'ok');
  assert.equal(srv.connections, 5, 'every request on a new connection');
  await noIdle.close();
  const oneIdle = pool(srv.port, { maxIdle: 1 });
  const both = await Promise.all([request(oneIdle), request(oneIdle)]);
  assert.deepEqual(both.map((r) => r.body), ['ok', 'ok']);
  assert.equal(oneIdle.idle.length, 1, 'of the two connections, one is kept idle');
  await oneIdle.close();
  await srv.close();
});
