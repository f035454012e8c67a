// The CLI session's own commands, as HAProxy's: its level (`show cli level`, `operator`, `user`),
// its sockets, its idle timeout; and, on the master socket, the `@` prefixes `help` lists (the
// session handles them: src/admin/cli-session.ts).
import { CommandError, RANK, type AccessLevel, type Command } from '../command.ts';
import { parseTime } from '../../config/units.ts';

function lowerTo(level: AccessLevel): Command['run'] {
  return (_target, _args, _level, ctx) => {
    if (RANK[ctx.level] < RANK[level]) throw new CommandError('Permission denied');
    ctx.setLevel(level);
    return '';
  };
}

export const cliCommands: Command[] = [
  { usage: '@!<pid>', help: 'send a command to the <pid> process', level: 'user', masterOnly: true, run: () => '' },
  { usage: '@<relative pid>', help: 'send a command to the <relative pid> process', level: 'user', masterOnly: true, run: () => '' },
  { usage: '@master', help: 'send a command to the master process', level: 'user', masterOnly: true, run: () => '' },
  { usage: 'operator', help: 'lower the level of the current CLI session to operator', level: 'user', run: lowerTo('operator') },
  { usage: 'user', help: 'lower the level of the current CLI session to user', level: 'user', run: lowerTo('user') },
  { usage: 'show cli level', help: 'display the level of the current CLI session', level: 'user', run: (_t, _a, level) => `${level}\n` },
  {
    usage: 'show cli sockets',
    help: 'dump list of cli sockets',
    level: 'user',
    run: (_t, _a, _l, ctx) => `# socket lvl processes\n${ctx.sockets().map((s) => `${s.address} ${s.level} all\n`).join('')}`,
  },
  {
    usage: 'set timeout [cli] <delay>',
    help: 'change a timeout setting',
    level: 'user',
    run(_t, args, _l, ctx) {
      if (args[2] !== 'cli') throw new CommandError("'set timeout' only supports 'cli'.");
      if (args[3] === undefined) throw new CommandError('Expects an integer value.');
      // A bare number is seconds here (HAProxy's TIME_UNIT_S); under a second is refused.
      const t = parseTime(/^\d+$/.test(args[3]) ? `${args[3]}s` : args[3]);
      const ms = t.ok ? t.value : 0;
      if (ms < 1000) throw new CommandError('Invalid timeout value.');
      ctx.setTimeout(ms);
      return '';
    },
  },
];
