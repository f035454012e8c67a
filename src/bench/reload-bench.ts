// The seed's experiment end to end: demo backends + certificate in a temporary directory, then per
// (keep-alive, scenario, proxy): start the proxy, run `handoff load` while the reload driver fires
// the scenario's mechanism every interval, stop everything, summarise.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate } from '../demo/cert.ts';
import { FAILURE_KINDS, type FailureKind } from '../load/types.ts';
import { runLoad, type LoadOutcome } from './load-runner.ts';
import { stopProc, track, type Proc } from './processes.ts';
import { createProxy, findHaproxy, handoffRunUnavailable, haproxyVersion, type ProxyEnv } from './proxies.ts';
import { startReloadDriver } from './reload-driver.ts';
import { bucketize, bucketSize } from './timeline.ts';
import { oneLine } from './table.ts';
import type { ProxyKind, ScenarioName, ScenarioResult } from './types.ts';
import { VERSION } from '../version.ts';

export interface ReloadBenchOptions {
  requests: number;
  concurrency: number;
  intervalMs: number;
  /** Also run every scenario with keep-alive clients (extra rows). */
  keepAlive: boolean;
  scenarios: ScenarioName[];
  proxies: ProxyKind[];
  workers: number;
  haproxyPath?: string;
  /** bin/handoff.js, whose `backend`, `load`, `run` and `ctl` commands the bench spawns. */
  cliBin: string;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Keep the temporary directory (configs, proxy logs, timelines) and say where it is. */
  keepTmp?: boolean;
  /** Upper bound of one load run; default 10 minutes. */
  maxLoadMs?: number;
}

export interface ReloadBenchRun {
  results: ScenarioResult[];
  /** Lines for the reader: proxies skipped and why. */
  notes: string[];
}

interface Backends {
  proc: Proc;
  endpoints: { host: string; port: number }[];
}

async function startBackendProcess(cliBin: string): Promise<Backends> {
  const child = spawn(process.execPath, [cliBin, 'backend', '--quiet', '0', '0', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child);
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const endpoints = await new Promise<{ host: string; port: number }[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo backends did not start: ${err.trim()}`)), 15_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const found = [...out.matchAll(/^listening on (\S+):(\d+)$/gm)].map((m) => ({ host: m[1]!, port: Number(m[2]) }));
      if (found.length === 3) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo backends exited (${code}): ${err.trim()}`));
    });
  });
  child.stdout?.resume();
  return { proc, endpoints };
}

function emptyResult(proxy: ProxyKind, scenario: ScenarioName, keepAlive: boolean, o: ReloadBenchOptions, status: ScenarioResult['status'], note: string): ScenarioResult {
  return {
    proxy, scenario, keepAlive, status, note,
    requests: o.requests, concurrency: o.concurrency, intervalMs: o.intervalMs,
    completed: 0, failed: 0, failures: {}, meanMs: 0, p95Ms: 0, p99Ms: 0, rps: 0, durationMs: 0,
    reloadsRequested: 0, reloadsCompleted: null, reloadTimesMs: [], buckets: [], bucketMs: 100,
  };
}

export function summarise(
  base: Pick<ScenarioResult, 'proxy' | 'scenario' | 'keepAlive' | 'requests' | 'concurrency' | 'intervalMs' | 'proxyVersion'>,
  outcome: LoadOutcome,
  requestedAt: number[],
  reloadsCompleted: number | null,
): ScenarioResult {
  const r = outcome.report;
  const failures: Partial<Record<FailureKind, number>> = {};
  for (const k of FAILURE_KINDS) if ((r.failures[k] ?? 0) > 0) failures[k] = r.failures[k];
  const bucketMs = bucketSize(r.timeTakenMs);
  return {
    ...base,
    status: 'ok',
    completed: r.completeRequests,
    failed: r.failedRequests,
    failures,
    meanMs: r.total.mean,
    p95Ms: r.total.percentiles['95'] ?? 0,
    p99Ms: r.total.percentiles['99'] ?? 0,
    rps: r.requestsPerSecond,
    durationMs: r.timeTakenMs,
    reloadsRequested: requestedAt.length,
    reloadsCompleted,
    reloadTimesMs: requestedAt.map((t) => t - r.startedAtMs),
    buckets: bucketize(outcome.timeline, bucketMs),
    bucketMs,
  };
}

async function runScenario(proxy: ProxyKind, scenario: ScenarioName, keepAlive: boolean, env: ProxyEnv, o: ReloadBenchOptions, version: string): Promise<ScenarioResult> {
  const base = { proxy, scenario, keepAlive, requests: o.requests, concurrency: o.concurrency, intervalMs: o.intervalMs, proxyVersion: version };
  const pt = await createProxy(proxy, scenario, env);
  try {
    try {
      await pt.start();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // A handoff that cannot start is "not available" (it may not be built yet); HAProxy failing is an error.
      return { ...emptyResult(proxy, scenario, keepAlive, o, proxy === 'handoff' ? 'unavailable' : 'error', `failed to start: ${msg}`), proxyVersion: version };
    }
    const maxLoadMs = o.maxLoadMs ?? 600_000;
    let driver: ReturnType<typeof startReloadDriver> | undefined;
    const reload = pt.reload;
    let outcome: LoadOutcome;
    let requestedAt: number[] = [];
    try {
      outcome = await runLoad(
        env.cliBin,
        {
          requests: o.requests,
          concurrency: o.concurrency,
          keepAlive,
          url: `https://127.0.0.1:${pt.port}/`,
          timelineFile: join(env.dir, `${proxy}-${scenario}-${keepAlive ? 'ka' : 'close'}.jsonl`),
          maxDurationMs: maxLoadMs,
          signal: o.signal,
        },
        () => {
          if (reload !== null) driver = startReloadDriver({ intervalMs: o.intervalMs, fire: reload, maxReloads: Math.ceil(maxLoadMs / o.intervalMs) + 1 });
        },
      );
    } finally {
      // The load has ended (or failed): no more reloads; let the one in flight finish.
      if (driver !== undefined) requestedAt = await driver.stop(20_000);
    }
    const completed = await pt.reloadsCompleted();
    const result = summarise(base, outcome, requestedAt, completed);
    const notes = [...pt.incidents];
    if (driver !== undefined && driver.errors.length > 0) notes.unshift(`${driver.errors.length} reload(s) failed, first: ${driver.errors[0]}`);
    if (notes.length > 0) result.note = notes.join('; ');
    return result;
  } catch (err) {
    return { ...emptyResult(proxy, scenario, keepAlive, o, 'error', err instanceof Error ? err.message : String(err)), proxyVersion: version };
  } finally {
    await pt.stop();
  }
}

export async function runReloadBench(o: ReloadBenchOptions): Promise<ReloadBenchRun> {
  const notes: string[] = [];
  const proxies: { kind: ProxyKind; version: string; unavailable: string | null }[] = [];
  let haproxyPath: string | undefined;
  for (const kind of o.proxies) {
    if (kind === 'haproxy') {
      const bin = findHaproxy(o.haproxyPath);
      const version = bin === null ? null : haproxyVersion(bin);
      if (bin === null || version === null) {
        notes.push(o.haproxyPath === undefined ? 'haproxy not installed — skipped' : `haproxy at ${o.haproxyPath} does not run — skipped`);
        continue;
      }
      haproxyPath = bin;
      proxies.push({ kind, version, unavailable: null });
    } else {
      proxies.push({ kind, version: `handoff ${VERSION}`, unavailable: handoffRunUnavailable(o.cliBin) });
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'handoff-bench-'));
  let backends: Backends | undefined;
  const results: ScenarioResult[] = [];
  try {
    const certPath = join(dir, 'bench.pem');
    writeFileSync(certPath, (await generateCertificate({ commonName: 'localhost' })).pem, { mode: 0o600 });
    backends = await startBackendProcess(o.cliBin);
    const env: ProxyEnv = { dir, cliBin: o.cliBin, haproxyPath, workers: o.workers, certPath, backends: backends.endpoints };
    const rounds = o.keepAlive ? [false, true] : [false];
    const total = rounds.length * o.scenarios.length * proxies.length;
    let n = 0;
    for (const keepAlive of rounds) {
      for (const scenario of o.scenarios) {
        for (const p of proxies) {
          n += 1;
          if (o.signal?.aborted === true) return { results, notes: [...notes, 'interrupted'] };
          if (p.unavailable !== null) {
            results.push({ ...emptyResult(p.kind, scenario, keepAlive, o, 'unavailable', p.unavailable), proxyVersion: p.version });
            continue;
          }
          const what = `${p.kind} ${scenario}${scenario === 'baseline' ? '' : ` every ${o.intervalMs / 1000}s`}${keepAlive ? ', keep-alive' : ''}`;
          o.log(`[${n}/${total}] ${what}: ${o.requests} requests, ${o.concurrency} users …`);
          const r = await runScenario(p.kind, scenario, keepAlive, env, o, p.version);
          o.log(r.status === 'ok'
            ? `        ${r.failed} failed, mean ${r.meanMs.toFixed(0)} ms, ${r.rps.toFixed(0)} req/s, reloads ${r.reloadsRequested} requested / ${r.reloadsCompleted ?? '?'} completed${r.note === undefined ? '' : ` (${oneLine(r.note, 300)})`}`
            : `        ${r.status}: ${oneLine(r.note ?? '', 400)}`);
          results.push(r);
        }
      }
    }
    return { results, notes };
  } finally {
    if (backends !== undefined) await stopProc(backends.proc, 'SIGTERM', 5000);
    if (o.keepTmp === true) o.log(`kept the bench's files in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
