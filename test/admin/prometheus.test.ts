// The exporter's renderer on hand-made snapshots: HAProxy's query string, one-hot states, absent
// fields, HTTP-only families, histograms; and the worker's latency registry (deltas, buckets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsExtra, StatsRow, StatsSnapshot } from '../../src/ipc/messages.ts';
import { parseMetricsQuery, renderPrometheus } from '../../src/admin/prometheus.ts';
import { createLatencyRegistry, observeLatency } from '../../src/worker/latency-histogram.ts';
import { createMetricsStore } from '../../src/master/admin-metrics.ts';
import { parseExposition } from '../helpers/prometheus-text.ts';
import { compile, errors, HTTP_DEFAULTS } from '../config/compile.ts';
import { buildRuntime } from '../../src/worker/runtime.ts';
import { createCounterRegistry } from '../../src/worker/counters.ts';
import { createSharedLogResources } from '../../src/log/sinks.ts';

const row = (kind: StatsRow['kind'], pxname: string, svname: string, status: string, values: Record<string, number> = {}): StatsRow => ({ kind, pxname, svname, status, values });

const SNAP: StatsSnapshot = {
  generation: 3,
  workers: 2,
  uptimeMs: 61_500,
  droppedLogs: 4,
  rows: [
    row('frontend', 'web', 'FRONTEND', 'OPEN', { req_tot: 7, hrsp_2xx: 6, hrsp_5xx: 1, scur: 2, stot: 5 }),
    row('frontend', 'db', 'FRONTEND', 'OPEN', { stot: 1 }),
    row('server', 'app', 's1', 'UP', { weight: 3, hrsp_2xx: 6 }),
    row('server', 'app', 's2', 'DOWN 1/2', { weight: 1 }),
    row('server', 'app', 's3', 'MAINT', { weight: 1 }),
    row('server', 'app', 's4', 'no check', { weight: 1 }),
    row('backend', 'app', 'BACKEND', 'UP', { req_tot: 7 }),
  ],
};

const EXTRA: MetricsExtra = {
  histograms: { 'be/app': { rtime: { buckets: [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], sumMs: 20_004, count: 4 } } },
  reloads: { inPlaceOk: 2, inPlaceFailed: 1, newProcessesOk: 0, newProcessesFailed: 0, failedBeforePath: 1, lastDurationMs: 12 },
  drainingGenerations: 1,
  carriedConnections: 5,
  startedAt: 1_700_000_000_000,
  pid: 1,
  workers: 2,
  listeners: 2,
  modes: { 'fe/web': 'http', 'fe/db': 'tcp', 'be/app': 'http' },
  stopping: false,
};

async function families(query = ''): Promise<ReturnType<typeof parseExposition>> {
  return parseExposition(await renderPrometheus(SNAP, EXTRA, parseMetricsQuery(`/metrics${query}`) ?? assert.fail('bad query')));
}

test("HAProxy's query string: scopes in order, '*', empty, no-maint; what HAProxy answers 400 to", () => {
  const scopes = (q: string): string[] | undefined => {
    const r = parseMetricsQuery(`/metrics${q}`);
    return r === undefined ? undefined : [...r.scopes].sort();
  };
  assert.deepEqual(scopes(''), ['backend', 'frontend', 'global', 'listener', 'server', 'sticktable']);
  assert.deepEqual(scopes('?scope=server'), ['server']);
  assert.deepEqual(scopes('?scope=frontend&scope=backend'), ['backend', 'frontend']);
  assert.deepEqual(scopes('?scope=*&scope='), []);
  assert.deepEqual(scopes('?scope=&scope=global'), ['global']);
  assert.deepEqual(scopes('?other=1&scope=%62ackend'), ['backend']);
  assert.equal(parseMetricsQuery('/metrics?no-maint')?.noMaint, true);
  assert.equal(parseMetricsQuery('/metrics?scope=server')?.noMaint, false);
  for (const bad of ['?scope', '?scope=bogus', '?scope=a=b', '?scope=%zz']) assert.equal(parseMetricsQuery(`/metrics${bad}`), undefined, bad);
});

test('one-hot states as HAProxy 2.6: UP 1/3 is UP, DOWN 1/2 is DOWN, no check is UP; agg_server_status counts them', async () => {
  const f = await families();
  const state = (server: string): string | undefined => f.get('haproxy_server_status')?.samples.find((s) => s.labels.server === server && s.value === 1)?.labels.state;
  assert.deepEqual(['s1', 's2', 's3', 's4'].map(state), ['UP', 'DOWN', 'MAINT', 'UP']);
  assert.equal(f.get('haproxy_server_status')?.samples.length, 4 * 5);
  const agg = Object.fromEntries((f.get('haproxy_backend_agg_server_status')?.samples ?? []).map((s) => [s.labels.state, s.value]));
  assert.deepEqual(agg, { DOWN: 1, UP: 2, MAINT: 1, DRAIN: 0, NOLB: 0 });
  assert.deepEqual(f.get('haproxy_frontend_status')?.samples.filter((s) => s.value === 1).map((s) => s.labels.proxy), ['web', 'db']);
});

test('a field with no value is absent; a counted one not yet reported is 0; HTTP families skip tcp proxies', async () => {
  const f = await families();
  // eint, idle connections…: no value in handoff's stat table today, so no family (HAProxy writes none for an empty field either).
  assert.equal(f.has('haproxy_backend_internal_errors_total'), false);
  assert.equal(f.has('haproxy_server_need_connections_current'), false);
  // check_status: none on a row without a health check's result.
  assert.equal(f.has('haproxy_server_check_status'), false);
  // qcur: counted by the workers (a queue for maxconn), 0 until reported.
  assert.equal(f.get('haproxy_backend_current_queue')?.samples.every((s) => s.value === 0), true);
  assert.equal(f.get('haproxy_frontend_http_requests_total')?.samples.map((s) => `${s.labels.proxy}=${s.value}`).join(' '), 'web=7');
  const codes = f.get('haproxy_frontend_http_responses_total')?.samples.map((s) => `${s.labels.code}=${s.value}`);
  assert.deepEqual(codes, ['1xx=0', '2xx=6', '3xx=0', '4xx=0', '5xx=1', 'other=0']);
  assert.equal(f.get('haproxy_frontend_http_responses_total')?.type, 'counter');
  assert.equal(f.get('haproxy_frontend_bytes_in_total')?.samples.length, 2, 'bin: counted for both frontends, 0 until reported');
  assert.equal(f.get('haproxy_server_weight')?.samples.find((s) => s.labels.server === 's1')?.value, 3);
});

test('no-maint leaves servers in maintenance out; scope=backend only backend families', async () => {
  const f = await families('?no-maint');
  assert.equal(f.get('haproxy_server_status')?.samples.some((s) => s.labels.server === 's3'), false);
  const b = await families('?scope=backend');
  assert.ok([...b.keys()].every((n) => n.startsWith('haproxy_backend_')));
});

test('process values, the reload story and histograms with cumulative buckets', async () => {
  const f = await families();
  assert.equal(f.get('haproxy_process_uptime_seconds')?.samples[0]?.value, 61);
  assert.equal(f.get('haproxy_process_nbthread')?.samples[0]?.value, 2);
  assert.equal(f.get('haproxy_process_requests_total')?.samples[0]?.value, 7);
  assert.equal(f.get('haproxy_process_dropped_logs_total')?.samples[0]?.value, 4);
  assert.equal(f.get('haproxy_process_start_time_seconds')?.samples[0]?.value, 1_700_000_000);
  const reloads = Object.fromEntries((f.get('handoff_reloads_total')?.samples ?? []).map((s) => [`${s.labels.path}/${s.labels.result}`, s.value]));
  assert.deepEqual(reloads, { 'in_place/ok': 2, 'in_place/failed': 1, 'new_processes/ok': 0, 'new_processes/failed': 0, 'none/failed': 1 });
  assert.equal(f.get('handoff_last_reload_duration_seconds')?.samples[0]?.value, 0.012);
  assert.equal(f.get('handoff_generation')?.samples[0]?.value, 3);
  assert.equal(f.get('handoff_draining_generations')?.samples[0]?.value, 1);
  assert.equal(f.get('handoff_reload_carried_connections_total')?.samples[0]?.value, 5);
  const h = f.get('haproxy_backend_response_time_seconds');
  assert.equal(h?.type, 'histogram');
  const buckets = h.samples.filter((s) => s.name.endsWith('_bucket'));
  assert.deepEqual(buckets.slice(0, 3).map((s) => [s.labels.le, s.value]), [['0.001', 1], ['0.002', 3], ['0.005', 3]]);
  assert.deepEqual(buckets.at(-1)?.labels, { proxy: 'app', le: '+Inf' });
  assert.equal(buckets.at(-1)?.value, 4);
  assert.equal(h.samples.find((s) => s.name.endsWith('_sum'))?.value, 20.004);
  assert.equal(f.has('haproxy_backend_connect_time_seconds'), false, 'no observation, no family');
});

test('the worker latency registry: fixed buckets, deltas since the last report, summed by the master', () => {
  const reg = createLatencyRegistry();
  const be = reg.backend('app');
  assert.equal(reg.backend('app'), be, 'one object per backend, kept');
  for (const ms of [0.4, 1, 1.5, 7, 12_000, -1]) observeLatency(be.rtime, ms);
  assert.equal(be.rtime.count, 5, 'a negative time (never happened) is not counted');
  const first = reg.take();
  assert.deepEqual(first['be/app']?.rtime?.buckets, [2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(first['be/app']?.ctime, undefined, 'nothing new, not reported');
  observeLatency(be.rtime, 30);
  const second = reg.take();
  assert.deepEqual(second['be/app']?.rtime, { buckets: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0], sumMs: 30, count: 1 });
  assert.deepEqual(reg.take(), {});
  const store = createMetricsStore();
  store.addHistograms(first);
  store.addHistograms(second);
  store.addHistograms(undefined);
  assert.equal(store.histograms()['be/app']?.rtime?.count, 6);
  assert.equal(store.histograms()['be/app']?.rtime?.buckets[5], 1);
});

test('latency histograms exist only where the configuration serves the exporter (no cost otherwise)', () => {
  const base = `${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1:8080\n    default_backend app\nbackend app\n    server s1 127.0.0.1:1\n`;
  const runtimeOf = (text: string): ReturnType<typeof buildRuntime> => {
    const r = compile(text);
    assert.deepEqual(errors(r), []);
    return buildRuntime(r.config as Parameters<typeof buildRuntime>[0], {}, createCounterRegistry(), createSharedLogResources({ onDrop: () => {} }), undefined, undefined, createLatencyRegistry());
  };
  const without = runtimeOf(base);
  assert.equal(without.frontends[0]?.latency, undefined);
  assert.equal(without.backends.get('app')?.latency, undefined);
  const withExporter = runtimeOf(`${base}frontend metrics\n    bind 127.0.0.1:8405\n    http-request use-service prometheus-exporter\n`);
  assert.ok(withExporter.frontends.every((f) => f.latency !== undefined));
  assert.ok(withExporter.backends.get('app')?.latency?.rtime);
});
