// The PROXY protocol's configuration: `bind … accept-proxy`, `tcp-request connection expect-proxy
// layer4 [if|unless COND]`, `server|default-server … send-proxy|send-proxy-v2`, `no-send-proxy*`,
// `proxy-v2-options authority`, `check-send-proxy`, and the clear errors for what is not implemented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne, HTTP_DEFAULTS } from './compile.ts';

const BACKEND = 'backend app\n    server s1 127.0.0.1:9000\n';

test('accept-proxy marks the bind; expect-proxy layer4 rules keep their condition', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:80 accept-proxy\n    bind 127.0.0.1:81\n    tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }\n    tcp-request connection expect-proxy layer4\n    default_backend app\n${BACKEND}`);
  assert.deepEqual(errors(r), []);
  const fe = r.config!.frontends[0]!;
  assert.deepEqual(fe.binds.map((b) => [b.acceptProxy, b.luid]), [[true, 1], [undefined, 2]]);
  assert.equal(fe.expectProxy?.length, 2);
  assert.ok(fe.expectProxy?.[0]?.cond !== undefined);
  assert.equal(fe.expectProxy?.[1]?.cond, undefined);
});

test('expect-proxy needs layer4; accept-netscaler-cip stays an error', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind :80\n    tcp-request connection expect-proxy\n    default_backend app\n${BACKEND}`), 'error', 8, /expects 'layer4'/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind :80 accept-netscaler-cip 1234\n    default_backend app\n${BACKEND}`), 'error', 7, /NetScaler/);
});

test('send-proxy, send-proxy-v2 (v2 wins, as HAProxy), default-server, no-send-proxy*', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app
    default-server send-proxy-v2 proxy-v2-options authority
    server a 127.0.0.1:1
    server b 127.0.0.1:2 no-send-proxy-v2
    server c 127.0.0.1:3 no-send-proxy-v2 send-proxy
    server d 127.0.0.1:4 send-proxy
`);
  assert.deepEqual(errors(r), []);
  const servers = r.config!.backends[0]!.servers;
  assert.deepEqual(servers.map((s) => [s.name, s.sendProxy, s.proxyV2Authority]), [['a', 'v2', true], ['b', undefined, true], ['c', 'v1', true], ['d', 'v2', true]]);
});

test('proxy-v2-options other than authority and send-proxy-v2-ssl are refused; check-send-proxy is read', () => {
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s 127.0.0.1:1 send-proxy-v2 proxy-v2-options ssl\n`), 'error', 7, /'proxy-v2-options ssl' is not supported by handoff/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s 127.0.0.1:1 send-proxy-v2 proxy-v2-options bogus\n`), 'error', 7, /'bogus' : proxy v2 option not implemented/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s 127.0.0.1:1 send-proxy-v2-ssl\n`), 'error', 7, /send-proxy-v2-ssl/);
  const r = compile(`${HTTP_DEFAULTS}backend app\n    default-server check-send-proxy\n    server s 127.0.0.1:1 check\n    server t 127.0.0.1:1 check no-check-send-proxy\n`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config!.backends[0]!.servers.map((s) => s.checkSendProxy), [true, undefined]);
});
