// What a new user found at the edge, against the real binary, and against HAProxy 2.6 with the same
// configuration when it is installed: both must answer alike. Raw sockets, so that the bytes on
// the wire are exactly the ones under test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, tempDir } from '../helpers/proxy.ts';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';

interface Seen {
  backend: string;
  url: string;
}

const seen: Seen[] = [];
const backends: http.Server[] = [];

async function backend(name: string): Promise<number> {
  const port = await freePort();
  const s = http.createServer((req, res) => {
    seen.push({ backend: name, url: req.url ?? '' });
    req.resume();
    req.on('end', () => {
      const body = `backend=${name} url=${req.url}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  backends.push(s);
  return port;
}

function config(port: number, ports: { app: number; admin: number; api: number }): string {
  return `global
    maxconn 1000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:${port}
    acl is_admin path_beg /admin
    acl host_api hdr(host) -i api.example
    redirect scheme https if { path_beg /secure } !{ ssl_fc }
    use_backend admin if is_admin
    use_backend api if host_api
    default_backend app
backend app
    server a 127.0.0.1:${ports.app}
backend admin
    server a 127.0.0.1:${ports.admin}
backend api
    server a 127.0.0.1:${ports.api}
`;
}

let peers: Peers | undefined;

before(async () => {
  const ports = { app: await backend('app'), admin: await backend('admin'), api: await backend('api') };
  peers = await startPeers(tempDir(), (port) => config(port, ports), 'the edge cases run against handoff only');
});

after(async () => {
  await peers?.stop();
  for (const s of backends) s.close();
});

/** Send `bytes` (then half-close if asked); everything the proxy answers until it closes (≤ 1.5 s). */
function exchange(port: number, bytes: string, halfClose = false): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => s.destroy(), 1500);
    s.on('connect', () => {
      if (halfClose) s.end(bytes);
      else s.write(bytes);
    });
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const statuses = (raw: string): number[] => [...raw.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));

for (const name of ['handoff', 'haproxy']) {
  const peer = (): Peer | undefined => peers?.list.find((p) => p.name === name);
  const run = (title: string, fn: (port: number) => Promise<void>): void => {
    test(`${name}: ${title}`, async (t) => {
      const p = peer();
      if (p === undefined) {
        t.skip('HAProxy is not installed');
        return;
      }
      await fn(p.port);
    });
  };

  run('an absolute-form target is routed on its path, not on the whole URL', async (port) => {
    const raw = await exchange(port, 'GET http://www.example/admin/x HTTP/1.1\r\nHost: www.example\r\nConnection: close\r\n\r\n');
    assert.deepEqual(statuses(raw), [200]);
    // HAProxy forwards the target as sent (absolute-form); the server sees the same path either way.
    assert.match(raw, /backend=admin url=(http:\/\/www\.example)?\/admin\/x\n/);
  });

  run('an absolute-form authority that disagrees with Host is refused with 400', async (port) => {
    const before = seen.length;
    const raw = await exchange(port, 'GET http://evil.example/admin HTTP/1.1\r\nHost: www.example\r\n\r\n');
    assert.deepEqual(statuses(raw), [400]);
    assert.equal(seen.length, before);
  });

  run('two Host headers are refused with 400', async (port) => {
    const before = seen.length;
    const raw = await exchange(port, 'GET / HTTP/1.1\r\nHost: www.example\r\nHost: api.example\r\n\r\n');
    assert.deepEqual(statuses(raw), [400]);
    assert.equal(seen.length, before);
  });

  run('an Upgrade request goes through the redirect rules like any other', async (port) => {
    const raw = await exchange(port, 'GET /secure/ws HTTP/1.1\r\nHost: www.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.deepEqual(statuses(raw), [302]);
    assert.match(raw, /\r\nlocation: https:\/\/www\.example\/secure\/ws\r\n/i);
  });

  run('a client that half-closes after its request gets the whole answer, every time', async (port) => {
    for (let i = 0; i < 20; i++) {
      const raw = await exchange(port, `GET /half/${i} HTTP/1.1\r\nHost: www.example\r\n\r\n`, true);
      assert.deepEqual(statuses(raw), [200], `try ${i}: ${JSON.stringify(raw)}`);
      assert.match(raw, new RegExp(`url=/half/${i}\\n$`));
    }
  });

  run('pipelined requests are all answered before a malformed one is refused', async (port) => {
    const raw = await exchange(port, 'GET /p1 HTTP/1.1\r\nHost: www.example\r\n\r\nGET /p2 HTTP/1.1\r\nHost: www.example\r\n\r\nGET /p3 HTTP/1.1\r\nHost : www.example\r\n\r\n');
    assert.deepEqual(statuses(raw), [200, 200, 400]);
    assert.match(raw, /url=\/p1\n[\s\S]*url=\/p2\n/);
  });

  run('bytes after a request with Connection: close are not a request', async (port) => {
    const before = seen.length;
    const raw = await exchange(port, 'GET /last HTTP/1.1\r\nHost: www.example\r\nConnection: close\r\n\r\nGARBAGE\r\n\r\n');
    assert.deepEqual(statuses(raw), [200]);
    assert.equal(seen.length, before + 1);
  });
}
