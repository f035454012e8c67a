// The processes of one proxy as a tree under the pid the bench spawned (master, workers, warm
// spare, nginx workers…): their CPU time and RSS from /proc, and a stop that leaves none behind.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseProcStat, parseVmRssKb } from './perf-stats.ts';
import { signalPid, sleep, spawnLogged, stopProc, type Proc } from './processes.ts';

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process has gone
  }
}

/** `root` and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = parseProcStat(readOr(`/proc/${name}/stat`) ?? '');
    if (st === null) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (readOr(`/proc/${pid}/stat`) === null) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU time of the tree in clock ticks (live processes plus the children they reaped). */
export function treeTicks(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (parseProcStat(readOr(`/proc/${pid}/stat`) ?? '')?.ticks ?? 0), 0);
}

/** Sum of VmRSS over the tree (or of `root` alone), kB; shared pages count once per process, as `ps` shows them. */
export function treeRssKb(root: number, tree = true): number {
  return (tree ? processTree(root) : [root]).reduce((sum, pid) => {
    const kb = parseVmRssKb(readOr(`/proc/${pid}/status`) ?? '');
    return sum + (Number.isFinite(kb) ? kb : 0);
  }, 0);
}

let clockTicks: number | undefined;

/** `getconf CLK_TCK` (the unit of /proc/PID/stat times), 100 when it cannot be read. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 });
    const n = Number(r.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

export const WANTED_NOFILE = 65_536;
const RAISE_NOFILE = `ulimit -n ${WANTED_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`;

/** The open-files limit the bench's children get: as high as `ulimit -n` may go here. */
export function childNofile(): number {
  const r = spawnSync('sh', ['-c', RAISE_NOFILE, 'sh', 'sh', '-c', 'ulimit -n'], { encoding: 'utf8', timeout: 5000 });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) ? n : NaN;
}

/** Spawn through `sh` to raise the open-files limit first, and through `taskset -c CPUS` when pinned. */
export function spawnRaised(cmd: string, args: string[], logFile: string, cpus?: string, env?: NodeJS.ProcessEnv): Proc {
  const pin = cpus === undefined ? [] : ['taskset', '-c', cpus];
  return spawnLogged('sh', ['-c', RAISE_NOFILE, 'sh', ...pin, cmd, ...args], logFile, env);
}

/** The argv line of `pid`, or null when it has gone (tells a recorded pid from a reused one). */
function cmdline(pid: number): string | null {
  return readOr(`/proc/${pid}/cmdline`);
}

/**
 * Stop the process (signal, then SIGKILL after `graceMs`), then SIGKILL by PID any process of its
 * tree that outlived it (a worker orphaned by a killed master), as long as its argv is the one
 * recorded before the stop.
 */
export async function stopTree(p: Proc, signal: NodeJS.Signals, graceMs = 8000): Promise<void> {
  const seen = processTree(p.pid).map((pid) => ({ pid, argv: cmdline(pid) }));
  await stopProc(p, signal, graceMs);
  for (let i = 0; i < 20; i++) {
    const left = seen.filter((s) => s.argv !== null && cmdline(s.pid) === s.argv);
    if (left.length === 0) return;
    if (i === 10) for (const s of left) signalPid(s.pid, 'SIGKILL');
    await sleep(100);
  }
}
