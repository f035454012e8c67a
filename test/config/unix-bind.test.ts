// `bind unix@PATH` / `bind /PATH` and the global `unix-bind`, as HAProxy 2.6 parses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clean, compile, errors, expectOne, HTTP_DEFAULTS } from './compile.ts';
import { parseBindAddresses } from '../../src/config/keywords/bind.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Bind, UnixBind } from '../../src/config/model.ts';

const BACKEND = `backend app
    server s1 127.0.0.1:9000
`;

function frontend(lines: string, global = ''): string {
  return `${global === '' ? '' : `global\n${global}\n`}${HTTP_DEFAULTS}frontend web
${lines}
    default_backend app
${BACKEND}`;
}

function binds(text: string): Bind[] {
  const r = compile(text);
  clean(r);
  return r.config!.frontends[0]!.binds;
}

const unixOf = (b: Bind | undefined): UnixBind['unix'] => {
  assert.ok(b?.unix !== undefined, `expected a unix bind, got ${JSON.stringify(b)}`);
  return b.unix;
};

test('unix@PATH, uxst@PATH and a bare /PATH are one unix socket key each, normalised', () => {
  assert.deepEqual(parseBindAddresses('unix@/run/h.sock'), { ok: true, value: [{ host: '', port: 0, key: 'unix@/run/h.sock', unix: { path: '/run/h.sock' } }] });
  assert.deepEqual(parseBindAddresses('/run//h.sock'), { ok: true, value: [{ host: '', port: 0, key: 'unix@/run/h.sock', unix: { path: '/run/h.sock' } }] });
  assert.deepEqual(parseBindAddresses('uxst@rel.sock')?.ok && parseBindAddresses('uxst@rel.sock'), { ok: true, value: [{ host: '', port: 0, key: 'unix@rel.sock', unix: { path: 'rel.sock' } }] });
  const list = parseBindAddresses('unix@/a.sock,127.0.0.1:80');
  assert.ok(list.ok);
  assert.deepEqual(list.value.map((a) => a.key), ['unix@/a.sock', '127.0.0.1:80']);
});

test('a unix bind carries its mode and owner; the model has no host or port for it', () => {
  const [b] = binds(frontend('    bind unix@/run/h.sock mode 600 uid 1234 gid 5678 maxconn 20'));
  assert.equal(b?.host, undefined);
  assert.deepEqual(b, { key: 'unix@/run/h.sock', unix: { path: '/run/h.sock', mode: 0o600, uid: 1234, gid: 5678, id: 1 }, maxconn: 20, loc: b!.loc });
});

test('user and group names are looked up when the line is read (root exists everywhere)', () => {
  const u = unixOf(binds(frontend('    bind /run/h.sock user root group root'))[0]);
  assert.equal(u.uid, 0);
  assert.equal(u.gid, 0);
});

test('bad mode, unknown user or group, non-numeric uid: errors at the bind line in HAProxy words', () => {
  expectOne(compile(frontend('    bind unix@/run/h.sock mode 999')), 'error', 7, /'mode' : missing or invalid mode '999' \(octal integer expected\)/);
  expectOne(compile(frontend('    bind unix@/run/h.sock mode')), 'error', 7, /missing or invalid mode ''/);
  expectOne(compile(frontend('    bind unix@/run/h.sock user no-such-user-here')), 'error', 7, /'user' : unknown user name 'no-such-user-here'/);
  expectOne(compile(frontend('    bind unix@/run/h.sock group no-such-group-here')), 'error', 7, /'group' : unknown group name 'no-such-group-here'/);
  expectOne(compile(frontend('    bind unix@/run/h.sock uid abc')), 'error', 7, /'uid' expects a numeric user id, got 'abc'/);
});

test('abns@, fd@, sockpair@, datagram and QUIC addresses are refused, saying what is missing', () => {
  expectOne(compile(frontend('    bind abns@foo')), 'error', 7, /abns@.*not supported by handoff; use unix@PATH/);
  expectOne(compile(frontend('    bind fd@3')), 'error', 7, /inherited file descriptors \(fd@\) are not supported/);
  expectOne(compile(frontend('    bind sockpair@4')), 'error', 7, /sockpair@.*not supported/);
  expectOne(compile(frontend('    bind uxdg@/run/x.sock')), 'error', 7, /dgram-type address not acceptable/);
  expectOne(compile(frontend('    bind udp@:53')), 'error', 7, /dgram-type address not acceptable/);
  expectOne(compile(frontend('    bind quic4@:443')), 'error', 7, /QUIC/);
  expectOne(compile(frontend('    bind unix@')), 'error', 7, /a unix socket needs a path/);
});

test('a path longer than HAProxy allows (97 bytes) is refused', () => {
  const long = `/run/${'x'.repeat(93)}`;
  expectOne(compile(frontend(`    bind unix@${long}`)), 'error', 7, /socket path 'unix@\/run\/x+' too long \(max 97\)/);
  assert.deepEqual(errors(compile(frontend(`    bind unix@${long.slice(0, 97)}`))), []);
});

test('the same path twice, in any spelling, is an error naming the first', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend a
    bind unix@/run/h.sock
    default_backend app
frontend b
    bind /run//h.sock
    default_backend app
${BACKEND}`);
  expectOne(r, 'error', 10, /address unix@\/run\/h\.sock is already bound by frontend 'a' at t\.cfg:7/);
});

test('a bind on the path of a stats socket is an error', () => {
  expectOne(compile(frontend('    bind unix@/run/admin.sock', '    stats socket /run/admin.sock')), 'error', 9, /also the path of the 'stats socket' at t\.cfg:2/);
});

test('listener ids: numbered in order, `id N` where given, the others take the first free id at or after their place (HAProxy)', () => {
  const got = binds(frontend(`    bind 127.0.0.1:8001
    bind unix@/run/a.sock
    bind unix@/run/c.sock id 2
    bind unix@/run/b.sock id 7
    bind unix@/run/d.sock`));
  // The ids HAProxy 2.6 logs as %cp for these sockets' clients: a=3, c=2, b=7, d=6.
  assert.deepEqual(got.slice(1).map((b) => unixOf(b).id), [3, 2, 7, 6]);
  assert.deepEqual(binds(frontend('    bind unix@/run/a.sock\n    bind 127.0.0.1:1,127.0.0.1:2\n    bind unix@/run/b.sock')).map((b) => b.unix?.id), [1, undefined, undefined, 4]);
});

test("'id' on several sockets, a duplicate id and id 0 are errors", () => {
  expectOne(compile(frontend('    bind unix@/a.sock,unix@/b.sock id 3')), 'error', 7, /'id' can only be used with a single socket/);
  expectOne(compile(frontend('    bind unix@/a.sock id 3\n    bind unix@/b.sock id 3')), 'error', 8, /custom id 3 already used at t\.cfg:7 \('bind unix@\/a\.sock'\)/);
  expectOne(compile(frontend('    bind unix@/a.sock id 0')), 'error', 7, /custom id has to be > 0/);
});

test('unix-bind: prefix joined as HAProxy does (concatenated), its mode/owner the default under the bind line', () => {
  const got = binds(frontend('    bind unix@a.sock\n    bind /b.sock mode 600 uid 7\n    bind 127.0.0.1:80', '    unix-bind prefix /run/h/ mode 640 gid 9'));
  assert.deepEqual(got.map((b) => b.unix), [
    { path: '/run/h/a.sock', mode: 0o640, gid: 9, id: 1 },
    { path: '/run/h/b.sock', mode: 0o600, uid: 7, gid: 9, id: 2 },
    undefined,
  ]);
  assert.deepEqual(got.map((b) => b.key), ['unix@/run/h/a.sock', 'unix@/run/h/b.sock', '127.0.0.1:80']);
});

test('unix-bind errors: unknown option, bad mode, nothing at all', () => {
  expectOne(compile(frontend('    bind unix@/a.sock', '    unix-bind foo 1')), 'error', 2, /'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options/);
  expectOne(compile(frontend('    bind unix@/a.sock', '    unix-bind mode 8')), 'error', 2, /'unix-bind' 'mode' : missing or invalid mode '8'/);
  expectOne(compile(frontend('    bind unix@/a.sock', '    unix-bind')), 'error', 2, /expects at least one of/);
});

test('mode/uid/gid on a TCP bind are accepted without effect, as in HAProxy', () => {
  const [b] = binds(frontend('    bind 127.0.0.1:80 mode 600 user root'));
  assert.deepEqual(b, { key: '127.0.0.1:80', host: '127.0.0.1', port: 80, loc: b!.loc });
});

test('ssl on a unix bind is allowed (HAProxy terminates TLS on any stream socket)', () => {
  const r = compile(frontend('    bind unix@/run/h.sock ssl crt /etc/ssl/x.pem'));
  assert.deepEqual(errors(r), []);
});

test('a unix bind in a missing directory is a load error at the bind line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ux-'));
  const file = path.join(dir, 'h.cfg');
  fs.writeFileSync(file, frontend(`    bind unix@${dir}/no/such/dir/h.sock\n    bind unix@${dir}/ok.sock`));
  const r = await loadConfig(file);
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 1, JSON.stringify(r.diagnostics));
  assert.equal(errs[0]!.line, 7);
  assert.match(errs[0]!.message, /frontend 'web': cannot bind UNIX socket \(No such file or directory\) \[.*\/no\/such\/dir\/h\.sock\]/);
  fs.rmSync(dir, { recursive: true });
});
