// TLS to servers and client certificates in the configuration: what the server and bind options
// record, HAProxy's defaults (verify required without a CA is an error; check-ssl follows ssl
// unless port/addr), crt-list lines, and the files load.ts reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { parseCrtList } from '../../src/config/crt-list.ts';
import { parseTemplate } from '../../src/config/template.ts';
import { createPki } from '../helpers/pki.ts';
import { compile, errors, expectOne, HTTP_DEFAULTS } from './compile.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-tls-options-'));
const pki = createPki(dir, 'unit');
const site = pki.issue('site', { dns: ['site.test'] });

async function load(body: string, global = ''): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.cfg`);
  fs.writeFileSync(file, `global\n${global}${HTTP_DEFAULTS}frontend f\n    bind 127.0.0.1:1\n    default_backend b\n${body}`);
  return loadConfig(file);
}

const msgs = (r: Awaited<ReturnType<typeof loadConfig>>): string[] => r.diagnostics.map(formatDiagnostic);

test('server ssl options are recorded; default-server ssl is inherited and no-ssl removes it', () => {
  const r = compile(`${HTTP_DEFAULTS}backend b
    default-server ssl verify required ca-file ca.pem
    server a 127.0.0.1:1 sni req.hdr(host) verifyhost app.test alpn http/1.1 crt me.pem ssl-min-ver TLSv1.3 no-ssl-reuse
    server c 127.0.0.1:2 no-ssl
`);
  assert.deepEqual(errors(r), []);
  const [a, c] = r.config!.backends[0]!.servers;
  assert.equal(a!.ssl, true);
  assert.equal(a!.tls!.verify, 'required');
  assert.equal(a!.tls!.sni!.fetch, 'req.hdr');
  assert.deepEqual([a!.tls!.verifyHost, a!.tls!.alpn, a!.tls!.minVersion, a!.tls!.noReuse, a!.tls!.crt!.path], ['app.test', ['http/1.1'], 'TLSv1.3', true, 'me.pem']);
  assert.equal(c!.ssl, undefined);
  assert.equal(c!.tls, undefined, 'no ssl and no check-ssl: no TLS settings');
});

test('bad server TLS options are errors at their line', () => {
  const at = (opts: string) => compile(`${HTTP_DEFAULTS}backend b\n    server a 127.0.0.1:1 ssl ${opts}\n`);
  expectOne(at('verify optional'), 'error', 7, /'verify' expects 'none' or 'required'/);
  expectOne(at('sni'), 'error', 7, /'sni' expects a sample expression/);
  expectOne(at('sni nosuchfetch'), 'error', 7, /'sni nosuchfetch'/);
  expectOne(at('ssl-max-ver SSLv2'), 'error', 7, /'ssl-max-ver' expects TLSv1.0/);
});

test('verify required (the default) without a ca-file is HAProxy\'s error; ssl-server-verify none lifts it', async () => {
  const r = await load('backend b\n    server s1 127.0.0.1:1 ssl\n');
  assert.match(msgs(r).join('\n'), /'server b\/s1' : verify is enabled by default but no CA file specified/);
  assert.equal(r.config, undefined);
  const none = await load('backend b\n    server s1 127.0.0.1:1 ssl\n', '    ssl-server-verify none\n');
  assert.equal(none.config?.backends[0]?.servers[0]?.tls?.verify, 'none');
  const missing = await load('backend b\n    server s1 127.0.0.1:1 ssl ca-file nonexist.pem\n');
  assert.match(msgs(missing).join('\n'), /Couldn't open the ca-file '.*nonexist.pem' \(No such file or directory\)/);
});

test('check-ssl follows ssl unless port or addr sends checks elsewhere; the CA file is read', async () => {
  const r = await load(`backend b
    server own 127.0.0.1:1 ssl ca-file ${pki.caFile} check
    server other 127.0.0.1:2 ssl ca-file ${pki.caFile} check port 81
    server forced 127.0.0.1:3 check-ssl verify none check port 81
`);
  assert.deepEqual(msgs(r), []);
  const [own, other, forced] = r.config!.backends[0]!.servers;
  assert.deepEqual([own!.checkSsl, other!.checkSsl, forced!.checkSsl, forced!.ssl], [true, undefined, true, undefined]);
  assert.match(own!.tls!.ca!.pem, /BEGIN CERTIFICATE/);
});

test('bind verify required needs a ca-file; verify optional with crt-ignore-err is recorded', async () => {
  const f = (opts: string) => `frontend m\n    bind 127.0.0.1:2 ssl crt ${site} ${opts}\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`;
  const bad = await load(f('verify required'));
  assert.match(msgs(bad).join('\n'), /verify is enabled but no CA file specified/);
  const ok = await load(f(`verify optional ca-file ${pki.caFile} crt-ignore-err all ca-ignore-err 20,21`));
  assert.deepEqual(msgs(ok), []);
  const v = ok.config!.frontends[1]!.binds[0]!.tls!.clientVerify!;
  assert.deepEqual([v.mode, v.crtIgnore, v.caIgnore], ['optional', 'all', [20, 21]]);
  expectOne(compile(`${HTTP_DEFAULTS}frontend m\n    bind :1 ssl crt x.pem verify sometimes\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`), 'error', 7, /'verify' expects 'none', 'optional' or 'required'/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend m\n    bind :1 ssl crt x.pem crt-ignore-err some\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`), 'error', 7, /'crt-ignore-err' expects 'all' or a comma-separated list/);
});

test('crt-list lines: comments, options, SNI filters; per-certificate verify is refused', () => {
  const r = parseCrtList('# c\n\na.pem [alpn h2,http/1.1] API.test *.apps.test !secret.apps.test\n/abs/b.pem !*\n', 'l.txt', '/etc/h', 'certs');
  assert.ok(r.ok);
  assert.deepEqual(r.entries, [
    { path: '/etc/h/certs/a.pem', sniFilters: ['api.test', '*.apps.test', '!secret.apps.test'], line: 3 },
    { path: '/abs/b.pem', sniFilters: ['!*'], line: 4 },
  ]);
  const refused = parseCrtList('a.pem [verify required ca-file x.pem] a.test\n', 'l.txt', '/etc/h', undefined);
  assert.ok(!refused.ok);
  assert.match(refused.message, /per-certificate 'verify' in a crt-list|per-certificate 'verify' is not supported/);
});

test('alpn h2 on a bind warns that HTTP/2 is not implemented; %{+Q}[sample] in a header is the bare sample', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend m\n    bind :1 ssl crt x.pem alpn h2,http/1.1\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`);
  expectOne(r, 'warning', 7, /HTTP\/2 is not implemented by handoff yet; this bind negotiates http\/1.1 only/);
  const t = parseTemplate('%{+Q}[ssl_c_s_dn]');
  assert.ok(t.ok);
  assert.equal(t.value.parts.length, 1);
});
