import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type tls from 'node:tls';
import { runLoad } from '../../src/load/engine.ts';
import { formatReport } from '../../src/load/report.ts';
import { testCert } from '../helpers/tls.ts';
import { close, listen, options } from './servers.ts';

async function tlsServer(over: tls.TlsOptions): Promise<{ port: number; names: string[]; server: https.Server }> {
  const { cert, key } = await testCert();
  const names: string[] = [];
  const server = https.createServer({ cert, key, ...over }, (_req, res) => res.end('secure\n'));
  server.on('secureConnection', (s: tls.TLSSocket) => names.push(typeof s.servername === 'string' ? s.servername : ''));
  return { port: await listen(server), names, server };
}

test('server limited to TLS 1.2: -f TLS1.3 fails every handshake, -f TLS1.2 succeeds and reports TLSv1.2', async () => {
  const { port, server } = await tlsServer({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  try {
    const url = `https://127.0.0.1:${port}/`;
    const bad = await runLoad(options(url, { requests: 10, concurrency: 2, tls: 'TLS1.3' }));
    assert.equal(bad.failures.tls_handshake, 10);
    assert.equal(bad.failedRequests, 10);
    assert.equal(bad.tlsProtocol, '');
    const good = await runLoad(options(url, { requests: 10, concurrency: 2, tls: 'TLS1.2' }));
    assert.equal(good.failedRequests, 0);
    assert.match(good.tlsProtocol, /^TLSv1\.2,ECDHE-RSA-[A-Z0-9-]+,2048,(128|256)$/);
    assert.match(formatReport(good), /^SSL\/TLS Protocol:       TLSv1\.2,/m);
  } finally {
    await close(server);
  }
});

test('a TLS 1.3 run reports TLSv1.3 with its cipher and key size', async () => {
  const { port, server } = await tlsServer({ minVersion: 'TLSv1.3' });
  try {
    const r = await runLoad(options(`https://127.0.0.1:${port}/`, { requests: 5, tls: 'TLS1.3', keepAlive: true }));
    assert.equal(r.failedRequests, 0);
    assert.match(r.tlsProtocol, /^TLSv1\.3,TLS_[A-Z0-9_]+,2048,(128|256)$/);
  } finally {
    await close(server);
  }
});

test('SNI is the URL host when it is a name, and absent for an IP address', async () => {
  const { port, names, server } = await tlsServer({});
  try {
    const byName = await runLoad(options(`https://localhost:${port}/`, { requests: 3 }));
    assert.equal(byName.failedRequests, 0);
    assert.equal(byName.tlsServerName, 'localhost');
    assert.match(formatReport(byName), /^TLS Server Name:        localhost$/m);
    const byIp = await runLoad(options(`https://127.0.0.1:${port}/`, { requests: 3 }));
    assert.equal(byIp.tlsServerName, '');
    assert.deepEqual(names, ['localhost', 'localhost', 'localhost', '', '', '']);
  } finally {
    await close(server);
  }
});

test('without -k every request is a new TLS handshake; with -k handshakes are reused', async () => {
  const { port, names, server } = await tlsServer({});
  try {
    const url = `https://127.0.0.1:${port}/`;
    await runLoad(options(url, { requests: 20, concurrency: 2 }));
    assert.equal(names.length, 20);
    await runLoad(options(url, { requests: 20, concurrency: 2, keepAlive: true }));
    assert.equal(names.length, 22);
  } finally {
    await close(server);
  }
});

test('-f TLS1 reaches a legacy TLS 1.0 server (OpenSSL security level 0)', async (t) => {
  const { port, server } = await tlsServer({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  try {
    const r = await runLoad(options(`https://127.0.0.1:${port}/`, { requests: 2, tls: 'TLS1' }));
    if (r.failures.tls_handshake > 0) {
      t.skip('this OpenSSL build cannot negotiate TLS 1.0 at all');
      return;
    }
    assert.equal(r.failedRequests, 0);
    assert.match(r.tlsProtocol, /^TLSv1,/);
  } finally {
    await close(server);
  }
});
