// Dynamic servers and frontends without a reload: add server, del server, disable/enable/shutdown
// frontend — HAProxy 2.6's syntax, answers and error messages (management.txt §9.3).
import { CommandError, type Command } from '../command.ts';
import type { AdminAnswer } from '../target.ts';

/** HAProxy splits `BACKEND/SERVER` at its first '/'. */
export function backendServer(arg: string | undefined): { backend: string; server: string } {
  const slash = arg?.indexOf('/') ?? -1;
  if (arg === undefined || slash === -1 || slash === arg.length - 1) throw new CommandError("Require 'backend/server'.");
  return { backend: arg.slice(0, slash), server: arg.slice(slash + 1) };
}

/** An answer as the command's output: HAProxy's message on its own line, or an error. */
export function answerOf(a: AdminAnswer): string {
  if (!a.ok) throw new CommandError(a.message);
  return a.message === '' ? '' : `${a.message}\n`;
}

function frontendName(arg: string | undefined): string {
  if (arg === undefined || arg === '') throw new CommandError('A frontend name is expected.');
  return arg;
}

export const dynamicCommands: Command[] = [
  {
    usage: 'add server <bk>/<srv> <addr>[:<port>] [args]*',
    help: 'create a new server (in maintenance: enable server puts it in service; kept across reloads)',
    level: 'admin',
    run(target, args) {
      const { backend, server } = backendServer(args[2]);
      return answerOf(target.addServer(backend, server, args.slice(3)));
    },
  },
  {
    usage: 'del server <bk>/<srv>',
    help: 'remove a server (in maintenance, without sessions)',
    level: 'admin',
    async run(target, args) {
      const { backend, server } = backendServer(args[2]);
      return answerOf(await target.delServer(backend, server));
    },
  },
  {
    usage: 'disable frontend <frontend>',
    help: 'temporarily disable specific frontend',
    level: 'admin',
    async run(target, args) {
      return answerOf(await target.frontend(frontendName(args[2]), 'disable'));
    },
  },
  {
    usage: 'enable frontend <frontend>',
    help: 're-enable specific frontend',
    level: 'admin',
    async run(target, args) {
      return answerOf(await target.frontend(frontendName(args[2]), 'enable'));
    },
  },
  {
    usage: 'shutdown frontend <frontend>',
    help: 'stop a specific frontend',
    level: 'admin',
    async run(target, args) {
      return answerOf(await target.frontend(frontendName(args[2]), 'shutdown'));
    },
  },
];
