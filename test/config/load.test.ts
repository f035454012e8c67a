import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { loadConfig } from '../../src/config/load.ts';
import { testCert } from '../helpers/tls.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
let dir: string;
let pem: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-config-'));
  const c = await testCert();
  pem = c.cert + c.key;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, text);
  return p;
}

function fmt(r: { diagnostics: Parameters<typeof formatDiagnostic>[0][] }): string[] {
  return r.diagnostics.map(formatDiagnostic);
}

const MINIMAL = (bindLine: string) => `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    ${bindLine}
    default_backend app
backend app
    server s1 127.0.0.1:9000
`;

test("the seed's haproxy.cfg loads with no errors and only the expected warnings", async () => {
  const seed = await readFile(join(DEPLOY, 'seed-haproxy.cfg'), 'utf8');
  await cp(join(DEPLOY, 'errors'), join(dir, 'seed-errors'), { recursive: true });
  const certPath = await write('seed-cert/REPLACEME.pem', pem);
  const text = seed.replaceAll('/etc/pki/tls/certs/REPLACEME.pem', certPath).replaceAll('/etc/haproxy/errors/', `${join(dir, 'seed-errors')}/`);
  const file = await write('seed.cfg', text);
  const r = await loadConfig(file);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
    [],
  );
  const warned = r.diagnostics.map((d) => `${d.line} ${d.message.split(' ')[0]}`);
  // The seed is an HAProxy 1.8 file: its reqadd/rspadd lines are read as add-header, with a warning naming it.
  assert.deepEqual(warned, ["10 'chroot", "24 'daemon'", "26 'tune.ssl.default-dh-param'", "73 'reqadd'", "80 'reqadd'", "82 'rspadd'", "84 'rspadd'"]);
  const c = r.config!;
  assert.equal(c.global.maxconn, 2000);
  assert.deepEqual(c.global.statsSockets.map((s) => [s.path, s.mode, s.level, s.exposeFdListeners]), [['/run/haproxy/admin.sock', 0o777, 'admin', true]]);
  assert.deepEqual(c.global.logTargets, [
    { kind: 'unix', path: '/dev/log', facility: 'local0' },
    { kind: 'unix', path: '/dev/log', facility: 'local1', level: 'notice' },
  ]);
  assert.deepEqual(c.frontends.map((f) => [f.name, f.binds.map((b) => b.key).join(','), f.defaultBackend]), [
    ['stats', '0.0.0.0:8998', 'stats'],
    ['unsecured', '0.0.0.0:80', 'www-backend'],
    ['www-https', '0.0.0.0:443', 'www-backend'],
  ]);
  const https = c.frontends[2]!;
  const tls = https.binds[0]!.tls!;
  assert.equal(tls.certificates[0]!.pem, pem);
  // ssl-default-bind-options no-sslv3 no-tlsv10 on top of the TLSv1.2 default floor.
  assert.deepEqual([tls.minVersion, tls.maxVersion], ['TLSv1.2', 'TLSv1.3']);
  assert.match(tls.ciphers!, /^ECDH\+AESGCM:/);
  assert.deepEqual(https.http.httpRequest.map((r) => ['name' in r ? r.name : '', 'value' in r ? r.value : '']), [['X-Forwarded-Proto', { parts: ['https'] }]]);
  assert.deepEqual(https.http.httpResponse.map((r) => ['name' in r ? r.name : '', 'value' in r ? r.value : '']), [
    ['X-Frame-Options', { parts: ['SAMEORIGIN'] }],
    ['Strict-Transport-Security', { parts: ['max-age=15768000'] }],
  ]);
  assert.equal(c.frontends[1]!.http.redirects[0]!.code, 301);
  // The seed's explicit log-format wins over `option httplog`.
  assert.match(https.logFormat!, /^%ci:%cp \[%t\] %ft %b\/%s %Tq\/%Tw/);
  assert.deepEqual([https.forwardFor, https.httpServerClose, https.clientKeepAlive, https.dontLogNull], [true, true, true, true]);
  assert.match(https.errorfiles['503']!, /^HTTP\/1\.0 503 Service Unavailable\r\n/);
  assert.deepEqual(Object.keys(https.errorfiles).sort(), ['400', '403', '408', '500', '502', '503', '504']);
  const be = c.backends.find((b) => b.name === 'www-backend')!;
  assert.deepEqual(be.servers.map((s) => `${s.id} ${s.host}:${s.port}`), ['www-backend/mypool1 127.0.0.1:9000', 'www-backend/mypool2 127.0.0.1:9001', 'www-backend/mypool3 127.0.0.1:9002']);
  assert.deepEqual(be.timeouts, { connect: 5000, client: 50000, server: 50000 });
  assert.equal(c.frontends[0]!.stats!.realm, 'Haproxy Statistics');
});

test('the runnable deploy/handoff.cfg loads cleanly given a generated certificate', async () => {
  const sub = join(dir, 'deploy');
  await cp(DEPLOY, sub, { recursive: true });
  await writeFile(join(sub, 'handoff-selfsigned.pem'), pem);
  const r = await loadConfig(join(sub, 'handoff.cfg'));
  assert.deepEqual(fmt(r), []);
  const c = r.config!;
  assert.equal(c.file, join(sub, 'handoff.cfg'));
  assert.deepEqual(c.frontends.flatMap((f) => f.binds.map((b) => b.key)), ['127.0.0.1:9999', '0.0.0.0:8080', '0.0.0.0:8443']);
  assert.equal(c.frontends[2]!.binds[0]!.tls!.certificates[0]!.path, join(sub, 'handoff-selfsigned.pem'));
  assert.deepEqual(c.global.logTargets, [{ kind: 'stdout', facility: 'local0' }]);
  // The model is plain data: it survives the IPC channel's JSON round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
});

test('a certificate whose private key does not match is an error at the bind line', async () => {
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const { cert } = await testCert();
  await write('mismatch.pem', cert + other);
  const r = await loadConfig(await write('mismatch.cfg', MINIMAL('bind *:443 ssl crt mismatch.pem')));
  assert.equal(r.config, undefined);
  assert.deepEqual(fmt(r), [`${join(dir, 'mismatch.cfg')}:7: error: '${join(dir, 'mismatch.pem')}': the private key does not match the certificate (subject CN=localhost)`]);
});

test('a PEM without a private key is an error, unless FILE.key holds it', async () => {
  const { cert, key } = await testCert();
  await write('nokey.pem', cert);
  const bad = await loadConfig(await write('nokey.cfg', MINIMAL('bind *:443 ssl crt nokey.pem')));
  assert.equal(bad.diagnostics.length, 1);
  assert.match(fmt(bad)[0]!, /nokey\.cfg:7: error: .*contains no private key/);
  await write('split.pem', cert);
  await write('split.pem.key', key);
  const good = await loadConfig(await write('split.cfg', MINIMAL('bind *:443 ssl crt split.pem')));
  assert.deepEqual(fmt(good), []);
  assert.match(good.config!.frontends[0]!.binds[0]!.tls!.certificates[0]!.pem, /PRIVATE KEY/);
});

test('garbage in a PEM is an error that names the file', async () => {
  await write('garbage.pem', '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n');
  const r = await loadConfig(await write('garbage.cfg', MINIMAL('bind *:443 ssl crt garbage.pem')));
  assert.equal(r.config, undefined);
  assert.match(fmt(r)[0]!, /garbage\.cfg:7: error: '.*garbage\.pem': the certificate does not load/);
});

test('a missing certificate or errorfile is an error at the line that names it', async () => {
  const text = MINIMAL('bind *:443 ssl crt missing.pem').replace('\nbackend app', '\nbackend app\n    errorfile 503 errors/none.http');
  const file = await write('missing.cfg', text);
  const r = await loadConfig(file);
  assert.deepEqual(fmt(r), [
    `${file}:7: error: cannot read certificate '${join(dir, 'missing.pem')}': no such file`,
    `${file}:10: error: cannot read errorfile '${join(dir, 'errors/none.http')}': no such file`,
  ]);
});

test('an errorfile naming a device, a FIFO or a directory is an error at its line, not a hung reload', async () => {
  const { execFileSync } = await import('node:child_process');
  const fifo = join(dir, 'errors.fifo');
  execFileSync('mkfifo', [fifo]);
  const text = MINIMAL('bind *:80').replace('\nbackend app', `\nbackend app\n    errorfile 503 /dev/zero\n    errorfile 502 ${fifo}\n    errorfile 504 ${dir}`);
  const file = await write('devices.cfg', text);
  const r = await loadConfig(file);
  assert.deepEqual(fmt(r), [
    `${file}:10: error: cannot read errorfile '/dev/zero': not a regular file`,
    `${file}:11: error: cannot read errorfile '${fifo}': not a regular file`,
    `${file}:12: error: cannot read errorfile '${dir}': is a directory`,
  ]);
});

test('crt-base applies to relative crt paths; absolute paths are used as written', async () => {
  await write('base/site.pem', pem);
  const text = `global\n    crt-base base\n${MINIMAL('bind *:443 ssl crt site.pem')}`;
  const r = await loadConfig(await write('crtbase.cfg', text));
  assert.deepEqual(fmt(r), []);
  assert.equal(r.config!.frontends[0]!.binds[0]!.tls!.certificates[0]!.path, join(dir, 'base/site.pem'));
});

test('crt naming a directory loads every certificate in it', async () => {
  await write('certdir/a.pem', pem);
  await write('certdir/b.pem', pem);
  const r = await loadConfig(await write('certdir.cfg', MINIMAL('bind *:443 ssl crt certdir')));
  assert.deepEqual(fmt(r), []);
  assert.deepEqual(r.config!.frontends[0]!.binds[0]!.tls!.certificates.map((c) => c.path), [join(dir, 'certdir/a.pem'), join(dir, 'certdir/b.pem')]);
});

test('a missing configuration file is an error at line 0, not an exception', async () => {
  const file = join(dir, 'does-not-exist.cfg');
  const r = await loadConfig(file);
  assert.equal(r.config, undefined);
  assert.deepEqual(fmt(r), [`${file}:0: error: cannot read configuration file: no such file`]);
});

test('workersOverride sets global.workers over nbthread; unset leaves nbthread', async () => {
  const file = await write('workers.cfg', `global\n    nbthread 3\n${MINIMAL('bind *:80')}`);
  assert.equal((await loadConfig(file)).config!.global.workers, 3);
  assert.equal((await loadConfig(file, { workersOverride: 7 })).config!.global.workers, 7);
});

test('several files load as one configuration, in order', async () => {
  const a = await write('multi-a.cfg', 'global\n    maxconn 100\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n');
  const b = await write('multi-b.cfg', 'frontend web\n    bind *:80\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n');
  const r = await loadConfig([a, b]);
  assert.deepEqual(fmt(r), []);
  assert.equal(r.config!.global.maxconn, 100);
  assert.equal(r.config!.backends[0]!.timeouts.connect, 1000);
});

test('environment variables expand inside double quotes', async () => {
  const file = await write('env.cfg', MINIMAL('bind "127.0.0.1:${HANDOFF_TEST_PORT}"'));
  const r = await loadConfig(file, { env: { HANDOFF_TEST_PORT: '8123' } });
  assert.deepEqual(fmt(r), []);
  assert.equal(r.config!.frontends[0]!.binds[0]!.key, '127.0.0.1:8123');
});
