// Server commands: show servers state, set server, set weight, enable/disable server.
import { CommandError, serverArg, type Command } from '../command.ts';

export const serverCommands: Command[] = [
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
