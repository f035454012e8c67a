// Client certificates on a bind (mTLS), through the real binary and, where installed, HAProxy 2.6
// with the same configuration: `verify required` refuses a client without a certificate or with one
// from another CA and passes one the CA signed, its DN in a header the backend sees; `verify
// optional` lets a client without a certificate in (ssl_c_used 0) and, with crt-ignore-err, one
// with a foreign certificate (ssl_c_verify 21); `crt-list` picks the certificate by SNI filter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { freePort, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';
import { createPki } from '../helpers/pki.ts';
import { get, seen, startEcho, type EchoServer } from '../helpers/tls-echo.ts';
import { haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

let proxy: Handoff | undefined;
let echo: EchoServer | undefined;
after(async () => {
  await stopAll([proxy]);
  await echo?.close();
});

const dir = tempDir('handoff-mtls-');
const good = createPki(dir, 'good');
const evil = createPki(dir, 'evil');
const site = good.issue('site', { dns: ['site.test'] });
const other = good.issue('other', { dns: ['other.test'] });
const alice = good.issue('alice', { cn: 'alice', client: true });
const mallory = evil.issue('mallory', { cn: 'mallory', client: true });
const bob = good.issue('bob', { cn: 'bob', client: true });
const crl = good.crl(['bob']);
fs.writeFileSync(path.join(dir, 'list.txt'), `# SNI filters replace the names\n${other} [alpn h2,http/1.1] api.test *.apps.test !secret.apps.test\n`);

function config(ports: number[], backend: number): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend required
    bind 127.0.0.1:${ports[0]} ssl crt ${site} verify required ca-file ${good.caFile}
    http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]
    http-request set-header X-CN %[ssl_c_s_dn(CN)]
    http-request set-header X-Issuer %[ssl_c_i_dn]
    http-request set-header X-Verify %[ssl_c_verify]
    http-request set-header X-Serial %[ssl_c_serial,hex]
    http-request set-header X-DN-RFC2253 %[ssl_c_s_dn(,0,rfc2253)]
    http-request set-header X-SHA1 %[ssl_c_sha1,hex]
    default_backend echo
frontend optional
    bind 127.0.0.1:${ports[1]} ssl crt ${site} verify optional ca-file ${good.caFile} crt-ignore-err all
    http-request set-header X-Used %[ssl_c_used]
    http-request set-header X-Verify %[ssl_c_verify]
    http-request deny if { ssl_c_used } !{ ssl_c_verify 0 } { path /strict }
    default_backend echo
frontend revoking
    bind 127.0.0.1:${ports[3]} ssl crt ${site} verify required ca-file ${good.caFile} crl-file ${crl}
    http-request set-header X-CN %[ssl_c_s_dn(CN)]
    default_backend echo
frontend listed
    bind 127.0.0.1:${ports[2]} ssl crt ${site} crt-list ${path.join(dir, 'list.txt')} alpn h2,http/1.1
    default_backend echo
backend echo
    server s1 127.0.0.1:${backend}
`;
}

/** The CN of the certificate the server presents for `servername`. */
function presented(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const subject = s.getPeerX509Certificate()?.subject ?? '';
      s.destroy();
      resolve(/CN=([^\n]+)/.exec(subject)?.[1] ?? '');
    });
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('error', reject);
  });
}

/** A TLS session (ticket) the bind gave a client presenting `cert`. */
function sessionOf(port: number, cert: string): Promise<Buffer> {
  const pem = fs.readFileSync(cert, 'utf8');
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, cert: pem, key: pem, rejectUnauthorized: false }, () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.once('session', (b: Buffer) => {
      s.destroy();
      resolve(b);
    });
    s.setTimeout(5000, () => s.destroy(new Error('no session')));
    s.on('error', reject);
  });
}

/** Whether a request with `cert` (resuming `session`) gets an answer. */
function served(port: number, cert: string, session: Buffer): Promise<boolean> {
  const pem = fs.readFileSync(cert, 'utf8');
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, cert: pem, key: pem, session, rejectUnauthorized: false }, () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.setTimeout(5000, () => s.destroy());
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
  });
}

/** Whether a connection offering `session` resumed it. */
function resumes(port: number, cert: string, session: Buffer): Promise<boolean> {
  const pem = fs.readFileSync(cert, 'utf8');
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, cert: pem, key: pem, session, rejectUnauthorized: false }, () => {
      resolve(s.isSessionReused());
      s.destroy();
    });
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('error', reject);
  });
}

/** Every case's outcome, in a form both proxies must give alike. */
async function outcomes(ports: number[]): Promise<Record<string, unknown>> {
  const pick = (h: Record<string, unknown> | string, names: string[]): unknown => (typeof h === 'string' ? h : Object.fromEntries(names.map((n) => [n, h[n]])));
  const dnHeaders = ['x-ssl-client-dn', 'x-cn', 'x-issuer', 'x-verify', 'x-serial', 'x-dn-rfc2253', 'x-sha1'];
  const refused = (o: Awaited<ReturnType<typeof get>>): string => ('error' in o ? 'refused' : `status ${o.status}`);
  return {
    requiredWithout: refused(await get(ports[0] as number)),
    requiredForeign: refused(await get(ports[0] as number, { cert: mallory })),
    requiredSigned: pick(seen(await get(ports[0] as number, { cert: alice })), dnHeaders),
    optionalWithout: pick(seen(await get(ports[1] as number)), ['x-used', 'x-verify']),
    optionalForeign: pick(seen(await get(ports[1] as number, { cert: mallory })), ['x-used', 'x-verify']),
    optionalForeignStrict: refused(await get(ports[1] as number, { cert: mallory, path: '/strict' })),
    revokedRefused: refused(await get(ports[3] as number, { cert: bob })),
    notRevoked: pick(seen(await get(ports[3] as number, { cert: alice })), ['x-cn']),
    listed: [await presented(ports[2] as number, 'api.test'), await presented(ports[2] as number, 'x.apps.test'), await presented(ports[2] as number, 'secret.apps.test'), await presented(ports[2] as number, 'site.test')],
  };
}

const ALICE_SHA1 = new X509Certificate(fs.readFileSync(alice)).fingerprint.replace(/:/g, '');

const EXPECTED = {
  requiredWithout: 'refused',
  requiredForeign: 'refused',
  requiredSigned: { 'x-ssl-client-dn': '/C=FR/O=handoff tests/CN=alice', 'x-cn': 'alice', 'x-issuer': '/O=handoff tests/CN=good CA', 'x-verify': '0', 'x-serial': '1003', 'x-dn-rfc2253': 'CN=alice,O=handoff tests,C=FR', 'x-sha1': ALICE_SHA1 },
  optionalWithout: { 'x-used': '0', 'x-verify': '0' },
  optionalForeign: { 'x-used': '1', 'x-verify': '21' },
  optionalForeignStrict: 'status 403',
  revokedRefused: 'refused',
  notRevoked: { 'x-cn': 'alice' },
  listed: ['other', 'other', 'site', 'site'],
};

test('mTLS: verify required/optional, ssl_c_* in headers, crt-list by SNI (handoff)', { timeout: 60_000 }, async () => {
  echo = await startEcho('echo');
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  proxy = await startHandoff(dir, config(ports, echo.port));
  assert.match(proxy.output(), /'alpn h2,http\/1.1'|HTTP\/2 is not implemented/);
  assert.deepEqual(await outcomes(ports), EXPECTED);
});

test('mTLS: an in-place reload verifies new handshakes against the new ca-file', { timeout: 60_000 }, async () => {
  assert.ok(proxy !== undefined && echo !== undefined);
  const port = Number(/bind 127\.0\.0\.1:(\d+) ssl crt \S+ verify required/.exec(fs.readFileSync(proxy.configFile, 'utf8'))?.[1]);
  const ticket = await sessionOf(port, alice);
  fs.writeFileSync(proxy.configFile, fs.readFileSync(proxy.configFile, 'utf8').replace(`verify required ca-file ${good.caFile}`, `verify required ca-file ${evil.caFile}`));
  const r = await proxy.ctl('reload');
  assert.match(r.output, /reload succeeded/);
  const refused = await get(port, { cert: alice });
  assert.ok('error' in refused, `a certificate of the old CA is refused: ${JSON.stringify(refused)}`);
  assert.equal(await served(port, alice, ticket), false, 'a session verified under the old CA does not resume');
  const after = seen(await get(port, { cert: mallory }));
  assert.equal(typeof after === 'string' ? after : after['x-cn'], 'mallory');
});

test('mTLS: a ticket survives an in-place reload that changes the bind\'s TLS settings but not its CA', { timeout: 60_000 }, async () => {
  assert.ok(proxy !== undefined);
  const text = fs.readFileSync(proxy.configFile, 'utf8');
  const port = Number(/bind 127\.0\.0\.1:(\d+) ssl crt \S+ verify required/.exec(text)?.[1]);
  const ticket = await sessionOf(port, mallory);
  fs.writeFileSync(proxy.configFile, text.replace(`verify required ca-file ${evil.caFile}`, `verify required ca-file ${evil.caFile} ciphers ECDHE+AESGCM`));
  assert.match((await proxy.ctl('reload')).output, /reload succeeded/);
  assert.equal(await resumes(port, mallory, ticket), true);
});

test('mTLS: HAProxy 2.6 gives the same outcomes on the same configuration', { timeout: 60_000 }, async (t) => {
  const missing = haproxyMissing();
  if (missing !== undefined) return t.skip(missing);
  echo ??= await startEcho('echo');
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const socket = path.join(dir, 'haproxy.sock');
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, `global\n    stats socket ${socket}\n${config(ports, echo.port)}`);
  const h = await startHaproxy(cfg, socket);
  assert.ok(h !== null);
  try {
    assert.deepEqual(await outcomes(ports), EXPECTED);
  } finally {
    await h.stop();
  }
});
