// Configuration-time refusals with FILE:LINE: a stats socket that cannot be bound, a `crt`
// directory read as regular files only; and the runtime-API limits as keywords.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { loadConfig } from '../../src/config/load.ts';
import { testCert } from '../helpers/tls.ts';

let dir: string;
let pem: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-stats-crt-'));
  const c = await testCert();
  pem = c.cert + c.key;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cfg = (global: string, bind = 'bind 127.0.0.1:8080') => `global
${global}
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend www
    ${bind}
    default_backend app
backend app
    server s1 127.0.0.1:9000
`;

async function load(name: string, text: string) {
  const file = join(dir, name);
  await writeFile(file, text);
  const r = await loadConfig(file);
  return { file, r, messages: r.diagnostics.map(formatDiagnostic) };
}

test('a stats socket whose directory does not exist is a config error at its line, in HAProxy words', async () => {
  const { file, r, messages } = await load('nodir.cfg', cfg(`    stats socket ${dir}/missing/admin.sock mode 600 level admin`));
  assert.equal(r.config, undefined);
  assert.deepEqual(messages, [`${file}:2: error: stats socket: cannot bind UNIX socket (No such file or directory) [${dir}/missing/admin.sock]`]);
});

test('a stats socket under a regular file, at a directory, or longer than sun_path is a config error', async () => {
  await writeFile(join(dir, 'plain'), 'x');
  await mkdir(join(dir, 'adir'), { recursive: true });
  const long = `${dir}/${'s'.repeat(120)}.sock`;
  const { r, messages } = await load('bad-paths.cfg', cfg(`    stats socket ${dir}/plain/x.sock\n    stats socket ${dir}/adir\n    stats socket ${long}`));
  assert.equal(r.config, undefined);
  assert.match(messages[0] ?? '', /:2: error: stats socket: cannot bind UNIX socket \(Not a directory\)/);
  assert.match(messages[1] ?? '', /:3: error: stats socket: cannot bind UNIX socket \(Is a directory\)/);
  assert.match(messages[2] ?? '', /:4: error: stats socket: cannot bind UNIX socket \(path too long: \d+ bytes, at most 107\)/);
});

test('stats maxconn, stats timeout and a socket line maxconn/backlog are kept in the model', async () => {
  const { r, messages } = await load('limits.cfg', cfg(`    stats socket ${dir}/a.sock level user maxconn 3 backlog 0\n    stats socket ${dir}/b.sock\n    stats maxconn 5\n    stats timeout 2s`));
  assert.deepEqual(messages, []);
  assert.equal(r.config?.global.statsMaxconn, 5);
  assert.equal(r.config?.global.statsTimeout, 2000);
  const [a, b] = r.config?.global.statsSockets ?? [];
  assert.equal(a?.maxconn, 3);
  assert.equal(a?.backlog, 0);
  assert.equal(b?.maxconn, undefined);
  const bad = await load('bad-limits.cfg', cfg(`    stats maxconn 0\n    stats socket ${dir}/c.sock maxconn x`));
  assert.equal(bad.r.config, undefined);
  assert.match(bad.messages.join('\n'), /:2: error: 'stats maxconn' value 0 is out of range/);
  assert.match(bad.messages.join('\n'), /:3: error: 'stats socket … maxconn' expects an integer/);
});

test('crt /dev is refused at once: a crt directory is read for its regular files only', { timeout: 10_000 }, async () => {
  const { r, messages } = await load('dev.cfg', cfg('', 'bind 127.0.0.1:8443 ssl crt /dev'));
  assert.equal(r.config, undefined);
  assert.match(messages.join('\n'), /error: certificate directory '\/dev' contains no certificate/);
});

test('a crt directory with a FIFO and a subdirectory loads the regular PEM beside them', { timeout: 10_000 }, async () => {
  const certs = join(dir, 'certs');
  await mkdir(join(certs, 'sub'), { recursive: true });
  await writeFile(join(certs, 'site.pem'), pem);
  assert.equal(spawnSync('mkfifo', [join(certs, 'pipe.pem')]).status, 0);
  assert.equal(spawnSync('mkfifo', [join(certs, 'site.pem.key')]).status, 0);
  const { r, messages } = await load('fifo.cfg', cfg('', `bind 127.0.0.1:8443 ssl crt ${certs}`));
  assert.deepEqual(messages, []);
  const tls = r.config?.frontends[0]?.binds[0]?.tls;
  assert.deepEqual(tls?.certificates.map((c) => c.path), [join(certs, 'site.pem')]);
});

test('crt naming a device rather than a file is an error, not a read that never ends', { timeout: 10_000 }, async () => {
  const { r, messages } = await load('zero.cfg', cfg('', 'bind 127.0.0.1:8443 ssl crt /dev/zero'));
  assert.equal(r.config, undefined);
  assert.match(messages.join('\n'), /error: cannot read certificate '\/dev\/zero': not a regular file/);
});
