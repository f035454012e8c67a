// The seed's own haproxy.cfg (deploy/seed-haproxy.cfg), with only its ports and file paths moved
// to the test's temp dir, runs under handoff and does what it says: TLS termination, the
// http→https redirect, header rules, X-Forwarded-For, the stats page, the stats socket, logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackends, startHandoff, freePort, tempDir, writeCert } from '../helpers/proxy.ts';
import { sendCommand } from '../../src/admin/client.ts';

const SEED = fileURLToPath(new URL('../../deploy/seed-haproxy.cfg', import.meta.url));
const ERRORS = fileURLToPath(new URL('../../deploy/errors', import.meta.url));

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    mod
      .get(url, { rejectUnauthorized: false, agent: false, headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

test("the seed's haproxy.cfg runs: redirect, TLS, header rules, forwardfor, stats page and socket", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const cert = await writeCert(dir);
  const backends = await startBackends(3);
  const [p80, p443, pStats] = [await freePort(), await freePort(), await freePort()];
  const statsSock = path.join(dir, 'admin.sock');
  let cfg = fs.readFileSync(SEED, 'utf8');
  cfg = cfg
    .replace('*:80', `127.0.0.1:${p80}`)
    .replace('*:443', `127.0.0.1:${p443}`)
    .replace('0.0.0.0:8998', `127.0.0.1:${pStats}`)
    .replace('/etc/pki/tls/certs/REPLACEME.pem', cert)
    .replaceAll('/etc/haproxy/errors', ERRORS)
    .replaceAll('/run/haproxy/admin.sock', statsSock)
    .replace(/127\.0\.0\.1:900(\d)/g, (_m, i: string) => `127.0.0.1:${backends.ports[Number(i)]}`);
  const proxy = await startHandoff(dir, cfg, ['--workers', '1']);
  try {
    const redirect = await request(`http://127.0.0.1:${p80}/some/path?x=1`, { host: 'example.test' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, 'https://example.test/some/path?x=1');

    const ok = await request(`https://127.0.0.1:${p443}/?echo=seed`);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /echo: seed/);
    assert.match(ok.body, /"x-forwarded-proto":"https"/);
    assert.match(ok.body, /"x-forwarded-for":"127\.0\.0\.1"/);
    assert.equal(ok.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(ok.headers['strict-transport-security'], 'max-age=15768000');

    const denied = await request(`http://127.0.0.1:${pStats}/admin?stats`);
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers['www-authenticate']), /Basic realm="Haproxy Statistics"/);
    const auth = { authorization: `Basic ${Buffer.from('Admin:password').toString('base64')}` };
    const page = await request(`http://127.0.0.1:${pStats}/admin?stats`, auth);
    assert.equal(page.status, 200);
    assert.match(page.body, /www-backend/);
    assert.match(page.body, /mypool1/);

    assert.ok(fs.existsSync(statsSock), proxy.output());
    const info = await sendCommand(statsSock, 'show info', 5000);
    assert.ok(info.ok);
    assert.match(info.output, /^Name: handoff$/m);

    // One access-log line per request in the configured log-format (the seed's /dev/log target
    // falls back to stderr when no syslog socket is usable).
    assert.match(proxy.output(), /www-https~ www-backend\/mypool\d \d+\/\d+\/\d+\/\d+\/\d+ 200 /);
  } finally {
    proxy.kill();
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
});
