// Several `crt` on one bind, as Let's Encrypt setups write them: the first certificate is served to
// clients without SNI or naming no certificate, the others by their names (exact, then wildcard).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { generateCertificate } from '../../src/demo/cert.ts';
import { freePort, startBackends, startHandoff, stopAll, tempDir, type Backends, type Handoff } from '../helpers/proxy.ts';

let backends: Backends | undefined;
let proxy: Handoff | undefined;
after(() => stopAll([proxy, backends]));

function servedName(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) }, () => {
      const cn = s.getPeerX509Certificate()?.subject ?? '';
      s.destroy();
      resolve(/CN=([^\n]+)/.exec(cn)?.[1] ?? '');
    });
    s.setTimeout(5_000, () => s.destroy(new Error('timeout')));
    s.on('error', reject);
  });
}

test('three RSA certificates on one bind: SNI picks each by name, the first is the default', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const names = ['site.example', 'api.example', '*.apps.example'];
  const files: string[] = [];
  for (const [i, cn] of names.entries()) {
    const c = await generateCertificate({ days: 1, commonName: cn });
    files.push(path.join(dir, `c${i}.pem`));
    fs.writeFileSync(files[i] as string, c.certPem + c.keyPem);
  }
  backends = await startBackends(1);
  const port = await freePort();
  proxy = await startHandoff(dir, `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend https
    bind 127.0.0.1:${port} ssl ${files.map((f) => `crt ${f}`).join(' ')}
    default_backend app
backend app
    server s1 127.0.0.1:${backends.ports[0]}
`);
  assert.equal(await servedName(port, undefined), 'site.example');
  assert.equal(await servedName(port, 'api.example'), 'api.example');
  assert.equal(await servedName(port, 'API.Example'), 'api.example');
  assert.equal(await servedName(port, 'x.apps.example'), '*.apps.example');
  assert.equal(await servedName(port, 'a.b.apps.example'), 'site.example');
  assert.equal(await servedName(port, 'unknown.example'), 'site.example');
});

/** Whether an HTTP request over TLS with this SNI (or none) gets any answer. */
function answered(port: number, servername: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) }, () => {
      s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    let got = false;
    s.on('data', () => (got = true));
    s.setTimeout(5_000, () => s.destroy());
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
}

test('strict-sni: a name no certificate has, or no SNI at all, gets no answer; the certificates’ names do', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const files: string[] = [];
  for (const [i, cn] of ['site.example', '*.apps.example'].entries()) {
    const c = await generateCertificate({ days: 1, commonName: cn });
    files.push(path.join(dir, `s${i}.pem`));
    fs.writeFileSync(files[i] as string, c.certPem + c.keyPem);
  }
  backends ??= await startBackends(1);
  const port = await freePort();
  const strict = await startHandoff(dir, `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend https
    bind 127.0.0.1:${port} ssl strict-sni crt ${files[0]} crt ${files[1]}
    default_backend app
backend app
    server s1 127.0.0.1:${backends.ports[0]}
`);
  try {
    assert.equal(await answered(port, 'site.example'), true);
    assert.equal(await answered(port, 'x.apps.example'), true);
    assert.equal(await answered(port, 'unknown.example'), false, 'the default certificate is not used for an unknown name');
    assert.equal(await answered(port, undefined), false, 'a handshake without SNI is not served');
  } finally {
    await stopAll([strict]);
  }
});
