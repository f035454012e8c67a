// `disabled` proxies, `default-path` and `slowstart`, as HAProxy 2.6 reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { compile, errors, expectOne, HTTP_DEFAULTS } from './compile.ts';

test('a disabled frontend is not started; a disabled backend keeps its name but no usable server; enabled undoes it', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend off\n    disabled\n    bind *:81\n    default_backend app\nfrontend on\n    disabled\n    enabled\n    bind *:82\n    default_backend app\nbackend app\n    disabled\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.frontends.map((f) => f.name), ['on']);
  assert.deepEqual(r.config.backends[0]?.servers.map((s) => s.disabled), [true]);
});

test('default-path sets what relative file names resolve against; a bad form is an error', () => {
  const base = compile(`${HTTP_DEFAULTS}frontend f\n    bind *:443 ssl crt site.pem\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.equal(base.config.frontends[0]?.binds[0]?.tls?.certificates[0]?.path, '/etc/handoff/site.pem');
  const origin = compile(`global\n    default-path origin /srv/tls\n${HTTP_DEFAULTS}frontend f\n    bind *:443 ssl crt site.pem\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.equal(origin.config.frontends[0]?.binds[0]?.tls?.certificates[0]?.path, '/srv/tls/site.pem');
  const parent = compile(`global\n    default-path parent\n${HTTP_DEFAULTS}frontend f\n    bind *:443 ssl crt site.pem\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.equal(parent.config.frontends[0]?.binds[0]?.tls?.certificates[0]?.path, `${dirname('/etc/handoff')}/site.pem`);
  const current = compile(`global\n    default-path current\n${HTTP_DEFAULTS}frontend f\n    bind *:443 ssl crt site.pem\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.equal(current.config.frontends[0]?.binds[0]?.tls?.certificates[0]?.path, `${process.cwd()}/site.pem`);
  expectOne(compile('global\n    default-path somewhere\n'), 'error', 2, /'default-path' expects current, config, parent or origin DIR/);
});

test('slowstart is a time on server and default-server lines', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app\n    default-server slowstart 30s\n    server s1 127.0.0.1:9000\n    server s2 127.0.0.1:9001 slowstart 2s\n`);
  assert.deepEqual(r.config.backends[0]?.servers.map((s) => s.slowstart), [30_000, 2_000]);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000 slowstart soon\n`), 'error', 7, /'slowstart': invalid time 'soon'/);
});

test('a server without a port (or with +N/-N) maps the client destination port in mode tcp; http mode and a check without port are errors', () => {
  const TCP = 'defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
  const r = compile(`${TCP}listen l\n    bind 127.0.0.1:2100-2102\n    server a 127.0.0.1\n    server b 127.0.0.1:+5\n    server c 127.0.0.1:-1 check port 21\n`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.backends[0]?.servers.map((s) => [s.port, s.portOffset]), [[0, 0], [0, 5], [0, -1]]);
  expectOne(compile(`${TCP}listen l\n    bind 127.0.0.1:2100\n    server a 127.0.0.1 check\n`), 'error', 8, /proxy 'l': server 'a' has neither service port nor check port\./);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1 10.0.0.1\n`), 'error', 7, /has no port: handoff maps the client's destination port onto a server in mode tcp only/);
});
