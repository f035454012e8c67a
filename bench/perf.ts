// Data path: keep-alive throughput (shared cores, one pinned core, 1k/10k connections), CPU per
// request, added latency (back to back and paced), memory per idle connection, idle RSS, RSS after
// a burst and TLS new-connection rates, for handoff, HAProxy and nginx in front of the same
// backend, with direct-to-backend as the reference. Rounds alternate the targets; the table shows
// the median and min–max over the rounds and the per-round ratio handoff/HAProxy.
//   npm run bench perf [-- --rounds 3] [--duration 5] [--only rps,cpu] [--quick] [--help]
// Needs wrk; HAProxy and nginx are used when installed. Every process it starts is ended by PID.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateCertificate } from '../src/demo/cert.ts';
import { pacingScript } from '../src/bench/perf-load.ts';
import { burstPhase, pinnedPhase, sharedPhase, tlsPhase, type PerfContext, type Settings } from '../src/bench/perf-phases.ts';
import { childNofile } from '../src/bench/perf-procs.ts';
import { METRIC_IDS, metricDefs, renderTable, type Column, type MetricId } from '../src/bench/perf-table.ts';
import { nginxVersion, startNginxBackend, startNodeBackend, type PerfProxy, type Running, type TargetEnv } from '../src/bench/perf-targets.ts';
import { findHaproxy, haproxyVersion } from '../src/bench/proxies.ts';

const CLI = fileURLToPath(new URL('../bin/handoff.js', import.meta.url));

const HELP = `usage: npm run bench perf [-- options]

The data path of handoff next to HAProxy and nginx (when installed) and direct to the backend:
one table, median and min–max over the rounds, and the ratio handoff/HAProxy.

options:
  --rounds N      rounds; each runs every target once per metric, in turn (default 3)
  --duration S    seconds per measurement, after a warm-up (default 5)
  --only LIST     comma-separated metrics (default all): ${METRIC_IDS.join(', ')};
                  'tls' stands for the four TLS rows
  --quick         smoke test: 1 round, 2 s per measurement, shorter waits
  -h, --help      this help

Needs wrk, and ab (apache2-utils) for the TLS rows. Uses the cores as they are: 2 workers /
nbthread 2 / 2 nginx workers unpinned, and for the per-core rows the proxy on core 1 (taskset),
wrk and the backend on core 0.
`;

interface Options {
  settings: Omit<Settings, 'c10k' | 'burstConns'>;
}

function parseOptions(argv: string[]): Options | string {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: 'string' }, duration: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) return HELP;
  const quick = values.quick === true;
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const seconds = Number(values.duration ?? (quick ? 2 : 5));
  if (!Number.isInteger(rounds) || rounds < 1) return 'perf: --rounds must be a whole number ≥ 1';
  if (!Number.isInteger(seconds) || seconds < 1) return 'perf: --duration must be a whole number of seconds ≥ 1';
  const wanted = new Set<MetricId>();
  for (const name of (values.only ?? METRIC_IDS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (name === 'tls') {
      for (const id of METRIC_IDS) if (id.startsWith('tls-')) wanted.add(id);
    } else if ((METRIC_IDS as readonly string[]).includes(name)) wanted.add(name as MetricId);
    else return `perf: unknown metric '${name}' (known: ${METRIC_IDS.join(', ')}, tls)`;
  }
  for (const id of [...wanted]) if (id.startsWith('tls-') && !id.endsWith('-cpu')) wanted.add(`${id}-cpu` as MetricId);
  const c10kSeconds = quick ? seconds : Math.max(seconds, 10);
  return { settings: { rounds, seconds, c10kSeconds, warmupS: 1, settleS: quick ? 1 : 3, idleConns: 2000, burstWaitS: quick ? 5 : 30, wanted } };
}

/** Soft open-files limit of this process (it holds the idle and burst connections itself). */
function ownNofile(): number {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return Number(m?.[1] ?? 1024);
}

function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (r.error !== undefined) return null;
  return /wrk (\S+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown version';
}

function has(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', timeout: 5000 });
  const path = r.stdout?.trim() ?? '';
  return r.status === 0 && path !== '' ? path : null;
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (typeof opts === 'string') {
    const help = opts === HELP;
    (help ? process.stdout : process.stderr).write(help ? HELP : `${opts}\n`);
    return help ? 0 : 2;
  }
  const wrk = wrkVersion();
  if (wrk === null) {
    process.stderr.write('perf: needs wrk (apt-get install wrk)\n');
    return 2;
  }
  const haproxyBin = findHaproxy();
  const hapVersion = haproxyBin === null ? null : haproxyVersion(haproxyBin);
  const nginxBin = has('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
  const ngVersion = nginxBin === null ? null : nginxVersion(nginxBin);
  const abMissing = spawnSync('ab', ['-V'], { stdio: 'ignore', timeout: 5000 }).error !== undefined;
  const nofile = childNofile();
  // A single-process proxy holds a client and a server socket per connection.
  const fdBound = Math.floor((Math.min(nofile, ownNofile()) - 200) / 2);
  const c10k = Math.min(10_000, fdBound);
  const settings: Settings = { ...opts.settings, c10k, burstConns: c10k };
  const proxies: PerfProxy[] = ['handoff', ...(hapVersion !== null ? ['haproxy' as const] : []), ...(ngVersion !== null ? ['nginx' as const] : [])];

  const out = (s: string): boolean => process.stdout.write(s);
  out(`handoff data path (npm run bench perf), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n`);
  out(`nproc ${availableParallelism()}, kernel ${release()}, Node ${process.version}, ${hapVersion ?? 'HAProxy not installed'}, ${ngVersion ?? 'nginx not installed'}, wrk ${wrk}\n`);
  out(`rounds ${settings.rounds}, ${settings.seconds} s per measurement after a ${settings.warmupS} s warm-up; targets in turn: direct, ${proxies.join(', ')}\n`);
  const missing = [hapVersion === null ? 'HAProxy' : '', ngVersion === null ? 'nginx' : ''].filter((s) => s !== '');
  if (abMissing) {
    for (const id of METRIC_IDS) if (id.startsWith('tls-')) settings.wanted.delete(id);
    out('TLS rows left out: ab (apache2-utils) is not installed\n');
  }
  if (missing.length > 0) out(`missing peers: ${missing.join(', ')} (their columns are left out)\n`);
  out(`open files: ${nofile} per process${c10k < 10_000 ? ` (cannot be raised here), so the "10k" connection rows use ${c10k}: client + server socket each` : ''}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'handoff-perf-'));
  const env: TargetEnv = { dir, cliBin: CLI, haproxyBin, nginxBin, nofile };
  const started: Running[] = [];
  try {
    const ctx = await prepare(env, settings, proxies, started, out);
    for (let round = 0; round < settings.rounds; round++) {
      process.stderr.write(`perf: round ${round + 1}/${settings.rounds}\n`);
      await runRound(ctx, round);
    }
    const columns: Column[] = [...proxies, 'direct'];
    const defs = metricDefs({ c10k, c10kSeconds: settings.c10kSeconds, idleConns: settings.idleConns, burstConns: c10k, burstWaitS: settings.burstWaitS, backend: ngVersion !== null ? 'nginx' : 'node' });
    out('\n' + renderTable(defs.filter((d) => settings.wanted.has(d.id)), ctx.results, columns));
    out('cells: median (min–max) over the rounds; handoff/haproxy: the per-round ratio, summarised the same way\n');
    if (ctx.notes.length > 0) out(`\nnotes:\n${[...new Set(ctx.notes)].map((n) => `  ${n}\n`).join('')}`);
    return 0;
  } finally {
    await Promise.all(started.map((r) => r.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Backends, certificates and the pacing script, shared by every round. */
async function prepare(env: TargetEnv, settings: Settings, proxies: PerfProxy[], started: Running[], out: (s: string) => void): Promise<PerfContext> {
  const lanes = ['direct', ...proxies];
  const node = await startNodeBackend(env, lanes);
  started.push(node);
  let main = node;
  let pinned = node;
  if (env.nginxBin !== null) {
    main = await startNginxBackend(env, lanes, 2);
    started.push(main);
    pinned = await startNginxBackend(env, lanes, 1, '0');
    started.push(pinned);
    out('backends: nginx `return 200 "hello\\n"` (2 workers; 1 worker on core 0 for the per-core rows); Node keep-alive backend for the Node row;\n');
    out('  each target has its own backend port (no competition for ephemeral ports)\n');
  } else {
    out('backends: Node keep-alive backend only (nginx not installed; in the per-core rows it is not pinned)\n');
  }
  let certs: PerfContext['certs'] = null;
  if ([...settings.wanted].some((id) => id.startsWith('tls-'))) {
    const rsa = join(env.dir, 'rsa.pem');
    const ec = join(env.dir, 'ec.pem');
    writeFileSync(rsa, (await generateCertificate()).pem);
    writeFileSync(ec, (await generateCertificate({ ec: true })).pem);
    certs = { rsa, ec };
  }
  const paceScript = join(env.dir, 'pace.lua');
  writeFileSync(paceScript, pacingScript(10));
  return { env, settings, proxies, results: new Map(), notes: [], backends: { main, node: main === node ? null : node, pinned }, certs, paceScript };
}

async function runRound(ctx: PerfContext, round: number): Promise<void> {
  const want = (...ids: MetricId[]): boolean => ids.some((id) => ctx.settings.wanted.has(id));
  if (want('rps', 'rps-node', 'c1k', 'c10k', 'latency', 'paced', 'conn-mem', 'idle-rss')) await sharedPhase(ctx, round);
  if (want('per-core', 'cpu', 'core-capacity')) await pinnedPhase(ctx, round);
  if (want('burst-rss')) await burstPhase(ctx, round);
  if (METRIC_IDS.some((id) => id.startsWith('tls-') && want(id))) await tlsPhase(ctx, round);
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
