import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, compile, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';

test('retry-on: HAProxy default conn-failure; all-retryable-errors expands; a new line replaces the previous one', () => {
  const r = compile(`${HTTP_DEFAULTS}    retry-on all-retryable-errors
backend inherits
    server s1 127.0.0.1:9000
backend own
    retry-on empty-response 404 503
    retry-on 503 response-timeout 408 425
    server s1 127.0.0.1:9001
backend none
    retry-on none
    server s1 127.0.0.1:9002
`);
  clean(r);
  const [inherits, own, none] = r.config.backends;
  assert.deepEqual(inherits!.retryOn, {
    conditions: ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected'],
    statuses: [500, 502, 503, 504],
  });
  assert.deepEqual(own!.retryOn, { conditions: ['response-timeout'], statuses: [408, 425, 503] });
  assert.deepEqual(none!.retryOn, { conditions: [], statuses: [] });
  const plain = compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(plain.config.backends[0]!.retryOn, { conditions: ['conn-failure'], statuses: [] });
  assert.deepEqual([plain.config.backends[0]!.retries, plain.config.backends[0]!.redispatch, plain.config.backends[0]!.redispatchInterval], [3, false, -1]);
});

test('retry-on: unknown events, unsupported status codes, none with others and no argument are located errors', () => {
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    retry-on conn-failure bogus\n`), 'error', 7, /'retry-on': unknown event 'bogus'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    retry-on 418\n`), 'error', 7, /unknown event '418'.*a status among 401 403 404 408 425 500 501 502 503 504/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    retry-on none 503\n`), 'error', 7, /'retry-on none' must be used alone/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    retry-on\n`), 'error', 7, /'retry-on' expects at least one event/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind :80\n    retry-on 503\n    default_backend app\nbackend app\n`), 'warning', 8, /'retry-on' has no effect in a frontend section/);
});

test('option redispatch [interval]: -1 (the last retry) by default; no option redispatch turns it off', () => {
  const r = compile(`${HTTP_DEFAULTS}    option redispatch
backend last
backend every
    option redispatch 1
backend third
    option redispatch -3
backend off
    no option redispatch
`);
  clean(r);
  assert.deepEqual(r.config.backends.map((b) => [b.name, b.redispatch, b.redispatchInterval]), [
    ['last', true, -1], ['every', true, 1], ['third', true, -3], ['off', false, -1],
  ]);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    option redispatch often\n`), 'error', 7, /'option redispatch' accepts an optional retry interval only/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    option redispatch 1 2\n`), 'error', 7, /'option redispatch' accepts an optional retry interval only/);
});

test('observe, error-limit, on-error, fastinter, downinter: parsed on server and default-server, HAProxy defaults', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app
    default-server observe layer7 error-limit 5
    server a 127.0.0.1:9000 check
    server b 127.0.0.1:9001 check observe layer4 error-limit 2 on-error mark-down fastinter 250 downinter 5s
    server c 127.0.0.1:9002 check observe none on-error sudden-death
backend plain
    server d 127.0.0.1:9003 check
`);
  clean(r);
  const [a, b, c] = r.config.backends[0]!.servers;
  const d = r.config.backends[1]!.servers[0]!;
  assert.deepEqual([a!.observe, a!.errorLimit, a!.onError, a!.fastinter], ['layer7', 5, 'fail-check', undefined]);
  assert.deepEqual([b!.observe, b!.errorLimit, b!.onError, b!.fastinter, b!.downinter], ['layer4', 2, 'mark-down', 250, 5000]);
  assert.deepEqual([c!.observe, c!.onError], ['none', 'sudden-death']);
  assert.deepEqual([d.observe, d.errorLimit, d.onError], ['none', 10, 'fail-check']);
});

test('bad observe, error-limit and on-error values are errors at their line', () => {
  const at = (opts: string) => compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000 check ${opts}\n`);
  expectOne(at('observe layer9'), 'error', 7, /'observe' expects none, layer4 or layer7, got 'layer9'/);
  expectOne(at('observe'), 'error', 7, /'observe' expects none, layer4 or layer7, got ''/);
  expectOne(at('error-limit 0'), 'error', 7, /'error-limit' value 0 is out of range 1\.\.1000000/);
  expectOne(at('error-limit many'), 'error', 7, /'error-limit' expects an integer, got 'many'/);
  expectOne(at('on-error reboot'), 'error', 7, /'on-error' expects fastinter, fail-check, sudden-death or mark-down, got 'reboot'/);
  expectOne(at('fastinter soon'), 'error', 7, /'fastinter': invalid time 'soon'/);
  const tcp = compile(`defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\nbackend db\n    server s1 127.0.0.1:5432 check observe layer7\n`);
  expectOne(tcp, 'error', 7, /'observe layer7' needs 'mode http'/);
});

test('observe without check is accepted with a warning: it has no effect (as in HAProxy)', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000 observe layer4\n`);
  expectOne(r, 'warning', 7, /server 's1': 'observe layer4' has no effect without 'check'/);
  assert.deepEqual(warnings(compile(`${HTTP_DEFAULTS}backend app\n    default-server observe layer4\n    server s1 127.0.0.1:9000 check\n`)), []);
});
