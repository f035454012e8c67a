// Shapes shared by the reload bench's modules, and the `--json` output (an array of ScenarioResult).
import type { FailureKind } from '../load/types.ts';

export type ProxyKind = 'handoff' | 'haproxy';
export type ScenarioName = 'baseline' | 'restart' | 'rebind' | 'handoff';

export const SCENARIOS: readonly ScenarioName[] = ['baseline', 'restart', 'rebind', 'handoff'];
export const PROXIES: readonly ProxyKind[] = ['handoff', 'haproxy'];

/** One time bucket of a run, for the report's charts (times in ms since the load started). */
export interface TimeBucket {
  t: number;
  /** Successful requests started in the bucket. */
  ok: number;
  /** Requests that failed (counted when the failure was seen: start + latency). */
  failed: number;
  /** p95 and max latency (ms) of the successful requests started in the bucket; null when none. */
  p95: number | null;
  max: number | null;
}

export interface ScenarioResult {
  proxy: ProxyKind;
  scenario: ScenarioName;
  keepAlive: boolean;
  /** `ok`: measured. `unavailable`: this proxy cannot run it here (reason in `note`). `error`: it broke. */
  status: 'ok' | 'unavailable' | 'error';
  note?: string;
  requests: number;
  concurrency: number;
  intervalMs: number;
  /** Proxy version string, e.g. `HAProxy 2.6.12` or `handoff 0.1.0`. */
  proxyVersion?: string;
  completed: number;
  failed: number;
  failures: Partial<Record<FailureKind, number>>;
  meanMs: number;
  p95Ms: number;
  p99Ms: number;
  rps: number;
  durationMs: number;
  reloadsRequested: number;
  /** Null when it could not be read back from the proxy. */
  reloadsCompleted: number | null;
  /** Reload request instants, ms since the load started. */
  reloadTimesMs: number[];
  buckets: TimeBucket[];
  bucketMs: number;
}
