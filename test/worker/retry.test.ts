import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUpstreamError, decideRetry, isReplayable, nextServer, redispatchNow, spendRetry, usableActive, type Retry, type RetryPolicy } from '../../src/worker/retry.ts';
import { createPicker } from '../../src/balance/algorithms.ts';
import { healthyStatus, observe, type ServerErrorsMessage } from '../../src/worker/passive-health.ts';
import { makeServer } from '../helpers/worker-harness.ts';
import type { RetryOn } from '../../src/config/model.ts';

const ALL: RetryOn = { conditions: ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected'], statuses: [500, 502, 503, 504] };
const DEFAULT_ON: RetryOn = { conditions: ['conn-failure'], statuses: [] };

function policy(extra: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    mode: 'http', retries: 3, retryOn: DEFAULT_ON, redispatch: false, redispatchInterval: -1, balance: 'roundrobin',
    timeouts: { connect: 5000, client: 1000, server: 1000 }, ...extra,
  };
}
const fresh = { retries: 0, staleRetried: false };
const ctx = { replayable: true, serverUsable: true, usableActive: 3 };

test('the default (conn-failure) retries a refused connect on the same server after the turn-around, and nothing else', () => {
  const d = decideRetry(policy(), { kind: 'conn-failure', reused: false }, fresh, ctx);
  assert.deepEqual(d, { retry: true, target: 'same', counted: true, delayMs: 1000 });
  const quick = policy({ timeouts: { connect: 200, client: 1, server: 1 } });
  assert.deepEqual(decideRetry(quick, { kind: 'conn-failure', reused: false }, fresh, ctx), { retry: true, target: 'same', counted: true, delayMs: 200 });
  assert.equal(decideRetry(policy(), { kind: 'empty-response', reused: false }, fresh, ctx).retry, false);
  assert.equal(decideRetry(policy(), { kind: 'status', status: 503, reused: false }, fresh, ctx).retry, false);
  assert.equal(decideRetry(policy(), { kind: 'conn-failure', reused: false }, { retries: 3, staleRetried: false }, ctx).retry, false, 'retries used up');
});

test('retry-on without conn-failure does not retry connection failures (HAProxy: the list replaces the default)', () => {
  const p = policy({ retryOn: { conditions: ['empty-response'], statuses: [503] } });
  assert.equal(decideRetry(p, { kind: 'conn-failure', reused: false }, fresh, ctx).retry, false);
  assert.equal(decideRetry(p, { kind: 'empty-response', reused: false }, fresh, ctx).retry, true);
  assert.equal(decideRetry(p, { kind: 'status', status: 503, reused: false }, fresh, ctx).retry, true);
  assert.equal(decideRetry(p, { kind: 'status', status: 502, reused: false }, fresh, ctx).retry, false);
  assert.equal(decideRetry(policy({ retryOn: { conditions: [], statuses: [] } }), { kind: 'conn-failure', reused: false }, fresh, ctx).retry, false, 'retry-on none');
});

test('beyond conn-failure only replayable requests (idempotent, no body) are retried', () => {
  const p = policy({ retryOn: ALL, redispatch: true });
  const post = { ...ctx, replayable: isReplayable('POST', false) };
  assert.equal(decideRetry(p, { kind: 'empty-response', reused: false }, fresh, post).retry, false);
  assert.equal(decideRetry(p, { kind: 'status', status: 503, reused: false }, fresh, post).retry, false);
  assert.equal(decideRetry(p, { kind: 'conn-failure', reused: false }, fresh, post).retry, true, 'nothing was sent: a POST may go again');
  assert.equal(isReplayable('GET', false), true);
  assert.equal(isReplayable('DELETE', false), true);
  assert.equal(isReplayable('PUT', true), false, 'a streamed body cannot be sent twice');
  assert.equal(isReplayable('PATCH', false), false);
});

test('a reused connection closed before any answer is sent again once, silently, on the same server', () => {
  const reused = { kind: 'empty-response' as const, reused: true };
  const d = decideRetry(policy({ retries: 0, retryOn: { conditions: [], statuses: [] } }), reused, fresh, ctx);
  assert.deepEqual(d, { retry: true, target: 'same', counted: false, delayMs: 0 });
  assert.equal(decideRetry(policy({ retries: 0 }), reused, { retries: 0, staleRetried: true }, ctx).retry, false, 'only once');
  assert.equal(decideRetry(policy(), reused, fresh, { ...ctx, replayable: false }).retry, false);
  // After the silent retry, a second failure follows retry-on (and redispatch).
  const p = policy({ retryOn: ALL, redispatch: true });
  assert.deepEqual(decideRetry(p, reused, { retries: 0, staleRetried: true }, ctx), { retry: true, target: 'other', counted: true, delayMs: 0 });
});

test('with option redispatch and a non-hash algorithm over several servers, every retry goes to another server', () => {
  const p = policy({ retryOn: ALL, redispatch: true });
  for (const kind of ['conn-failure', 'empty-response', 'junk-response', 'response-timeout'] as const) {
    assert.deepEqual(decideRetry(p, { kind, reused: false }, fresh, ctx), { retry: true, target: 'other', counted: true, delayMs: 0 }, kind);
  }
  assert.deepEqual(decideRetry(p, { kind: 'status', status: 503, reused: false }, fresh, ctx), { retry: true, target: 'other', counted: true, delayMs: 0 });
  // Without redispatch: the same server.
  const same = decideRetry(policy({ retryOn: ALL }), { kind: 'empty-response', reused: false }, fresh, ctx);
  assert.deepEqual(same, { retry: true, target: 'same', counted: true, delayMs: 0 }, 'no turn-around after the server answered');
});

test('redispatch interval: the last retry by default, every Nth with N > 0, the Nth before the last with N < 0', () => {
  const one = { ...ctx, usableActive: 1 };
  const hash = (interval: number, retries = 3) => policy({ redispatch: true, redispatchInterval: interval, balance: 'source', retries });
  const targets = (p: RetryPolicy) => [1, 2, 3].map((n) => redispatchNow(p, n, one));
  assert.deepEqual(targets(hash(-1)), [false, false, true]);
  assert.deepEqual(targets(hash(1)), [true, true, true]);
  assert.deepEqual(targets(hash(2)), [false, true, false]);
  assert.deepEqual(targets(hash(-2)), [false, true, false]);
  assert.deepEqual(targets(hash(0)), [false, false, false]);
  assert.deepEqual(targets(policy({ balance: 'source' })), [false, false, false], 'no option redispatch');
  // A server that is down meanwhile is left whatever the interval; hash algorithms keep it otherwise.
  assert.equal(redispatchNow(hash(0), 1, { ...ctx, serverUsable: false }), true);
  assert.equal(redispatchNow(hash(0), 1, ctx), false);
  assert.equal(redispatchNow(policy({ redispatch: true, redispatchInterval: 0, balance: 'leastconn' }), 1, ctx), true);
  assert.equal(redispatchNow(policy({ redispatch: true, redispatchInterval: 0, balance: 'leastconn' }), 1, one), false);
});

test('the turn-around wait applies to connection failures retried on the same server (or with one server)', () => {
  const p = policy({ redispatch: true, timeouts: { connect: 300, client: 1, server: 1 } });
  assert.deepEqual(decideRetry(p, { kind: 'conn-failure', reused: false }, fresh, ctx), { retry: true, target: 'other', counted: true, delayMs: 0 });
  assert.deepEqual(decideRetry(p, { kind: 'conn-failure', reused: false }, fresh, { ...ctx, usableActive: 1 }), { retry: true, target: 'same', counted: true, delayMs: 300 });
});

test('mode tcp ignores retry-on: connection failures only', () => {
  const p = policy({ mode: 'tcp', retryOn: { conditions: [], statuses: [] }, redispatch: true });
  assert.equal(decideRetry(p, { kind: 'conn-failure', reused: false }, fresh, ctx).retry, true);
  assert.equal(decideRetry(policy({ mode: 'tcp', retryOn: ALL }), { kind: 'empty-response', reused: false }, fresh, ctx).retry, false);
});

test('upstream errors are classified by what the connection had been through', () => {
  const info = (connected: boolean, received = false, reused = false) => ({ connected, received, reused });
  assert.deepEqual(classifyUpstreamError('ECONNREFUSED', info(false)), { kind: 'conn-failure', reused: false });
  assert.deepEqual(classifyUpstreamError('UPSTREAM_CONNECT_TIMEOUT', info(false)), { kind: 'conn-failure', reused: false });
  assert.deepEqual(classifyUpstreamError('ECONNRESET', info(true)), { kind: 'empty-response', reused: false });
  assert.deepEqual(classifyUpstreamError('UPSTREAM_SOCKET', info(true, false, true)), { kind: 'empty-response', reused: true });
  assert.deepEqual(classifyUpstreamError('UPSTREAM_SOCKET', info(true, true)), { kind: 'junk-response', reused: false });
  assert.deepEqual(classifyUpstreamError('UPSTREAM_PARSE', info(true, true)), { kind: 'junk-response', reused: false });
  assert.deepEqual(classifyUpstreamError('UPSTREAM_HEADERS_TIMEOUT', info(true)), { kind: 'response-timeout', reused: false });
  assert.equal(classifyUpstreamError('ERR_INVALID_CHAR', undefined), undefined, 'refused before dispatch: not a retry case');
  assert.deepEqual(usableActive([
    { name: 'a', weight: 1, usable: true, backup: false, active: 0 },
    { name: 'b', weight: 0, usable: true, backup: false, active: 0 },
    { name: 'c', weight: 1, usable: false, backup: false, active: 0 },
    { name: 'd', weight: 1, usable: true, backup: true, active: 0 },
  ]), 1);
});

test('passive health: layer4 counts connection errors, layer7 responses too; error-limit reports once and takes the server out', () => {
  const sent: ServerErrorsMessage[] = [];
  const srv = { server: makeServer('app', 's1', 1, { check: true, observe: 'layer4', errorLimit: 3 }), passive: { errors: 0 }, usable: true };
  observe(srv, 'l4-error', 'x', (m) => sent.push(m));
  observe(srv, 'l4-error', 'x', (m) => sent.push(m));
  observe(srv, 'l4-ok', 'ok', (m) => sent.push(m));
  observe(srv, 'l7-error', 'ignored in layer4', (m) => sent.push(m));
  assert.equal(srv.passive.errors, 0, 'a good connection resets the count; layer4 ignores responses');
  for (let i = 0; i < 3; i++) observe(srv, 'l4-error', `refused ${i}`, (m) => sent.push(m));
  assert.deepEqual(sent, [{ type: 'server-errors', id: 'app/s1', errors: 3, last: 'refused 2' }]);
  assert.equal(srv.usable, false);
  assert.equal(srv.passive.errors, 0);

  const l7 = { server: makeServer('app', 's2', 1, { check: true, observe: 'layer7', errorLimit: 2 }), passive: { errors: 0 }, usable: true };
  observe(l7, 'l7-error', '503', (m) => sent.push(m));
  observe(l7, 'l4-ok', 'connected', (m) => sent.push(m));
  observe(l7, 'l4-error', 'refused', (m) => sent.push(m));
  assert.equal(sent.length, 2, 'layer7 ignores good connections and counts connection errors');
  const unchecked = { server: makeServer('app', 's3', 1, { observe: 'layer4', errorLimit: 1 }), passive: { errors: 0 }, usable: true };
  observe(unchecked, 'l4-error', 'refused', (m) => sent.push(m));
  assert.equal(sent.length, 2, 'without check, observe does nothing (as in HAProxy)');
  assert.deepEqual([200, 404, 499, 500, 501, 502, 503, 505].map(healthyStatus), [true, true, true, false, true, false, false, true]);
});

test('nextServer: the same server, or another one outside those tried, starting over once all were; wretr and wredis counted', () => {
  const counted = () => ({ values: { wretr: 0, wredis: 0 } });
  const servers = ['a', 'b', 'c'].map((name) => ({ name, weight: 1, usable: true, backup: false, active: 0, maxconn: 0, counters: counted() }));
  const be = { pick: createPicker('roundrobin', servers), counters: counted() };
  const [a, b, c] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]];
  const same: Retry = { retry: true, target: 'same', counted: true, delayMs: 0 };
  const other: Retry = { ...same, target: 'other' };
  const tried = new Set<typeof a>();
  assert.equal(nextServer(be, '1.2.3.4', a, tried, same), a);
  assert.equal(tried.size, 0, 'a retry on the same server tries nothing new');
  const second = nextServer(be, '1.2.3.4', a, tried, other);
  assert.ok(second !== undefined && second !== a);
  const third = nextServer(be, '1.2.3.4', second, tried, other);
  assert.ok(third !== undefined && third !== a && third !== second);
  const fourth = nextServer(be, '1.2.3.4', third, tried, other);
  assert.ok(fourth !== undefined && tried.size === 0, 'all tried: the balancer starts over');
  assert.deepEqual([be.counters.values.wretr, be.counters.values.wredis], [4, fourth === third ? 2 : 3]);
  assert.equal(a.counters.values.wretr + b.counters.values.wretr + c.counters.values.wretr, 4);
  for (const s of servers) s.usable = false;
  assert.equal(nextServer(be, '1.2.3.4', a, new Set(), other), undefined, 'no server left');
  const state = { retries: 0, staleRetried: false };
  spendRetry(state, same);
  spendRetry(state, { ...same, counted: false });
  assert.deepEqual(state, { retries: 1, staleRetried: true });
});
