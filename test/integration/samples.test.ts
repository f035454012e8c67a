// Routing by HAProxy sample expressions through the real binary: header, host-prefix, path-regex,
// query-parameter, source-address (a pattern file) and destination-port ACLs, a map-driven dynamic
// use_backend, header values built from samples, and a tcp-mode frontend routing on the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';

const servers: (http.Server | net.Server)[] = [];

/** An HTTP backend answering its name and the headers it received. */
async function httpBackend(name: string): Promise<number> {
  const port = await freePort();
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ backend: name, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
  return port;
}

/** A TCP backend that writes its name and closes. */
async function tcpBackend(name: string): Promise<number> {
  const port = await freePort();
  const s = net.createServer((c) => c.end(name));
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
  return port;
}

interface Answer {
  backend: string;
  headers: Record<string, string>;
}

function get(port: number, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, headers: { connection: 'close', ...headers }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Answer);
        } catch {
          reject(new Error(`status ${res.statusCode}: ${body}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.setEncoding('utf8');
    c.setTimeout(5000, () => c.destroy(new Error('timeout')));
    c.on('data', (d: string) => (got += d));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

let proxy: Handoff;
let main: number;
let alt: number;
let tcp: number;

before(async () => {
  const names = ['be_default', 'be_tenant', 'be_www', 'be_api', 'be_param', 'be_alt', 'be_allowed', 'be_blocked', 'be_shop'];
  const ports: Record<string, number> = {};
  for (const n of names) ports[n] = await httpBackend(n);
  const tcpDefault = await tcpBackend('tcp_default');
  const tcpLocal = await tcpBackend('tcp_local');
  [main, alt, tcp] = [await freePort(), await freePort(), await freePort()];
  const dir = tempDir('handoff-samples-');
  fs.writeFileSync(path.join(dir, 'allow.lst'), '# who may use /allow\n10.0.0.0/8\n127.0.0.1\n');
  fs.writeFileSync(path.join(dir, 'other.lst'), '192.168.0.0/16\n::2\n');
  fs.writeFileSync(path.join(dir, 'hosts.map'), '# host backend\nshop.example be_shop\nghost.example be_ghost\n');
  const backends = names.map((n) => `backend ${n}\n    server s 127.0.0.1:${ports[n]}\n`).join('');
  proxy = await startHandoff(
    dir,
    `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:${main}
    bind 127.0.0.1:${alt}
    acl tenant_a hdr(x-tenant) -i acme
    acl www hdr_beg(host) -i www.
    acl api_v path_reg ^/api/v[0-9]+/
    acl id42 url_param(id) 42
    acl alt_port dst_port ${alt}
    acl allowed src -f ${path.join(dir, 'allow.lst')}
    acl other src -f other.lst
    http-request set-header X-Client %[src]
    http-request set-header X-Host %[req.hdr(host)]
    http-request set-header X-Both "%ci:%[req.hdr(x-tenant),lower]"
    use_backend be_tenant if tenant_a
    use_backend be_www if www
    use_backend be_api if api_v
    use_backend be_param if id42
    use_backend be_alt if alt_port
    use_backend be_blocked if other { path_beg /allow }
    use_backend be_allowed if allowed { path_beg /allow }
    use_backend %[req.hdr(host),lower,map(hosts.map,be_default)]
    default_backend be_default
${backends}
frontend tcpfe
    mode tcp
    bind 127.0.0.1:${tcp}
    use_backend tcp_local if { src 127.0.0.0/8 } { dst_port ${tcp} } !{ src_port 1:1023 }
    default_backend tcp_default
backend tcp_default
    mode tcp
    server s 127.0.0.1:${tcpDefault}
backend tcp_local
    mode tcp
    server s 127.0.0.1:${tcpLocal}
`,
  );
});

after(async () => {
  await stopAll([proxy]);
  for (const s of servers) s.close();
});

test('hdr(x-tenant) -i routes on a header value, case folded', async () => {
  assert.equal((await get(main, '/', { 'X-Tenant': 'ACME' })).backend, 'be_tenant');
  assert.equal((await get(main, '/', { 'X-Tenant': 'other' })).backend, 'be_default');
});

test('hdr_beg(host) -i routes on the Host prefix', async () => {
  assert.equal((await get(main, '/', { Host: 'WWW.example.com' })).backend, 'be_www');
  assert.equal((await get(main, '/', { Host: 'api.example.com' })).backend, 'be_default');
});

test('path_reg routes on a regex of the path (the query is not part of it)', async () => {
  assert.equal((await get(main, '/api/v2/users')).backend, 'be_api');
  assert.equal((await get(main, '/api/vx/users')).backend, 'be_default');
  assert.equal((await get(main, '/x?/api/v2/')).backend, 'be_default');
});

test('url_param(id) routes on a query parameter, any occurrence', async () => {
  assert.equal((await get(main, '/p?id=42')).backend, 'be_param');
  assert.equal((await get(main, '/p?a=1&id=7;id=42')).backend, 'be_param');
  assert.equal((await get(main, '/p?id=43')).backend, 'be_default');
});

test('dst_port routes on the port the client connected to', async () => {
  assert.equal((await get(alt, '/')).backend, 'be_alt');
  assert.equal((await get(main, '/')).backend, 'be_default');
});

test('src -f allow.lst: 127.0.0.1 is in the list, not in the other one', async () => {
  assert.equal((await get(main, '/allow')).backend, 'be_allowed');
});

test('use_backend %[req.hdr(host),lower,map(FILE,be_default)]: the mapped backend, the default, and a mapped name that is no backend', async () => {
  assert.equal((await get(main, '/', { Host: 'Shop.Example' })).backend, 'be_shop');
  assert.equal((await get(main, '/', { Host: 'unknown.example' })).backend, 'be_default');
  assert.equal((await get(main, '/', { Host: 'ghost.example' })).backend, 'be_default');
});

test('set-header X-Client %[src] and %[req.hdr(host)] reach the backend', async () => {
  const a = await get(main, '/', { Host: 'shop.example', 'X-Tenant': 'Beta' });
  assert.equal(a.backend, 'be_shop');
  assert.equal(a.headers['x-client'], '127.0.0.1');
  assert.equal(a.headers['x-host'], 'shop.example');
  assert.equal(a.headers['x-both'], '127.0.0.1:beta');
});

test('a tcp-mode frontend routes on src, dst_port and src_port', async () => {
  assert.equal(await tcpRead(tcp), 'tcp_local');
});
