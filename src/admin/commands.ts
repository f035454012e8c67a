// The runtime API: commands accepted on the master socket (`-S`) and on `stats socket` paths,
// answered as text. Names follow HAProxy's CLI where a counterpart exists.
import type { AdminTarget } from './target.ts';
import { renderShowStat } from './stat-csv.ts';
import { VERSION } from '../version.ts';

export type { AdminTarget } from './target.ts';

export type AccessLevel = 'user' | 'operator' | 'admin';

interface Command {
  usage: string;
  help: string;
  level: AccessLevel;
  /** `level` is the socket's: a command may show less to a lower level. */
  run(target: AdminTarget, args: string[], level: AccessLevel): Promise<string> | string;
}

const RANK: Record<AccessLevel, number> = { user: 0, operator: 1, admin: 2 };

function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

function serverArg(arg: string | undefined): string {
  if (arg === undefined || !arg.includes('/')) throw new CommandError(`expected BACKEND/SERVER, got '${arg ?? ''}'`);
  return arg;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

const commands: Command[] = [
  { usage: 'help', help: 'list the commands this socket allows', level: 'user', run: () => '' },
  {
    usage: 'reload [full]',
    help: 'reload the configuration; answers when the new generation serves (or why it does not); full: new worker processes even if the code is unchanged',
    level: 'admin',
    async run(target, args) {
      if (args.length > 2 || (args[1] !== undefined && args[1] !== 'full')) throw new CommandError(`usage: reload [full], got '${args.join(' ')}'`);
      const r = await target.reload(args[1] === 'full');
      if (r.ok) return `reload succeeded (generation ${r.generation}, took ${r.tookMs} ms)\n${r.warnings.map((w) => w + '\n').join('')}`;
      throw new CommandError(`reload failed (took ${r.tookMs} ms): ${r.message}`);
    },
  },
  {
    usage: 'show info',
    help: 'process information: generation, reloads, workers, listeners',
    level: 'user',
    run(target, _args, level) {
      const i = target.info();
      return [
        'Name: handoff',
        `Version: ${VERSION}`,
        `Pid: ${i.pid}`,
        `Uptime: ${fmtDuration(Date.now() - i.startedAt)}`,
        `Uptime_sec: ${Math.floor((Date.now() - i.startedAt) / 1000)}`,
        `Generation: ${i.generation}`,
        `Reloads: ${i.reloads}`,
        `ReloadsInPlace: ${i.reloadsInPlace}`,
        `ReloadsFailed: ${i.reloadsFailed}`,
        `ReloadsRequested: ${i.reloadsRequested}`,
        `Workers: ${i.workers}`,
        `DrainingGenerations: ${i.drainingGenerations}`,
        `DroppedLogs: ${target.stats().droppedLogs ?? 0}`,
        // A path is not a statistic: as HAProxy's `show env`, operator and admin only.
        ...(RANK[level] >= RANK.operator ? [`ConfigFile: ${i.configFile}`] : []),
        ...i.listeners.map((l) => `Listener: ${l.key} port ${l.port}`),
        '',
      ].join('\n');
    },
  },
  {
    usage: 'show proc',
    help: 'master and worker processes with their generation and state',
    level: 'user',
    run(target) {
      const rows = target.procs().map((p) => `${String(p.pid).padEnd(8)}${p.role.padEnd(8)}${String(p.generation).padEnd(12)}${String(p.index).padEnd(7)}${p.state.padEnd(10)}${fmtDuration(p.uptimeMs)}`);
      return `#${'pid'.padEnd(7)}${'role'.padEnd(8)}${'generation'.padEnd(12)}${'index'.padEnd(7)}${'state'.padEnd(10)}uptime\n${rows.join('\n')}\n`;
    },
  },
  { usage: 'show stat', help: 'counters per frontend, backend and server (HAProxy CSV columns)', level: 'user', run: (target) => renderShowStat(target.stats()) },
  { usage: 'show stat json', help: 'the same as JSON', level: 'user', run: (target) => JSON.stringify(target.stats(), null, 2) + '\n' },
  {
    usage: 'show servers state',
    help: 'health and admin state of every server',
    level: 'user',
    run(target) {
      const rows = target.servers().map((s) => `${s.id} ${s.state.up ? 'UP' : 'DOWN'} ${s.state.admin} ${s.state.weight ?? '-'} ${s.check}`);
      return `# id health admin weight last_check\n${rows.join('\n')}\n`;
    },
  },
  {
    usage: 'set server BACKEND/SERVER state ready|drain|maint | weight N',
    help: 'change a server admin state or weight (survives reloads)',
    level: 'admin',
    run(target, args) {
      const id = serverArg(args[2]);
      if (args[3] === 'state') {
        const st = args[4];
        if (st !== 'ready' && st !== 'drain' && st !== 'maint') throw new CommandError(`state must be ready, drain or maint, got '${st ?? ''}'`);
        const err = target.setServer(id, { admin: st });
        if (err) throw new CommandError(err);
        return '';
      }
      if (args[3] === 'weight') {
        const w = Number(args[4]);
        if (!/^\d+$/.test(args[4] ?? '') || w > 256) throw new CommandError(`weight must be an integer 0..256, got '${args[4] ?? ''}'`);
        const err = target.setServer(id, { weight: w });
        if (err) throw new CommandError(err);
        return '';
      }
      throw new CommandError("expected 'set server BACKEND/SERVER state ready|drain|maint' or '… weight N'");
    },
  },
  {
    usage: 'set weight BACKEND/SERVER N',
    help: 'change a server weight (survives reloads)',
    level: 'admin',
    run(target, args) {
      const id = serverArg(args[2]);
      const w = Number(args[3]);
      if (!/^\d+$/.test(args[3] ?? '') || w > 256) throw new CommandError(`weight must be an integer 0..256, got '${args[3] ?? ''}'`);
      const err = target.setServer(id, { weight: w });
      if (err) throw new CommandError(err);
      return '';
    },
  },
  {
    usage: 'disable server BACKEND/SERVER',
    help: 'put a server in maintenance',
    level: 'admin',
    run(target, args) {
      const err = target.setServer(serverArg(args[2]), { admin: 'maint' });
      if (err) throw new CommandError(err);
      return '';
    },
  },
  {
    usage: 'enable server BACKEND/SERVER',
    help: 'take a server out of maintenance',
    level: 'admin',
    run(target, args) {
      const err = target.setServer(serverArg(args[2]), { admin: 'ready' });
      if (err) throw new CommandError(err);
      return '';
    },
  },
];

function helpText(level: AccessLevel): string {
  return `The following commands are valid at this level:\n${commands
    .filter((c) => RANK[c.level] <= RANK[level])
    .map((c) => `  ${c.usage}\n      ${c.help}`)
    .join('\n')}\n`;
}

function matches(usage: string, words: string[]): boolean {
  const parts = usage.split(' ');
  const lead: string[] = [];
  for (const w of parts) {
    if (!/^[a-z]+$/.test(w)) break;
    lead.push(w);
  }
  if (!lead.every((w, i) => words[i] === w)) return false;
  const rest = parts.slice(lead.length);
  // A usage made only of literal words matches exactly: `show stat` is not `show stat json`.
  if (rest.length === 0) return words.length === lead.length;
  return rest.every((p) => p.startsWith('[')) ? words.length >= lead.length : words.length > lead.length;
}

/** Run one command line. Errors come back as `{ ok: false }` with a message naming the problem. */
export async function executeCommand(target: AdminTarget, line: string, level: AccessLevel): Promise<{ ok: boolean; output: string }> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return { ok: false, output: 'empty command; try help\n' };
  const cmd = commands.find((c) => matches(c.usage, words));
  if (cmd === undefined) return { ok: false, output: `Unknown command: '${line.trim()}'\n${helpText(level)}` };
  if (cmd.usage === 'help') return { ok: true, output: helpText(level) };
  if (RANK[cmd.level] > RANK[level]) return { ok: false, output: `Permission denied: '${cmd.usage}' needs level ${cmd.level}\n` };
  try {
    return { ok: true, output: await cmd.run(target, words, level) };
  } catch (err) {
    if (err instanceof CommandError) return { ok: false, output: `${err.message}\n` };
    return { ok: false, output: `internal error: ${(err as Error).message}\n` };
  }
}
