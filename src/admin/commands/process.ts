// Process commands: reload, show info, show proc.
import { CommandError, RANK, fmtDuration, type Command } from '../command.ts';
import { VERSION } from '../../version.ts';

export const processCommands: Command[] = [
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
    async run(target, _args, level) {
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
        `DroppedLogs: ${(await target.stats()).droppedLogs ?? 0}`,
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
];
