// The PROXY protocol through the real binary, and through HAProxy 2.6 with the same configuration
// when it is installed: v1 and v2 headers in (on a TCP bind by `tcp-request connection
// expect-proxy layer4 if { src … }`, on unix binds by `accept-proxy`, plain and TLS) make the
// client the one the header names — in the backend's X-Forwarded-For, `src`/`dst` and the log —
// a missing header closes the connection unseen by the backend and is logged as HAProxy logs it;
// `send-proxy` / `send-proxy-v2` out give the servers the original client, on connections kept
// private to it; both kinds of reload keep it all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';
import { tempDir, until, writeCert } from '../helpers/proxy.ts';
import { encodeProxyV2, parseProxyHeader } from '../../src/worker/proxy-header.ts';

interface Echo {
  port: number;
  requests: number;
  server: http.Server;
}

/** Answers with what it was told about the client. */
async function echoBackend(): Promise<Echo> {
  const e: Echo = { port: 0, requests: 0, server: http.createServer() };
  e.server.on('request', (req, res) => {
    e.requests++;
    res.end(JSON.stringify({ xff: req.headers['x-forwarded-for'] ?? null, src: req.headers['x-src'], dst: req.headers['x-dst'] }));
  });
  await new Promise<void>((r) => e.server.listen(0, '127.0.0.1', r));
  e.port = (e.server.address() as net.AddressInfo).port;
  return e;
}

interface HeaderSink {
  port: number;
  /** Per connection: the PROXY header it began with, as text (v1) or parsed addresses (v2). */
  headers: string[];
  server: net.Server;
}

/** A server that reads the PROXY header each connection starts with, then answers HTTP (keep-alive) or echoes (tcp). */
async function headerSink(): Promise<HeaderSink> {
  const s: HeaderSink = { port: 0, headers: [], server: net.createServer() };
  s.server.on('connection', (sock) => {
    let buf = Buffer.alloc(0);
    let seen = false;
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!seen) {
        const r = parseProxyHeader(buf);
        if (r.kind === 'more') return;
        seen = true;
        s.headers.push(r.kind === 'error' ? `error ${r.error}` : describe(buf.subarray(0, r.length), r));
        buf = r.kind === 'done' ? buf.subarray(r.length) : Buffer.alloc(0);
      }
      if (buf.subarray(0, 4).toString() === 'PING') {
        sock.end('PONG');
        return;
      }
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        buf = buf.subarray(end + 4);
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.port = (s.server.address() as net.AddressInfo).port;
  return s;
}

function describe(raw: Buffer, r: Extract<ReturnType<typeof parseProxyHeader>, { kind: 'done' }>): string {
  if (raw.subarray(0, 5).toString() === 'PROXY') return raw.toString('latin1');
  const a = r.addresses;
  const where = a === undefined ? 'LOCAL' : `${a.src.ip}:${a.src.port} -> ${a.dst.ip}:${a.dst.port}`;
  return `v2 ${where}${r.authority === undefined ? '' : ` authority=${r.authority}`}`;
}

let dir = '';
let cert = '';
let echo: Echo;
let sink: HeaderSink;
const logs: { socket: dgram.Socket; port: number; lines: string[] }[] = [];
let peers: Peers;
let calls = 0;

function sock(peer: Peer, name: string): string {
  return path.join(dir, `${name}-${peers.list.indexOf(peer) + 1}.sock`);
}

function config(port: number): string {
  const n = ++calls;
  const log = logs[n - 1] as { port: number };
  return `global
  log 127.0.0.1:${log.port} format raw local0
defaults
  mode http
  log global
  option httplog
  option forwardfor
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  bind unix@${dir}/plain-${n}.sock accept-proxy
  bind unix@${dir}/tls-${n}.sock accept-proxy ssl crt ${cert}
  bind unix@${dir}/noproxy-${n}.sock
  tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }
  http-request deny if { src 192.0.2.66 }
  http-request set-header X-Src %[src]:%[src_port]
  http-request set-header X-Dst %[dst]:%[dst_port]
  use_backend out_v1 if { path_beg /v1 }
  use_backend out_v2 if { path_beg /v2 }
  default_backend echo
frontend tcp_in
  mode tcp
  option tcplog
  bind unix@${dir}/tcp-${n}.sock accept-proxy
  default_backend tcp_out
backend echo
  server s1 127.0.0.1:${echo.port}
backend out_v1
  server s1 127.0.0.1:${sink.port} send-proxy
backend out_v2
  server s1 127.0.0.1:${sink.port} send-proxy-v2 proxy-v2-options authority
backend tcp_out
  mode tcp
  server s1 127.0.0.1:${sink.port} send-proxy-v2
`;
}

before(async () => {
  dir = tempDir('handoff-pp-');
  cert = await writeCert(dir);
  echo = await echoBackend();
  sink = await headerSink();
  for (let i = 0; i < 2; i++) {
    const socket = dgram.createSocket('udp4');
    const entry = { socket, port: 0, lines: [] as string[] };
    socket.on('message', (m) => entry.lines.push(m.toString('latin1').trimEnd()));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    entry.port = (socket.address() as net.AddressInfo).port;
    logs.push(entry);
  }
  peers = await startPeers(dir, config, 'the PROXY protocol is checked against handoff only');
});

after(async () => {
  await peers?.stop();
  echo?.server.close();
  sink?.server.close();
  for (const l of logs) l.socket.close();
});

type Target = { port: number } | { path: string };

/** Connect, write `header` then `payload` (over TLS when `servername` is given); everything the peer sent until it closed. */
function exchange(to: Target, header: Buffer | string, payload: string, servername?: string, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const raw = 'port' in to ? net.connect(to.port, '127.0.0.1') : net.connect(to.path);
    let out = '';
    // A peer that closes with the client's bytes unread resets the connection: closed all the same.
    const failed = (err: NodeJS.ErrnoException): void => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(out) : reject(err));
    raw.on('error', failed);
    raw.once('connect', () => {
      raw.write(header);
      if (servername === undefined) {
        raw.write(payload);
        if (end) raw.end();
        raw.on('data', (d: Buffer) => (out += d.toString('latin1')));
        raw.on('close', () => resolve(out));
        return;
      }
      const t = tls.connect({ socket: raw, servername, rejectUnauthorized: false }, () => t.write(payload));
      t.on('data', (d: Buffer) => (out += d.toString('latin1')));
      t.on('error', failed);
      t.on('close', () => resolve(out));
    });
  });
}

const GET = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

function body(response: string): Record<string, unknown> {
  assert.match(response, /^HTTP\/1\.1 200 /, response);
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

async function logLine(i: number, pattern: RegExp, what: string): Promise<string> {
  const lines = (logs[i] as { lines: string[] }).lines;
  await until(what, () => lines.some((l) => pattern.test(l)), 5000, () => lines.join('\n'));
  return lines.find((l) => pattern.test(l)) as string;
}

test('v1 and v2 headers in make the client the one they name: X-Forwarded-For, src/dst, ACLs and the log', async () => {
  for (const [i, peer] of peers.list.entries()) {
    const r1 = body(await exchange({ port: peer.port }, 'PROXY TCP4 192.0.2.7 198.51.100.9 5555 443\r\n', GET('/')));
    assert.deepEqual(r1, { xff: '192.0.2.7', src: '192.0.2.7:5555', dst: '198.51.100.9:443' }, `${peer.name}: v1 on expect-proxy`);
    await logLine(i, /^192\.0\.2\.7:5555 \[.*\] fe echo\/s1 .* 200 .*"GET \/ HTTP\/1\.1"$/, `${peer.name}: log shows the PROXY client`);
    const v2 = encodeProxyV2({ src: { ip: '203.0.113.4', port: 1234 }, dst: { ip: '203.0.113.5', port: 80 } });
    const r2 = body(await exchange({ path: sock(peer, 'plain') }, v2, GET('/')));
    assert.deepEqual(r2, { xff: '203.0.113.4', src: '203.0.113.4:1234', dst: '203.0.113.5:80' }, `${peer.name}: v2 on accept-proxy`);
    await logLine(i, /^203\.0\.113\.4:1234 \[/, `${peer.name}: v2 client logged`);
    const r6 = body(await exchange({ path: sock(peer, 'tls') }, 'PROXY TCP6 2001:db8::5 2001:db8::1 7777 443\r\n', GET('/'), 'example.org'));
    assert.deepEqual(r6, { xff: '2001:db8::5', src: '2001:db8::5:7777', dst: '2001:db8::1:443' }, `${peer.name}: header before the TLS ClientHello`);
    await logLine(i, /^2001:db8::5:7777 \[.*\] fe~ echo\/s1 /, `${peer.name}: TLS client logged`);
    const unknown = body(await exchange({ path: sock(peer, 'plain') }, 'PROXY UNKNOWN\r\n', GET('/')));
    assert.equal(unknown.xff, null, `${peer.name}: UNKNOWN keeps the unix client, which has no address`);
    const denied = await exchange({ port: peer.port }, 'PROXY TCP4 192.0.2.66 198.51.100.9 6666 443\r\n', GET('/'));
    assert.match(denied, /^HTTP\/1\.1 403 /, `${peer.name}: an ACL on src sees the PROXY client`);
    const none = body(await exchange({ path: sock(peer, 'noproxy') }, '', GET('/')));
    assert.equal(none.xff, null, `${peer.name}: expect-proxy's condition does not hold for a unix client: no header needed`);
  }
});

test('a missing or malformed header closes the connection before the backend sees a byte, logged as HAProxy does', async () => {
  for (const [i, peer] of peers.list.entries()) {
    const before = echo.requests;
    assert.equal(await exchange({ port: peer.port }, '', GET('/')), '', `${peer.name}: no header: closed, nothing answered`);
    assert.equal(await exchange({ path: sock(peer, 'plain') }, 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', GET('/')), '', `${peer.name}: bad header`);
    assert.equal(await exchange({ path: sock(peer, 'tls') }, '', GET('/')), '', `${peer.name}: TLS without header`);
    assert.equal(echo.requests, before, `${peer.name}: the backend saw nothing`);
    await logLine(i, /^127\.0\.0\.1:\d+ \[[^\]]+\] fe\/1: Received something which does not look like a PROXY protocol header$/, `${peer.name}: missing header logged`);
    await logLine(i, /^unix:2 \[[^\]]+\] fe\/2: Received an invalid PROXY protocol header$/, `${peer.name}: invalid header logged`);
    // Only the header, then the end: a connection that sent nothing, logged CR-- for the header's client.
    await exchange({ port: peer.port }, 'PROXY TCP4 192.0.2.60 198.51.100.9 6000 80\r\n', '', undefined, true);
    await logLine(i, /^192\.0\.2\.60:6000 \[[^\]]+\] fe fe\/<NOSRV> .* CR-- .*"<BADREQ>"$/, `${peer.name}: header only is a null connection`);
  }
});

test('send-proxy and send-proxy-v2 give the server the original client, on a connection private to it', async () => {
  for (const peer of peers.list) {
    sink.headers.length = 0;
    const a = 'PROXY TCP4 192.0.2.10 198.51.100.9 1000 443\r\n';
    const two = `GET /v1 HTTP/1.1\r\nHost: x\r\n\r\n${GET('/v1')}`;
    const both = await exchange({ port: peer.port }, a, two);
    assert.equal(both.match(/HTTP\/1\.1 200/g)?.length, 2, `${peer.name}: ${both}`);
    await exchange({ port: peer.port }, 'PROXY TCP4 192.0.2.11 198.51.100.9 1001 443\r\n', GET('/v1'));
    assert.deepEqual(sink.headers, [a, 'PROXY TCP4 192.0.2.11 198.51.100.9 1001 443\r\n'], `${peer.name}: one connection per client, its own header`);
    sink.headers.length = 0;
    await exchange({ path: sock(peer, 'tls') }, 'PROXY TCP4 192.0.2.12 198.51.100.9 1002 443\r\n', GET('/v2'), 'example.org');
    assert.deepEqual(sink.headers, ['v2 192.0.2.12:1002 -> 198.51.100.9:443 authority=example.org'], `${peer.name}: v2 with the SNI as authority`);
    sink.headers.length = 0;
    const pong = await exchange({ path: sock(peer, 'tcp') }, 'PROXY TCP4 192.0.2.13 198.51.100.9 1003 22\r\n', 'PING');
    assert.equal(pong, 'PONG', `${peer.name}: mode tcp relays after the headers`);
    assert.deepEqual(sink.headers, ['v2 192.0.2.13:1003 -> 198.51.100.9:22'], `${peer.name}: mode tcp sends the header too`);
  }
});

test('in-place and new-processes reloads keep reading and sending PROXY headers', async () => {
  const peer = peers.list[0] as Peer;
  for (const [k, command] of ['reload', 'reload full'].entries()) {
    const r = await peers.handoff.ctl(command);
    assert.doesNotMatch(r.output, /fail|error/i, `${command}: ${r.output}`);
    await until(`${command}: generation ${k + 2} serving`, () => peers.handoff.output().includes(`reload succeeded (generation ${k + 2}`), 20_000);
    const got = body(await exchange({ port: peer.port }, 'PROXY TCP4 192.0.2.20 198.51.100.9 2000 443\r\n', GET('/')));
    assert.equal(got.xff, '192.0.2.20', `after ${command}`);
    sink.headers.length = 0;
    await exchange({ path: sock(peer, 'plain') }, 'PROXY TCP4 192.0.2.21 198.51.100.9 2001 443\r\n', GET('/v1'));
    assert.deepEqual(sink.headers, ['PROXY TCP4 192.0.2.21 198.51.100.9 2001 443\r\n'], `after ${command}`);
  }
});
