import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:tls';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { generateCertificate } from '../../src/demo/cert.ts';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

/** Serve the combined PEM over TLS and complete a handshake that verifies it as its own CA. */
async function handshake(pem: string, certPem: string, servername: string): Promise<string> {
  const server = createServer({ cert: pem, key: pem }, (s) => s.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port, ca: certPem, servername }, () => {
        let data = '';
        sock.on('data', (d: Buffer) => (data += d.toString()));
        sock.on('end', () => resolve(data));
      });
      sock.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('combined PEM (cert then PKCS#8 key) loads in tls.createServer and a verifying client connects', async () => {
  const c = await generateCertificate();
  assert.ok(c.pem.startsWith('-----BEGIN CERTIFICATE-----'));
  assert.ok(c.pem.indexOf('-----BEGIN PRIVATE KEY-----') > c.pem.indexOf('-----END CERTIFICATE-----'));
  assert.equal(c.pem, c.certPem + c.keyPem);
  assert.equal(await handshake(c.pem, c.certPem, 'localhost'), 'hi');
  const x = new X509Certificate(c.certPem);
  assert.equal(x.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
});

test('default SANs are localhost, 127.0.0.1, ::1 and the hostname; --san adds DNS and IP names', async () => {
  const c = await generateCertificate({ sans: ['lb.example.com', '10.9.8.7'] });
  const san = new X509Certificate(c.certPem).subjectAltName ?? '';
  for (const want of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', `DNS:${hostname()}`, 'DNS:lb.example.com', 'IP Address:10.9.8.7']) {
    assert.ok(san.includes(want), `${want} missing from ${san}`);
  }
});

test('EC variant: P-256 key, handshake verifies, validity follows --days', async () => {
  const c = await generateCertificate({ ec: true, days: 10, commonName: 'demo.test' });
  const x = new X509Certificate(c.certPem);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.match(x.subject, /CN=demo\.test/);
  const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
  assert.ok(Math.abs(days - 10) < 0.01, `validity ${days} days`);
  assert.equal(await handshake(c.pem, c.certPem, 'demo.test'), 'hi');
});

test('the CLI writes the PEM owner-readable and prints its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-cert-'));
  try {
    const out = join(dir, 'site.pem');
    const r = spawnSync(process.execPath, [BIN, 'cert', '--ec', '--out', out], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), out);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.match(readFileSync(out, 'utf8'), /BEGIN PRIVATE KEY/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
