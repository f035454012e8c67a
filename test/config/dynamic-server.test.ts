// `add server`'s line is read by the configuration's own server reader, with HAProxy 2.6's rules
// for dynamic servers: no default-server inherited, dynamic-only options, dynamic algorithms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDynamicAlgorithm, parseDynamicServer } from '../../src/config/dynamic-server.ts';
import { makeBackend } from '../helpers/worker-harness.ts';

test('add server reads the options of a server line into the same model a configuration gives', () => {
  const be = makeBackend('app', [9000]);
  const r = parseDynamicServer(be, 's2', ['127.0.0.1:9001', 'check', 'inter', '500ms', 'rise', '1', 'fall', '4', 'weight', '7', 'maxconn', '20', 'backup']);
  assert.ok(r.ok, r.ok ? '' : r.error);
  const s = r.server;
  assert.equal(s.id, 'app/s2');
  assert.deepEqual([s.host, s.port, s.check, s.inter, s.rise, s.fall, s.weight, s.maxconn, s.backup], ['127.0.0.1', 9001, true, 500, 1, 4, 7, 20, true]);
});

test("add server inherits nothing from default-server: HAProxy's built-in defaults", () => {
  const r = parseDynamicServer(makeBackend('app', [9000]), 's2', ['127.0.0.1:9001']);
  assert.ok(r.ok);
  assert.deepEqual([r.server.check, r.server.inter, r.server.rise, r.server.fall, r.server.weight], [false, 2000, 2, 3, 1]);
});

test("add server refuses what HAProxy refuses on a dynamic server, and what the reader refuses, in their words", () => {
  const be = makeBackend('app', [9000]);
  const err = (words: string[]): string => {
    const r = parseDynamicServer(be, 's2', words);
    return r.ok ? 'accepted' : r.error;
  };
  assert.equal(err(['127.0.0.1:1', 'cookie', 'x']), "'cookie' option is not accepted for dynamic server");
  assert.equal(err(['127.0.0.1:1', 'init-addr', 'none']), "'init-addr' option is not accepted for dynamic server");
  assert.equal(err([]), "'server' expects <name> and <addr>[:<port>] as arguments.");
  assert.match(err(['127.0.0.1:1', 'weight', '300']), /'weight'.*300/);
  assert.match(err(['127.0.0.1:1', 'ssl', 'verify', 'none']), /not supported by handoff yet: TLS to servers/);
  assert.match(err(['127.0.0.1:1', 'bogus']), /bogus/);
  assert.match(err(['127.0.0.1:xx']), /invalid port 'xx'/);
  assert.match(err(['127.0.0.1']), /needs a port in a 'mode http' backend/);
});

test('dynamic algorithms are those HAProxy marks dynamic', () => {
  assert.deepEqual((['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random'] as const).filter((a) => isDynamicAlgorithm(a)), ['roundrobin', 'leastconn', 'first', 'random']);
  // A hash is dynamic with hash-type consistent (HAProxy's chash), static map-based.
  for (const balance of ['source', 'uri', 'url_param', 'hdr'] as const) {
    assert.equal(isDynamicAlgorithm({ balance, hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } }), true, balance);
    assert.equal(isDynamicAlgorithm({ balance, hashType: { method: 'map-based', fn: 'sdbm', avalanche: false } }), false, balance);
  }
});
