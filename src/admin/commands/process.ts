// Process commands: reload, show info, show proc, show version, show env, show activity.
import { CommandError, fmtDuration, type Command } from '../command.ts';
import type { MasterInfo, ProcInfo } from '../target.ts';
import { infoFields, renderInfo } from '../show-info.ts';
import { VERSION } from '../../version.ts';

const col = (v: string | number) => String(v).padEnd(15);
const procLine = (pid: number, type: string, reloads: string | number, uptimeMs: number, version: string) =>
  `${col(pid)} ${col(type)} ${col(reloads)} ${col(fmtDuration(uptimeMs))} ${col(version)}\n`;

/** HAProxy's master-CLI `show proc`, then handoff's details (generation, worker index, state). */
export function renderProcs(info: MasterInfo, procs: ProcInfo[]): string {
  const master = procs.find((p) => p.role === 'master');
  const workers = procs.filter((p) => p.role === 'worker');
  const current = workers.filter((p) => p.generation === info.generation);
  const old = workers.filter((p) => p.generation !== info.generation);
  const line = (p: ProcInfo) => procLine(p.pid, 'worker', info.generation - p.generation, p.uptimeMs, VERSION);
  let out = `#${'<PID>'.padEnd(14)} ${col('<type>')} ${col('<reloads>')} ${col('<uptime>')} ${col('<version>')}\n`;
  if (master !== undefined) out += procLine(master.pid, 'master', `${info.reloads} [failed: ${info.reloadsFailed}]`, master.uptimeMs, VERSION);
  out += `# workers\n${current.map(line).join('')}`;
  if (old.length > 0) out += `# old workers\n${old.map(line).join('')}`;
  // A spare (a worker forked ahead of the next reload) is where HAProxy puts its programs.
  out += `# programs\n${procs.filter((p) => p.role === 'spare').map((p) => procLine(p.pid, 'spare', 0, p.uptimeMs, '-')).join('')}`;
  out += `# handoff\n#${'<PID>'.padEnd(14)} ${col('<generation>')} ${col('<index>')} ${col('<state>')}\n`;
  out += workers.map((p) => `${col(p.pid)} ${col(p.generation)} ${col(p.index)} ${col(p.state)}\n`).join('');
  return out;
}

function showEnv(name: string | undefined): string {
  if (name === undefined) return Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}\n`).join('');
  const v = process.env[name];
  if (v === undefined) throw new CommandError('Variable not found');
  return `${name}=${v}\n`;
}

/** HAProxy's `show activity` lines for one thread (handoff's master has one). */
function showActivity(): string {
  const now = Date.now();
  const names = ['ctxsw', 'tasksw', 'empty_rq', 'long_rq', 'loops', 'wake_tasks', 'wake_signal', 'poll_io', 'poll_exp', 'poll_drop_fd', 'poll_skip_fd', 'conn_dead', 'stream_calls', 'pool_fail', 'buf_wait', 'cpust_ms_tot', 'cpust_ms_1s', 'cpust_ms_15s', 'avg_loop_us', 'accepted', 'accq_pushed', 'accq_full', 'accq_ring', 'fd_takeover'];
  return `thread_id: 1 (1..1)\ndate_now: ${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}\n${names.map((n) => `${n}: 0 [ 0 ]\n`).join('')}`;
}

export const processCommands: Command[] = [
  {
    usage: 'reload',
    help: 'reload haproxy',
    level: 'admin',
    masterOnly: true,
    async run(target, args) {
      if (args.length > 2 || (args[1] !== undefined && args[1] !== 'full')) throw new CommandError(`usage: reload [full], got '${args.join(' ')}'`);
      const r = await target.reload(args[1] === 'full');
      if (r.ok) return `reload succeeded (generation ${r.generation}, took ${r.tookMs} ms)\n${r.warnings.map((w) => w + '\n').join('')}`;
      throw new CommandError(`reload failed (took ${r.tookMs} ms): ${r.message}`);
    },
  },
  {
    usage: 'show info [desc|json|typed|float]*',
    help: 'report information about the running process',
    level: 'user',
    async run(target, args, _level, ctx) {
      const stats = await target.stats();
      const opts = args.slice(2);
      return renderInfo(infoFields(target, stats, ctx, opts.includes('float')), opts, ctx.worker !== undefined ? ctx.worker.index + 1 : 1);
    },
  },
  { usage: 'show proc', help: 'show processes status', level: 'user', masterOnly: true, run: (target) => renderProcs(target.info(), target.procs()) },
  { usage: 'show version', help: 'show version of the current process', level: 'user', run: () => `${VERSION}\n` },
  { usage: 'show env [var]', help: 'dump environment variables known to the process', level: 'operator', run: (_t, args) => showEnv(args[2]) },
  { usage: 'show activity', help: 'show per-thread activity stats (for support/developers)', level: 'user', run: showActivity },
];
