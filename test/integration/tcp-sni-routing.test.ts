// TLS passthrough routed by SNI through the real binary, and through HAProxy 2.6 with the same
// configuration when it is installed: `tcp-request inspect-delay` holds the ClientHello (also one
// that arrives in pieces), `use_backend … if { req.ssl_sni -i … }` picks the server whose
// certificate the client then sees (TLS is not terminated: the bytes reach it intact), a hello
// without SNI goes to the default backend, `tcp-request content reject` closes what is not TLS,
// and both kinds of reload keep it. In http mode the content rules run for each request (reject
// closes the connection).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { generateCertificate } from '../../src/demo/cert.ts';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';
import { tempDir, until } from '../helpers/proxy.ts';

interface TlsOrigin {
  name: string;
  port: number;
  server: tls.Server;
}

/** A TLS server answering its name; its certificate's CN is its name too. */
async function tlsOrigin(name: string): Promise<TlsOrigin> {
  const c = await generateCertificate({ commonName: name, sans: [name], ec: true, days: 1 });
  const server = tls.createServer({ cert: c.certPem, key: c.keyPem }, (sock) => {
    sock.on('error', () => {});
    sock.end(`${name}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, port: (server.address() as net.AddressInfo).port, server };
}

interface Seen {
  answer: string;
  /** The CN of the certificate the client saw. */
  cn: string;
}

/** A TLS client through `port` (optionally through a relay that splits the hello). */
function hello(port: number, servername: string | undefined): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const opts: tls.ConnectionOptions = { host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) };
    const sock = tls.connect(opts);
    let answer = '';
    let cn = '';
    sock.on('secureConnect', () => {
      const subject = sock.getPeerCertificate().subject as { CN?: string } | undefined;
      cn = subject?.CN ?? '';
    });
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    sock.on('end', () => resolve({ answer: answer.trim(), cn }));
    sock.on('error', reject);
    sock.setTimeout(8_000, () => sock.destroy(new Error(`no answer through :${port} for ${servername ?? 'no SNI'}`)));
  });
}

/** A relay to `port` that sends the client's first bytes in two pieces, 300 ms apart. */
async function splittingRelay(port: number): Promise<net.Server> {
  const relay = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    client.once('data', (first: Buffer) => {
      client.pause();
      up.write(first.subarray(0, 11));
      setTimeout(() => {
        up.write(first.subarray(11));
        client.pipe(up);
        client.resume();
      }, 300);
    });
    up.pipe(client);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  return relay;
}

/** Plain text: answered by nobody, the connection closed. */
function plain(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write('HELLO\r\n'));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.on('close', () => resolve(got));
    sock.on('error', () => resolve(got));
    sock.setTimeout(8_000, () => reject(new Error('plain text: the connection stayed open')));
  });
}

let origins: TlsOrigin[] = [];
let peers: Peers;
let httpPeers: Peers;
let httpOrigin: http.Server;

before(async () => {
  origins = await Promise.all(['a.example', 'b.example', 'default.example'].map(tlsOrigin));
  const [a, b, d] = origins as [TlsOrigin, TlsOrigin, TlsOrigin];
  const config = (port: number): string => `defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend tls_in
  bind 127.0.0.1:${port}
  tcp-request inspect-delay 5s
  tcp-request content reject if { req.len gt 0 } !{ req.ssl_hello_type 1 }
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend be_a if { req.ssl_sni -i a.example }
  use_backend be_b if { req_ssl_sni -i B.example }
  default_backend be_default
backend be_a
  server a 127.0.0.1:${a.port}
backend be_b
  server b 127.0.0.1:${b.port}
backend be_default
  tcp-request inspect-delay 2s
  tcp-request content reject if { req.ssl_sni -i blocked.example }
  server d 127.0.0.1:${d.port}
`;
  peers = await startPeers(tempDir('handoff-sni-'), config, 'SNI routing is checked against handoff only');
  httpOrigin = http.createServer((_req, res) => res.end('origin'));
  await new Promise<void>((r) => httpOrigin.listen(0, '127.0.0.1', r));
  const op = (httpOrigin.address() as net.AddressInfo).port;
  const httpConfig = (port: number): string => `defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend web
  mode http
  bind 127.0.0.1:${port}
  tcp-request content reject if { path /deny }
  tcp-request content accept
  http-request use-service prometheus-exporter if { path /metrics }
  default_backend origin
backend origin
  mode http
  tcp-request content reject if { path /deny-in-backend }
  server o 127.0.0.1:${op}
`;
  httpPeers = await startPeers(tempDir('handoff-content-'), httpConfig, 'content rules in http mode are checked against handoff only');
});

after(async () => {
  await peers?.stop();
  await httpPeers?.stop();
  httpOrigin?.close();
  for (const o of origins) o.server.close();
});

async function routes(p: Peer, port: number, why: string): Promise<void> {
  for (const [sni, expected] of [['a.example', 'a.example'], ['b.example', 'b.example'], ['c.example', 'default.example'], [undefined, 'default.example']] as const) {
    const seen = await hello(port, sni);
    assert.deepEqual(seen, { answer: expected, cn: expected }, `${p.name} ${why}: SNI ${sni ?? 'none'}`);
  }
}

test('passthrough by SNI: each name reaches its server, whose certificate the client sees; no SNI goes to the default', async () => {
  for (const p of peers.list) await routes(p, p.port, 'direct');
});

test('a ClientHello in two pieces is waited for (inspect-delay) and still routed by its SNI', async () => {
  for (const p of peers.list) {
    const relay = await splittingRelay(p.port);
    try {
      const seen = await hello((relay.address() as net.AddressInfo).port, 'b.example');
      assert.deepEqual(seen, { answer: 'b.example', cn: 'b.example' }, p.name);
    } finally {
      relay.close();
    }
  }
});

test('tcp-request content reject closes a connection that is not TLS, unanswered', async () => {
  for (const p of peers.list) assert.equal(await plain(p.port), '', p.name);
});

test("the chosen backend's own content rules run too: its reject closes the connection", async () => {
  for (const p of peers.list) {
    const blocked = await hello(p.port, 'blocked.example').catch((e: Error) => e.message);
    // Closed before any TLS: an error, or an end with no certificate seen.
    assert.ok(typeof blocked === 'string' || (blocked.cn === '' && blocked.answer === ''), `${p.name}: ${JSON.stringify(blocked)}`);
    assert.equal((await hello(p.port, 'c.example')).answer, 'default.example', p.name);
  }
});

test('in-place and new-processes reloads keep routing by SNI', async () => {
  const p = peers.list[0] as Peer;
  for (const [k, command] of ['reload', 'reload full'].entries()) {
    const r = await peers.handoff.ctl(command);
    assert.doesNotMatch(r.output, /fail|error/i, `${command}: ${r.output}`);
    await until(`${command}: generation ${k + 2} serving`, () => peers.handoff.output().includes(`reload succeeded (generation ${k + 2}`), 20_000);
    await routes(p, p.port, `after ${command}`);
  }
});

/** Status of a GET, 0 when the connection closed without an answer. */
function status(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(8_000, () => req.destroy());
  });
}

test('http mode: content rules run for each request, reject closes the connection unanswered', async () => {
  for (const p of httpPeers.list) {
    assert.equal(await status(p.port, '/deny'), 0, p.name);
    assert.equal(await status(p.port, '/ok'), 200, p.name);
    assert.equal(await status(p.port, '/deny-in-backend'), 0, `${p.name}: the backend's rule`);
    const metrics = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: p.port, path: '/metrics', agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    const denied = (kind: string, proxy: string): string | undefined => new RegExp(`^haproxy_${kind}_requests_denied_total\\{proxy="${proxy}"\\} (\\d+)`, 'm').exec(metrics)?.[1];
    assert.deepEqual([denied('frontend', 'web'), denied('backend', 'origin')], ['2', '0'], `${p.name}: dreq of the frontend, also for the backend's rule`);
  }
});
