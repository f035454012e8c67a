// One check against real sockets, the ruleset coming from a real configuration: what goes on the
// wire (compared with what HAProxy 2.6 sends) and the status HAProxy would report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { compile, HTTP_DEFAULTS } from '../config/compile.ts';
import { runCheck, type ProbeOptions } from '../../src/health/probe.ts';
import { describeOutcome } from '../../src/health/status.ts';
import type { Backend, Server } from '../../src/config/model.ts';
import { freePort, until } from '../helpers/proxy.ts';
import { testCert } from '../helpers/tls.ts';
import { fakeHttp, fakeServer } from './fake-servers.ts';

function configured(lines: string, port: number, serverOpts = ''): { server: Server; backend: Backend } {
  const r = compile(`${HTTP_DEFAULTS}backend app\n${lines}    server s1 127.0.0.1:${port} check ${serverOpts}\n`);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, []);
  const backend = r.config.backends[0] as Backend;
  return { server: backend.servers[0] as Server, backend };
}

const OPTS: ProbeOptions = { inter: 1000, timeoutConnect: 1000, bufsize: 16384, notDown: true };

async function probe(lines: string, port: number, serverOpts = '', opts: Partial<ProbeOptions> = {}) {
  const { server, backend } = configured(lines, port, serverOpts);
  const o = await runCheck(server, backend.healthCheck, { ...OPTS, ...opts });
  return { ...o, text: describeOutcome(o) };
}

test('a connect check: L4OK on an open port, L4CON "Connection refused" on a closed one', async () => {
  const srv = await fakeServer(() => {});
  const closed = await freePort();
  try {
    const up = await probe('', srv.port);
    assert.equal(up.status, 'L4OK');
    assert.equal(up.text, 'Layer4 check passed');
    const down = await probe('', closed);
    assert.equal(down.text, 'Layer4 connection problem, info: "Connection refused"');
  } finally {
    await srv.close();
  }
});

test('server `port` and `addr`: the check goes there, not to the traffic port', async () => {
  const checkPort = await fakeServer(() => {});
  const closed = await freePort();
  try {
    assert.equal((await probe('', closed, `port ${checkPort.port}`)).status, 'L4OK', 'traffic port closed, check port open');
    assert.equal(checkPort.connections(), 1);
    assert.equal((await probe('', checkPort.port, `port ${closed}`)).status, 'L4CON', 'traffic port open, check port closed');
    assert.equal(checkPort.connections(), 1, 'nothing reached the traffic port');
    assert.equal((await probe('', closed, `addr 127.0.0.1:${checkPort.port}`)).status, 'L4OK');
  } finally {
    await checkPort.close();
  }
});

test('option httpchk GET /health HTTP/1.1\\r\\nHost:\\ example.com sends what HAProxy sends: the header, then connection: close', async () => {
  const srv = await fakeHttp(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  try {
    const o = await probe('    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ example.com\n', srv.port);
    assert.equal(o.text, 'Layer7 check passed, code: 200');
    // Byte for byte what HAProxy 2.6.12 sent to a test server for this line.
    assert.equal(srv.received[0]?.toString('latin1'), 'GET /health HTTP/1.1\r\nhost: example.com\r\nconnection: close\r\n\r\n');
    await probe('    option httpchk\n', srv.port);
    assert.equal(srv.received[1]?.toString('latin1'), 'OPTIONS / HTTP/1.0\r\n\r\n');
    await probe('    option httpchk\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Host x body abc\n', srv.port);
    assert.equal(srv.received[2]?.toString('latin1'), 'GET /h HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc');
  } finally {
    await srv.close();
  }
});

test('HTTP statuses: 2xx/3xx pass by default; 500 is L7STS with the reason; expect status 204; a garbage answer is L7RSP', async () => {
  const codes = ['200 OK', '302 Found', '500 Internal Oops', '204 No Content', '200 OK'];
  const srv = await fakeHttp((n) => (n === 5 ? 'SSH-2.0-OpenSSH\r\n\r\n' : `HTTP/1.1 ${codes[n]}\r\nContent-Length: 0\r\n\r\n`));
  try {
    assert.equal((await probe('    option httpchk\n', srv.port)).status, 'L7OK');
    assert.equal((await probe('    option httpchk\n', srv.port)).status, 'L7OK');
    assert.equal((await probe('    option httpchk\n', srv.port)).text, 'Layer7 wrong status, code: 500, info: "Internal Oops"');
    const expect204 = '    option httpchk\n    http-check send meth GET uri /h hdr Host x\n    http-check expect status 204\n';
    assert.equal((await probe(expect204, srv.port)).text, 'Layer7 check passed, code: 204');
    assert.equal((await probe(expect204, srv.port)).text, 'Layer7 wrong status, code: 200, info: "OK"');
    assert.equal((await probe('    option httpchk\n', srv.port)).status, 'L7RSP');
  } finally {
    await srv.close();
  }
});

test('HTTP body and header expects: string, ! string, rstring, hdr name/value, fhdr', async () => {
  const srv = await fakeHttp(() => 'HTTP/1.1 200 OK\r\nSet-Cookie: sessid=1, other=2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
  try {
    const exp = (line: string) => probe(`    option httpchk\n    http-check expect ${line}\n`, srv.port);
    assert.equal((await exp('string world')).status, 'L7OK');
    assert.equal((await exp('! string SQL\\ Error')).status, 'L7OK');
    assert.equal((await exp('string nothere')).text, 'Layer7 invalid response, code: 200, info: "HTTP content check did not match"');
    assert.equal((await exp('! string hello')).text, 'Layer7 invalid response, code: 200, info: "HTTP check matched unwanted content"');
    assert.equal((await exp('rstring ^hel+o\\ w')).status, 'L7OK');
    assert.equal((await exp('hdr name set-cookie value -m beg other=')).status, 'L7OK', 'hdr splits values at commas');
    assert.equal((await exp('fhdr name set-cookie value -m beg other=')).status, 'L7STS', 'fhdr does not');
    assert.equal((await exp('hdr name -m beg SET-')).status, 'L7OK', 'names are case-insensitive');
  } finally {
    await srv.close();
  }
});

test('http-check disable-on-404: 404 on a running server is L7OKC (NOLB); on a DOWN one it is a failure', async () => {
  const srv = await fakeHttp(() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  try {
    const lines = '    option httpchk GET /\n    http-check disable-on-404\n    http-check expect status 200\n';
    const up = await probe(lines, srv.port);
    assert.equal(up.text, 'Layer7 check conditionally passed, code: 404');
    const down = await probe(lines, srv.port, '', { notDown: false });
    assert.equal(down.status, 'L7STS');
  } finally {
    await srv.close();
  }
});

test('tcp-check send PING\\r\\n, expect string +PONG: +PONG passes; -ERR then close is L7RSP; -ERR kept open times out (L7TOUT)', async () => {
  const answers = ['+PONG\r\n', '-ERR nope\r\n', '-ERR nope\r\n'];
  const srv = await fakeServer((sock, all, n) => {
    if (!all.toString().includes('PING\r\n')) return;
    if (n === 1) sock.end(answers[n] as string);
    else sock.write(answers[n] as string);
  });
  const lines = '    option tcp-check\n    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n';
  try {
    assert.equal((await probe(lines, srv.port)).text, 'Layer7 check passed, info: "(tcp-check)"');
    assert.equal((await probe(lines, srv.port)).text, `Layer7 invalid response, info: "TCPCHK did not match content '+PONG' at step 2"`);
    const t0 = Date.now();
    const slow = await probe(lines, srv.port, '', { inter: 300 });
    assert.equal(slow.text, `Layer7 timeout, info: "at step 2 of tcp-check (expect string '+PONG')"`);
    assert.ok(Date.now() - t0 >= 250, 'waited for more data until inter');
    assert.equal(srv.received[0]?.toString(), 'PING\r\n');
  } finally {
    await srv.close();
  }
});

test('tcp-check connect port N, send-binary, expect binary (AMQP-like), and a second connect', async () => {
  const amqp = await fakeServer((sock, all) => {
    if (all.length >= 8) sock.write(Buffer.from('0a0b0c0d', 'hex'));
  });
  const pop = await fakeServer(() => {}, (sock) => sock.write('+OK POP3 ready\r\n'));
  try {
    const lines = `    option tcp-check\n    tcp-check connect port ${amqp.port}\n    tcp-check send-binary 414d515000000901\n    tcp-check expect binary 0b0c\n    tcp-check connect port ${pop.port}\n    tcp-check expect string +OK\\ POP3\\ ready\n`;
    const closed = await freePort();
    const o = await probe(lines, closed);
    assert.equal(o.status, 'L7OK', o.text);
    assert.equal(amqp.received[0]?.toString('hex'), '414d515000000901');
    const failing = await probe(`    option tcp-check\n    tcp-check connect port ${closed}\n`, amqp.port);
    assert.equal(failing.text, `Layer4 connection problem, info: "Connection refused at step 1 of tcp-check (connect port ${closed})"`);
  } finally {
    await amqp.close();
    await pop.close();
  }
});

test('option redis-check: PING → +PONG is L7OK "Redis server is ok"; -ERR is L7STS with the answer', async () => {
  const srv = await fakeServer((sock, all, n) => {
    if (all.toString() === '*1\r\n$4\r\nPING\r\n') sock.end(n === 0 ? '+PONG\r\n' : '-ERR loading\r\n');
  });
  try {
    assert.equal((await probe('    option redis-check\n', srv.port)).text, 'Layer7 check passed, info: "Redis server is ok"');
    assert.equal((await probe('    option redis-check\n', srv.port)).text, 'Layer7 wrong status, info: "-ERR loading"');
  } finally {
    await srv.close();
  }
});

test('option pgsql-check user U: a StartupMessage; an authentication request passes, an ErrorResponse fails', async () => {
  const srv = await fakeServer((sock, all, n) => {
    if (all.length < all.readUInt32BE(0)) return;
    if (n === 0) sock.write(Buffer.from('520000000800000005aabbccdd', 'hex')); // AuthenticationMD5Password
    else sock.write(Buffer.concat([Buffer.from('45000000', 'hex'), Buffer.from('\x20SFATAL\0Mno such role\0\0', 'latin1')]));
  });
  try {
    assert.equal((await probe('    option pgsql-check user haproxy\n', srv.port)).text, 'Layer7 check passed, info: "PostgreSQL server is ok"');
    assert.equal(srv.received[0]?.toString('hex'), `00000016${'00030000'}${Buffer.from('user\0haproxy\0\0').toString('hex')}`);
    const bad = await probe('    option pgsql-check user haproxy\n', srv.port);
    assert.equal(bad.status, 'L7RSP');
    assert.match(bad.info ?? '', /FATAL/);
  } finally {
    await srv.close();
  }
});

/** A MySQL handshake packet (protocol 10, server version `version`). */
function mysqlHandshake(version: string): Buffer {
  const body = Buffer.concat([Buffer.from([10]), Buffer.from(`${version}\0`, 'latin1'), Buffer.alloc(40, 1)]);
  return Buffer.concat([Buffer.from([body.length & 0xff, body.length >> 8, 0, 0]), body]);
}

test('option mysql-check: the handshake alone; with a user the OK after the auth packet; an error packet is L7STS with its code', async () => {
  const srv = await fakeServer(
    (sock, all, n) => {
      if (n === 1) sock.end(Buffer.from('0700000200000002000000', 'hex')); // OK packet
      else if (n === 2) {
        const payload = Buffer.concat([Buffer.from('ff1504', 'hex'), Buffer.from('#28000Access denied', 'latin1')]);
        sock.end(Buffer.concat([Buffer.from([payload.length, 0, 0, 2]), payload]));
      }
      void all;
    },
    (sock) => sock.write(mysqlHandshake('8.0.36')),
  );
  try {
    assert.equal((await probe('    option mysql-check\n', srv.port)).text, 'Layer7 check passed, info: "8.0.36"');
    assert.equal((await probe('    option mysql-check user haproxy\n', srv.port)).text, 'Layer7 check passed, info: "8.0.36"');
    assert.equal(srv.received[1]?.subarray(0, 4).toString('hex'), '29000001', 'the client authentication packet');
    const denied = await probe('    option mysql-check user haproxy\n', srv.port);
    assert.equal(denied.status, 'L7STS');
    assert.equal(denied.code, 1045);
  } finally {
    await srv.close();
  }
});

test('option smtpchk: a 2xx banner, EHLO, a 2xx answer; a 5xx banner is L7STS with its code', async () => {
  let banner = '220 mx.example.com ESMTP\r\n';
  const srv = await fakeServer(
    (sock, all) => {
      if (all.toString().endsWith('\r\n')) sock.end('250-mx.example.com\r\n250 SIZE 1000\r\n');
    },
    (sock) => sock.write(banner),
  );
  try {
    const ok = await probe('    option smtpchk EHLO lb.example.com\n', srv.port);
    assert.equal(ok.text, 'Layer7 check passed, code: 250, info: "mx.example.com"');
    assert.equal(srv.received[0]?.toString(), 'EHLO lb.example.com\r\n');
    banner = '554 no service\r\n';
    assert.equal((await probe('    option smtpchk\n', srv.port)).text, 'Layer7 wrong status, code: 554, info: "no service"');
  } finally {
    await srv.close();
  }
});

test('option ldap-check: an anonymous bind; resultCode 0 is L7OK "Success", 49 is L7STS, another protocol is L7RSP', async () => {
  const answers = ['300c02010161070a010004000400', '300c02010161070a013104000400', '485454502f312e30203430300d0a'];
  const srv = await fakeServer((sock, all, n) => {
    if (all.toString('hex') === '300c020101600702010304008000') sock.end(Buffer.from(answers[n] as string, 'hex'));
  });
  try {
    assert.equal((await probe('    option ldap-check\n', srv.port)).text, 'Layer7 check passed, info: "Success"');
    const refused = await probe('    option ldap-check\n', srv.port);
    assert.deepEqual([refused.status, refused.code], ['L7STS', 0x31]);
    assert.equal((await probe('    option ldap-check\n', srv.port)).text, 'Layer7 invalid response, info: "Not LDAPv3 protocol"');
  } finally {
    await srv.close();
  }
});

test('option ssl-hello-chk: a TLS server answers the SSLv3 hello with a TLS record (L6OK); a plain HTTP server is L6RSP', async () => {
  const { cert, key } = await testCert();
  const port = await freePort();
  const server = tls.createServer({ cert, key });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const plain = await fakeHttp(() => 'HTTP/1.1 400 Bad Request\r\n\r\n');
  try {
    assert.equal((await probe('    option ssl-hello-chk\n', port)).status, 'L6OK');
    const bad = await fakeServer((sock) => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    assert.equal((await probe('    option ssl-hello-chk\n', bad.port)).status, 'L6RSP');
    await bad.close();
  } finally {
    server.close();
    await plain.close();
  }
});

test('timeouts: without `timeout check` inter bounds the whole check; with it, the exchange after connecting', async () => {
  const silent = await fakeServer(() => {});
  try {
    const t0 = Date.now();
    const o = await probe('    option httpchk\n', silent.port, '', { inter: 200 });
    assert.equal(o.status, 'L7TOUT');
    assert.ok(Date.now() - t0 < 1000);
    const t1 = Date.now();
    const withCheck = await probe('    option httpchk\n', silent.port, '', { inter: 5000, timeoutCheck: 150 });
    assert.equal(withCheck.status, 'L7TOUT');
    assert.ok(Date.now() - t1 < 1000, 'timeout check, not inter, bounded the wait');
  } finally {
    await silent.close();
  }
});

test('PROXY headers on checks, as HAProxy: a send-proxy server checked on its own address gets one (v1 with the check connection\'s ends, v2 LOCAL); check-send-proxy and connect send-proxy force it; a check port skips it', async () => {
  const srv = await fakeHttp(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const plain = await fakeServer(() => {});
  const LOCAL = Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex');
  try {
    assert.equal((await probe('    option httpchk GET /\n', srv.port, 'send-proxy')).status, 'L7OK');
    assert.match((srv.received[0] as Buffer).toString('latin1'), new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${srv.port}\r\nGET / HTTP/1\\.0\r\n`));
    assert.equal((await probe('    option httpchk GET /\n', srv.port, 'send-proxy-v2')).status, 'L7OK');
    assert.deepEqual((srv.received[1] as Buffer).subarray(0, 16), LOCAL);
    assert.match((srv.received[1] as Buffer).subarray(16).toString('latin1'), /^GET \/ HTTP\/1\.0\r\n/);
    await probe('', plain.port, 'check-send-proxy');
    await probe('    option tcp-check\n    tcp-check connect send-proxy\n', plain.port);
    await probe('', srv.port, `send-proxy port ${plain.port}`);
    await probe('', plain.port);
    await until('the checks sent what they send', () => plain.received.length === 4 && plain.received.slice(0, 2).every((b) => b.length > 0));
    const v1 = new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${plain.port}\r\n$`);
    assert.deepEqual(plain.received.map((b) => v1.test(b.toString('latin1')) || b.toString('latin1')), [true, true, '', '']);
  } finally {
    await srv.close();
    await plain.close();
  }
});
