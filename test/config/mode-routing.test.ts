// Which backend modes a frontend may route to, as HAProxy 2.6 checks them: a tcp frontend may use
// an http backend (the connection is then served as HTTP), an http frontend may not use a tcp one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne, lines, warnings } from './compile.ts';
import { TCPLOG_FORMAT } from '../../src/config/logformat.ts';

const TIMEOUTS = '    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n';
const BACKENDS = `backend web\n    mode http\n    server s1 127.0.0.1:9000\nbackend raw\n    mode tcp\n    server s1 127.0.0.1:9001\n`;

test('a tcp frontend may route to an http backend, by default_backend or use_backend', () => {
  const r = compile(`defaults\n${TIMEOUTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    bind 127.0.0.1:8001\n    use_backend web if { dst_port 8000 }\n    default_backend raw\nfrontend ft2\n    mode tcp\n    bind 127.0.0.1:8002\n    default_backend web\n${BACKENDS}`);
  assert.deepEqual(lines(r), []);
  assert.deepEqual(r.config.frontends.map((f) => [f.mode, f.defaultBackend]), [['tcp', 'raw'], ['tcp', 'web']]);
});

test("an http frontend routed to a tcp backend is an error in HAProxy's words, at the routing line", () => {
  // Lines: 1 defaults, 2-4 timeouts, 5 frontend, 6 mode, 7 bind, 8 default_backend, 9 backend web …, 12 backend raw.
  const byDefault = compile(`defaults\n${TIMEOUTS}frontend hf\n    mode http\n    bind 127.0.0.1:8000\n    default_backend raw\n${BACKENDS}`);
  expectOne(byDefault, 'error', 8, /^http frontend 'hf' \(t\.cfg:5\) tries to use incompatible tcp backend 'raw' \(t\.cfg:12\) as its default backend \(see 'mode'\)\.$/);
  const byRule = compile(`defaults\n${TIMEOUTS}listen li\n    mode http\n    bind 127.0.0.1:8000\n    use_backend raw if { path /db }\n    server s1 127.0.0.1:9002\n${BACKENDS}`);
  expectOne(byRule, 'error', 8, /^http proxy 'li' \(t\.cfg:5\) tries to use incompatible tcp backend 'raw' \(t\.cfg:13\) in a 'use_backend' rule \(see 'mode'\)\.$/);
});

test("a tcp frontend that may route to an http backend keeps its HTTP rules and monitor-uri, as HAProxy runs them on upgraded connections", () => {
  const r = compile(`defaults\n${TIMEOUTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    monitor-uri /alive\n    http-request set-header X-Fe yes\n    http-response set-header X-Out yes\n    default_backend web\n${BACKENDS}`);
  assert.deepEqual(errors(r), []);
  const f = r.config.frontends[0];
  assert.equal(f?.http.httpRequest.length, 1);
  assert.equal(f?.http.httpResponse.length, 1);
  assert.equal(f?.monitor?.uri, '/alive');
  assert.deepEqual(warnings(r), [
    "t.cfg:9: warning: HTTP rule of tcp frontend 'ft': it applies only to connections routed to an http backend (served as HTTP, as HAProxy does)",
    "t.cfg:10: warning: HTTP rule of tcp frontend 'ft': it applies only to connections routed to an http backend (served as HTTP, as HAProxy does)",
    "t.cfg:5: warning: 'monitor-uri' of tcp frontend 'ft' applies only to connections routed to an http backend (served as HTTP, as HAProxy does)",
  ]);
  // A dynamic name may name an http backend: the rules are kept too.
  const dynamic = compile(`defaults\n${TIMEOUTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    http-request set-header X-Fe yes\n    use_backend %[dst_port,map_int(/dev/null,raw)]\n    default_backend raw\n${BACKENDS}`);
  assert.equal(dynamic.config.frontends[0]?.http.httpRequest.length, 1);
});

test('a tcp frontend routed only to tcp backends drops its HTTP rules and monitor-uri with a warning', () => {
  const r = compile(`defaults\n${TIMEOUTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    monitor-uri /alive\n    http-request set-header X-Fe yes\n    default_backend raw\n${BACKENDS}`);
  assert.deepEqual(errors(r), []);
  assert.equal(r.config.frontends[0]?.http.httpRequest.length, 0);
  assert.equal(r.config.frontends[0]?.monitor, undefined);
  assert.deepEqual(warnings(r), ["t.cfg:9: warning: HTTP rule ignored: frontend 'ft' is in tcp mode", "t.cfg:5: warning: 'monitor-uri' ignored: frontend 'ft' is in tcp mode"]);
});

test("'option httplog' in a tcp frontend falls back to tcplog with HAProxy's warning (at the option's line, also when inherited)", () => {
  const r = compile(`defaults\n${TIMEOUTS}    log 127.0.0.1:514 local0\n    option httplog\nfrontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    default_backend web\nfrontend hf\n    mode http\n    bind 127.0.0.1:8001\n    default_backend web\n${BACKENDS}`);
  expectOne(r, 'warning', 6, /^'option httplog' not usable with frontend 'ft' \(needs 'mode http'\)\. Falling back to 'option tcplog'\.$/);
  assert.equal(r.config.frontends[0]?.logFormat, TCPLOG_FORMAT);
  assert.notEqual(r.config.frontends[1]?.logFormat, TCPLOG_FORMAT);
});

test('a tcp frontend has no stats page, whatever its backends', () => {
  const r = compile(`defaults\n${TIMEOUTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:8000\n    stats enable\n    default_backend web\n${BACKENDS}`);
  expectOne(r, 'warning', 8, /^stats page ignored: frontend 'ft' is in tcp mode$/);
  assert.equal(r.config.frontends[0]?.stats, undefined);
});
