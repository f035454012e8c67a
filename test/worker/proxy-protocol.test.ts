// The PROXY protocol header: v1 and v2 parsed (valid, malformed, split across reads), built for
// servers, read off a real socket with the bytes after it kept, and the upstream pool keeping a
// connection that sent one private to its client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, V2_SIGNATURE, type HeaderParse } from '../../src/worker/proxy-header.ts';
import { readProxyHeader, receivedAuthority, type HeaderOutcome } from '../../src/worker/proxy-accept.ts';
import { clientAddress, destinationAddress } from '../../src/worker/client-address.ts';
import { UpstreamPool } from '../../src/worker/upstream.ts';

const v1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A v2 header: command (0 LOCAL, 1 PROXY), family byte, address block and TLVs. */
function v2(cmd: number, fam: number, body: Buffer, version = 2): Buffer {
  const head = Buffer.alloc(16);
  V2_SIGNATURE.copy(head);
  head[12] = (version << 4) | cmd;
  head[13] = fam;
  head.writeUInt16BE(body.length, 14);
  return Buffer.concat([head, body]);
}

function ipv4Block(src: number[], dst: number[], sp: number, dp: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(src, 0);
  b.set(dst, 4);
  b.writeUInt16BE(sp, 8);
  b.writeUInt16BE(dp, 10);
  return b;
}

function tlv(type: number, value: string): Buffer {
  const v = Buffer.from(value, 'latin1');
  const t = Buffer.alloc(3);
  t[0] = type;
  t.writeUInt16BE(v.length, 1);
  return Buffer.concat([t, v]);
}

function done(r: HeaderParse): Extract<HeaderParse, { kind: 'done' }> {
  assert.equal(r.kind, 'done', JSON.stringify(r));
  return r as Extract<HeaderParse, { kind: 'done' }>;
}

test('v1 TCP4 and TCP6 headers carry the client and destination; the length ends at the CRLF', () => {
  const h = 'PROXY TCP4 192.0.2.7 198.51.100.9 5555 443\r\n';
  const r = done(parseProxyHeader(v1(`${h}GET / HTTP/1.1\r\n`)));
  assert.equal(r.length, h.length);
  assert.deepEqual(r.addresses, { src: { ip: '192.0.2.7', port: 5555 }, dst: { ip: '198.51.100.9', port: 443 } });
  const r6 = done(parseProxyHeader(v1('PROXY TCP6 2001:db8::5 2001:db8::1 7777 443\r\n')));
  assert.deepEqual(r6.addresses, { src: { ip: '2001:db8::5', port: 7777 }, dst: { ip: '2001:db8::1', port: 443 } });
});

test('v1 UNKNOWN keeps the socket addresses; only the bare line is taken, as HAProxy 2.6', () => {
  const r = done(parseProxyHeader(v1('PROXY UNKNOWN\r\nrest')));
  assert.equal(r.length, 15);
  assert.equal(r.addresses, undefined);
  assert.deepEqual(parseProxyHeader(v1('PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n')), { kind: 'error', error: 'bad-proto' });
});

test('malformed v1 headers are refused with HAProxy\'s reason', () => {
  const cases: [string, string][] = [
    ['GET / HTTP/1.1\r\n', 'not-header'],
    ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'bad-proto'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n', 'bad-header'],
    ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 'bad-header'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r\n', 'bad-header'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n', 'bad-header'],
    ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'bad-header'],
    ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'bad-header'],
    [`PROXY TCP4 ${'1'.repeat(120)}`, 'bad-header'],
  ];
  for (const [text, error] of cases) assert.deepEqual(parseProxyHeader(v1(text)), { kind: 'error', error }, JSON.stringify(text));
});

test('a header split anywhere asks for more until it is whole, v1 and v2', () => {
  const whole = [v1('PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\n'), v2(1, 0x11, ipv4Block([10, 0, 0, 1], [10, 0, 0, 2], 1000, 2000))];
  for (const h of whole) {
    for (let n = 1; n < h.length; n++) assert.deepEqual(parseProxyHeader(h.subarray(0, n)), { kind: 'more' }, `${n} of ${h.length}`);
    assert.deepEqual(done(parseProxyHeader(h)).addresses, { src: { ip: '10.0.0.1', port: 1000 }, dst: { ip: '10.0.0.2', port: 2000 } });
  }
});

test('v2 PROXY over IPv4 and IPv6, TLVs skipped (AUTHORITY kept), LOCAL and AF_UNIX keep the socket', () => {
  const body = Buffer.concat([ipv4Block([192, 0, 2, 1], [192, 0, 2, 2], 40000, 443), tlv(0x04, 'noop'), tlv(0x02, 'example.org'), tlv(0xe0, 'custom')]);
  const r = done(parseProxyHeader(Buffer.concat([v2(1, 0x11, body), v1('GET')])));
  assert.equal(r.length, 16 + body.length);
  assert.equal(r.authority, 'example.org');
  assert.deepEqual(r.addresses, { src: { ip: '192.0.2.1', port: 40000 }, dst: { ip: '192.0.2.2', port: 443 } });
  const six = Buffer.alloc(36);
  six.writeUInt16BE(0x2001, 0);
  six.writeUInt16BE(0x0db8, 2);
  six[15] = 5;
  six[31] = 1;
  six.writeUInt16BE(7, 32);
  six.writeUInt16BE(8, 34);
  assert.deepEqual(done(parseProxyHeader(v2(1, 0x21, six))).addresses, { src: { ip: '2001:db8::5', port: 7 }, dst: { ip: '::1', port: 8 } });
  assert.equal(done(parseProxyHeader(v2(0, 0x11, ipv4Block([1, 1, 1, 1], [2, 2, 2, 2], 1, 2)))).addresses, undefined);
  assert.equal(done(parseProxyHeader(v2(1, 0x31, Buffer.alloc(216)))).addresses, undefined);
  assert.equal(done(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).length, 16);
});

test('a v2 CRC32C TLV is verified over the whole header (as HAProxy); a wrong one is refused', () => {
  const withCrc = (crc: number): Buffer => {
    const t = Buffer.alloc(7);
    t[0] = 0x03;
    t.writeUInt16BE(4, 1);
    t.writeUInt32BE(crc, 3);
    return v2(1, 0x11, Buffer.concat([ipv4Block([192, 0, 2, 1], [192, 0, 2, 2], 1, 2), t]));
  };
  // The CRC32c of the header with its checksum zeroed (Castagnoli; check value of '123456789': e3069283).
  const zeroed = withCrc(0);
  let crc = 0xffffffff;
  for (const byte of zeroed) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
  }
  const good = (crc ^ 0xffffffff) >>> 0;
  assert.equal(done(parseProxyHeader(withCrc(good))).addresses?.src.ip, '192.0.2.1');
  assert.deepEqual(parseProxyHeader(withCrc(good ^ 1)), { kind: 'error', error: 'bad-header' });
});

test('malformed v2 headers are refused', () => {
  assert.deepEqual(parseProxyHeader(v2(1, 0x11, ipv4Block([1, 1, 1, 1], [2, 2, 2, 2], 1, 2), 1)), { kind: 'error', error: 'not-header' });
  assert.deepEqual(parseProxyHeader(v2(3, 0x11, ipv4Block([1, 1, 1, 1], [2, 2, 2, 2], 1, 2))), { kind: 'error', error: 'bad-header' });
  assert.deepEqual(parseProxyHeader(v2(1, 0x11, Buffer.alloc(8))), { kind: 'error', error: 'bad-header' }, 'address block too short');
  const overrun = Buffer.concat([ipv4Block([1, 1, 1, 1], [2, 2, 2, 2], 1, 2), Buffer.from([0x02, 0x00, 0x09, 0x41])]);
  assert.deepEqual(parseProxyHeader(v2(1, 0x11, overrun)), { kind: 'error', error: 'bad-header' }, 'TLV longer than the header');
  const huge = Buffer.alloc(16);
  V2_SIGNATURE.copy(huge);
  huge[12] = 0x21;
  huge[13] = 0x11;
  huge.writeUInt16BE(0xffff, 14);
  assert.deepEqual(parseProxyHeader(huge), { kind: 'error', error: 'bad-header' }, 'larger than the 16 kB bound');
});

test('headers built for servers read back to the same addresses (v1, v2, mixed families, unix)', () => {
  const a = { src: { ip: '192.0.2.7', port: 5555 }, dst: { ip: '198.51.100.9', port: 443 } };
  assert.equal(encodeProxyV1(a).toString('latin1'), 'PROXY TCP4 192.0.2.7 198.51.100.9 5555 443\r\n');
  assert.deepEqual(done(parseProxyHeader(encodeProxyV2(a))).addresses, a);
  const authority = done(parseProxyHeader(encodeProxyV2(a, 'www.example.org')));
  assert.equal(authority.authority, 'www.example.org');
  const six = { src: { ip: '2001:db8::5', port: 1 }, dst: { ip: '::1', port: 2 } };
  assert.deepEqual(done(parseProxyHeader(encodeProxyV1(six))).addresses, six);
  assert.deepEqual(done(parseProxyHeader(encodeProxyV2(six))).addresses, six);
  const mixed = { src: { ip: '192.0.2.7', port: 1 }, dst: { ip: '::1', port: 2 } };
  assert.equal(encodeProxyV1(mixed).toString('latin1'), 'PROXY TCP6 ::ffff:192.0.2.7 ::1 1 2\r\n');
  assert.equal(encodeProxyV1({ src: { ip: 'unix', port: 1 }, dst: { ip: '/run/x.sock', port: 0 } }).toString('latin1'), 'PROXY UNKNOWN\r\n');
  const local = encodeProxyV2(undefined);
  assert.equal(local[12], 0x20, 'LOCAL when there is no address pair, as HAProxy');
  assert.equal(done(parseProxyHeader(local)).addresses, undefined);
});

/** A connected socket pair: what the test writes on `client` arrives on `server`. */
async function socketPair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  return {
    client,
    server,
    close() {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a header read off a socket in pieces: addresses set, the bytes after it go to the protocol', async () => {
  const p = await socketPair();
  try {
    const outcome = new Promise<HeaderOutcome>((r) => readProxyHeader(p.server, 5000, r));
    const h = v2(1, 0x11, Buffer.concat([ipv4Block([203, 0, 113, 4], [203, 0, 113, 5], 1234, 80), tlv(0x02, 'a.example')]));
    p.client.write(h.subarray(0, 5));
    await tick(30);
    p.client.write(Buffer.concat([h.subarray(5), v1('GET / HTTP/1.1\r\n')]));
    assert.deepEqual(await outcome, { ok: true, length: h.length });
    assert.deepEqual(clientAddress(p.server), { ip: '203.0.113.4', port: 1234 });
    assert.deepEqual(destinationAddress(p.server), { ip: '203.0.113.5', port: 80 });
    assert.equal(receivedAuthority(p.server), 'a.example');
    const got: Buffer[] = [];
    p.server.on('data', (d: Buffer) => got.push(d));
    p.client.write('Host: x\r\n');
    await tick(50);
    assert.equal(Buffer.concat(got).toString('latin1'), 'GET / HTTP/1.1\r\nHost: x\r\n');
  } finally {
    p.close();
  }
});

test('no header, a bad one, a silent or closing client: the outcome says why', async () => {
  const cases: [(c: net.Socket) => void, number, HeaderOutcome][] = [
    [(c) => c.write('GET / HTTP/1.1\r\n'), 5000, { ok: false, error: 'not-header' }],
    [(c) => c.end(), 5000, { ok: false, error: 'empty' }],
    [(c) => c.end('PROXY TCP4 1.2'), 5000, { ok: false, error: 'truncated' }],
    [() => {}, 100, { ok: false, error: 'timeout' }],
    [(c) => c.write('PROXY TC'), 100, { ok: false, error: 'truncated' }],
  ];
  for (const [act, timeout, expected] of cases) {
    const p = await socketPair();
    try {
      const outcome = new Promise<HeaderOutcome>((r) => readProxyHeader(p.server, timeout, r));
      act(p.client);
      assert.deepEqual(await outcome, expected);
      assert.equal(clientAddress(p.server).ip, '127.0.0.1', 'the socket stays who it is');
    } finally {
      p.close();
    }
  }
});

/** A keep-alive HTTP server that records the PROXY line each connection began with. */
async function headerServer(): Promise<{ port: number; headers: string[]; close(): void }> {
  const headers: string[] = [];
  const server = net.createServer((sock) => {
    let first = true;
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (first && buf.includes('\r\n')) {
        first = false;
        headers.push(buf.slice(0, buf.indexOf('\r\n') + 2));
        buf = buf.slice(buf.indexOf('\r\n') + 2);
      }
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, headers, close: () => server.close() };
}

function get(pool: UpstreamPool, proxyHeader: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    pool.dispatch(
      { method: 'GET', path: '/', headers: ['Host', 'x'], body: null, reset: false, proxyHeader },
      {
        onConnect() {},
        onRequestSent() {},
        onHeaders: (status) => (resolve(status), true),
        onData: () => true,
        onComplete() {},
        onError: (e) => reject(e),
      },
    );
  });
}

test('a pooled connection that sent a PROXY header carries only its own client\'s requests', async () => {
  const srv = await headerServer();
  const pool = new UpstreamPool({ host: '127.0.0.1', port: srv.port, connections: 1, connectTimeout: 1000, serverTimeout: 2000 });
  try {
    const a = encodeProxyV1({ src: { ip: '192.0.2.1', port: 1 }, dst: { ip: '192.0.2.9', port: 80 } });
    const b = encodeProxyV1({ src: { ip: '192.0.2.2', port: 2 }, dst: { ip: '192.0.2.9', port: 80 } });
    assert.equal(await get(pool, a), 200);
    await tick(20);
    assert.equal(await get(pool, a), 200, 'same client: the kept-alive connection is reused');
    await tick(20);
    assert.equal(await get(pool, b), 200, 'another client under maxconn 1: the private connection makes room');
    assert.deepEqual(srv.headers, [a.toString('latin1'), b.toString('latin1')]);
    // Both waiting at once on one slot: each gets a connection of its own header.
    await Promise.all([get(pool, a), get(pool, b), get(pool, a)]);
    assert.ok(srv.headers.length >= 3);
    assert.deepEqual(new Set(srv.headers), new Set([a.toString('latin1'), b.toString('latin1')]));
  } finally {
    await pool.close();
    srv.close();
  }
});
