// `tcp-request inspect-delay` and `tcp-request content accept|reject [if|unless COND]` in the model;
// other content actions keep their warning or error; content fetches are allowed in tcp mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne } from './compile.ts';

const TCP_DEFAULTS = `defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`;
const BACKEND = 'backend app\n    server s1 127.0.0.1:9000\n';

test('inspect-delay and content rules, in order, with their conditions', () => {
  const r = compile(`${TCP_DEFAULTS}frontend tls\n    bind :443\n    tcp-request inspect-delay 5s\n    tcp-request content reject if { src 10.0.0.0/8 }\n    tcp-request content accept if { req_ssl_hello_type 1 }\n    tcp-request content accept\n    use_backend app if { req.ssl_sni -i a.example }\n    default_backend app\n${BACKEND}`);
  assert.deepEqual(errors(r), []);
  const fe = r.config?.frontends[0];
  assert.equal(fe?.inspectDelay, 5000);
  assert.deepEqual(fe?.tcpContent?.map((x) => [x.action, x.cond?.anyOf[0]?.[0]?.anyOf[0]?.sample.fetch, x.loc.line]), [['reject', 'src', 9], ['accept', 'req.ssl_hello_type', 10], ['accept', undefined, 11]]);
});

test('errors: a bad delay, words after the action; other actions as before', () => {
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request inspect-delay soon\n    default_backend app\n${BACKEND}`), 'error', 8, /'tcp-request inspect-delay' expects one time/);
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request content accept now\n    default_backend app\n${BACKEND}`), 'error', 8, /expects an optional 'if'\/'unless' condition, got 'now'/);
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request content silent-drop\n    default_backend app\n${BACKEND}`), 'error', 8, /refusing to run without the access control/);
  // An action handoff does not run is refused unless it could only change the logs.
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request content set-var(sess.x) int(1)\n    default_backend app\n${BACKEND}`), 'error', 8, /'tcp-request content set-var\(sess.x\)' is not supported by handoff; refusing to run without what it does/);
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request connection set-src hdr(x)\n    default_backend app\n${BACKEND}`), 'error', 8, /'tcp-request connection set-src' is not supported/);
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-request content capture req.len len 10\n    default_backend app\n${BACKEND}`), 'warning', 8, /'tcp-request content capture' is not implemented by handoff and only changes logs; ignored/);
  expectOne(compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    tcp-response content close\n    default_backend app\n${BACKEND}`), 'error', 8, /'tcp-response content close' is not supported/);
});

test("a backend's content rules and delay are its own; a listen's stay in its frontend half; connection rules warn in a backend", () => {
  const r = compile(`${TCP_DEFAULTS}frontend f\n    bind :1\n    default_backend app\nbackend app\n    tcp-request inspect-delay 2s\n    tcp-request content reject if { req.len gt 100 }\n    tcp-request connection reject\n    server s1 127.0.0.1:9000\nlisten both\n    bind :2\n    tcp-request content accept\n    server s2 127.0.0.1:9001\n`);
  assert.deepEqual(errors(r), []);
  const be = r.config?.backends.find((b) => b.name === 'app');
  assert.equal(be?.inspectDelay, 2000);
  assert.deepEqual(be?.tcpContent?.map((x) => x.action), ['reject']);
  assert.equal(r.config?.backends.find((b) => b.name === 'both')?.tcpContent, undefined);
  assert.deepEqual(r.config?.frontends.find((f) => f.name === 'both')?.tcpContent?.map((x) => x.action), ['accept']);
  expectOne(r, 'warning', 12, /'tcp-request connection' has no effect in a backend section/);
});
