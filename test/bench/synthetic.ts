// Synthetic bench results for the table and report tests.
import type { ScenarioResult } from '../../src/bench/types.ts';

export function result(over: Partial<ScenarioResult>): ScenarioResult {
  return {
    proxy: 'haproxy',
    scenario: 'baseline',
    keepAlive: false,
    status: 'ok',
    requests: 10_000,
    concurrency: 200,
    intervalMs: 200,
    completed: 10_000,
    failed: 0,
    failures: {},
    meanMs: 513.4,
    p95Ms: 560,
    p99Ms: 601,
    rps: 389.6,
    durationMs: 25_000,
    reloadsRequested: 0,
    reloadsCompleted: 0,
    reloadTimesMs: [],
    buckets: [
      { t: 0, ok: 40, failed: 0, p95: 500, max: 530 },
      { t: 100, ok: 38, failed: 2, p95: 520, max: 700 },
      { t: 200, ok: 0, failed: 5, p95: null, max: null },
    ],
    bucketMs: 100,
    ...over,
  };
}

export const SAMPLE: ScenarioResult[] = [
  result({}),
  result({
    scenario: 'restart',
    failed: 4332,
    completed: 10_000,
    failures: { connect_refused: 4100, receive: 232 },
    meanMs: 147,
    p95Ms: 253,
    reloadsRequested: 120,
    reloadsCompleted: 118,
    reloadTimesMs: [200, 400, 600],
  }),
  result({ proxy: 'handoff', scenario: 'handoff', keepAlive: true, reloadsRequested: 50, reloadsCompleted: null, reloadTimesMs: [150, -20] }),
  result({ proxy: 'handoff', scenario: 'rebind', status: 'unavailable', note: "'handoff run'\nis not implemented yet" }),
];
