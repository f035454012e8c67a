// `handoff bench reload`: the seed's reload experiment end to end.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { durationFlag, intFlag, parseFlags, UsageError } from './args.ts';
import { runReloadBench, type ReloadBenchOptions } from '../bench/reload-bench.ts';
import { present } from '../bench/present.ts';
import { PROXIES, SCENARIOS, type ProxyKind, type ScenarioName } from '../bench/types.ts';

export const usage = `usage: handoff bench reload [options]

The seed article's experiment, end to end: three demo backends and a self-signed certificate in a
temporary directory; then, for each scenario, the proxy under test (TLS frontend → roundrobin over
the backends) under 'handoff load' while the scenario's reload mechanism fires every --interval for
as long as the load runs. Prints the seed's table: failures by class, mean/p95/p99 latency, req/s,
reloads requested and completed.

scenarios:
  baseline   no reloads
  restart    stop the proxy, wait for it to exit, start it again
  rebind     legacy reload: a new independent process binds (SO_REUSEPORT) and tells the old to finish
  handoff    socket-transfer reload: kill -USR2 the master (HAProxy: -W master-worker, expose-fd)

options:
  -n, --requests N        requests per run (default 10000)
  -c, --concurrency N     concurrent users, one connection each (default 200)
  --interval DURATION     time between reloads (default 0.2s; bare numbers are seconds)
  --keepalive             also run every scenario with keep-alive clients (extra rows)
  --scenarios LIST        comma-separated subset of baseline,restart,rebind,handoff (default all)
  --proxy P               handoff, haproxy or both (default handoff)
  --workers N             worker processes/threads of the proxy (default 2)
  --haproxy PATH          haproxy binary (default: found on PATH, /usr/sbin, /usr/local/sbin)
  --json                  print an array of result objects on stdout instead of the table
  --report FILE.html      write a self-contained HTML report (latency and failures over time)
  --keep-tmp              keep the temporary directory (configs, proxy logs, timelines)
  -h, --help              this text

Progress goes to stderr. Exit status 0 when every run completed (failed requests are results),
1 when a run could not be carried out, 2 for bad options.

example:
  handoff bench reload --proxy both --report reload.html
`;

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

export function parseList<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const i of items) if (!allowed.includes(i as T)) throw new UsageError(`${flag}: unknown '${i}' (choose from ${allowed.join(', ')})`);
  if (items.length === 0) throw new UsageError(`${flag} needs at least one of ${allowed.join(', ')}`);
  return [...new Set(items)] as T[];
}

export interface ReloadCommandDefaults {
  requests: number;
  concurrency: number;
  proxy: 'handoff' | 'haproxy' | 'both';
  report?: string;
}

/** Shared by `bench reload` and `demo`: parse, run, print. */
export async function reloadCommand(argv: string[], defaults: ReloadCommandDefaults): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    requests: { type: 'string', short: 'n' },
    concurrency: { type: 'string', short: 'c' },
    interval: { type: 'string' },
    keepalive: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    proxy: { type: 'string' },
    workers: { type: 'string' },
    haproxy: { type: 'string' },
    json: { type: 'boolean', default: false },
    report: { type: 'string' },
    'keep-tmp': { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const proxyFlag = values.proxy ?? defaults.proxy;
  if (proxyFlag !== 'both' && !PROXIES.includes(proxyFlag as ProxyKind)) throw new UsageError(`--proxy: choose handoff, haproxy or both, not '${proxyFlag}'`);
  const intervalMs = durationFlag('--interval', values.interval, 's') ?? 200;
  if (intervalMs < 10) throw new UsageError('--interval must be at least 10ms');
  const requests = intFlag('--requests', values.requests, 1, 10_000_000) ?? defaults.requests;
  const concurrency = intFlag('--concurrency', values.concurrency, 1, 20_000) ?? defaults.concurrency;
  if (concurrency > requests) throw new UsageError(`--concurrency (${concurrency}) cannot exceed --requests (${requests})`);

  const abort = new AbortController();
  const onSignal = (): void => {
    process.stderr.write('\ninterrupted: stopping the load and everything the bench started …\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bench: ReloadBenchOptions = {
    requests,
    concurrency,
    intervalMs,
    keepAlive: values.keepalive,
    scenarios: values.scenarios === undefined ? [...SCENARIOS] : parseList<ScenarioName>('--scenarios', values.scenarios, SCENARIOS),
    proxies: proxyFlag === 'both' ? [...PROXIES] : [proxyFlag as ProxyKind],
    workers: intFlag('--workers', values.workers, 1, Math.max(64, availableParallelism() * 4)) ?? 2,
    haproxyPath: values.haproxy,
    cliBin: BIN,
    log: (line) => void process.stderr.write(`${line}\n`),
    signal: abort.signal,
    keepTmp: values['keep-tmp'],
  };
  try {
    const run = await runReloadBench(bench);
    return present(run, bench, {
      json: values.json,
      reportPath: values.report ?? defaults.report,
      out: (t) => void process.stdout.write(t),
      err: (t) => void process.stderr.write(t),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'reload') throw new UsageError(sub === undefined ? 'which benchmark? (reload)' : `unknown benchmark '${sub}' (available: reload)`);
  return reloadCommand(rest, { requests: 10_000, concurrency: 200, proxy: 'handoff' });
}
