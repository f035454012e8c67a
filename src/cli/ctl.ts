// `handoff ctl`: one runtime-API command over the master socket.
import path from 'node:path';
import { parseFlags, durationFlag, UsageError } from './args.ts';
import { sendCommand } from '../admin/client.ts';
import { defaultSocketPath } from '../admin/control-socket.ts';

export const usage = `usage: handoff ctl [-S SOCKET] 'COMMAND[;COMMAND…]'

Send a command line to the running master's runtime API (HAProxy's CLI protocol) and print the
answers. Exit status 0 when every command succeeded, 1 otherwise (the answer on stderr).
Several commands are separated by ';' (a '\\;' is a ';' inside a word).

commands (the socket's 'help' lists them all, in HAProxy's layout):
  help [WORDS]                                the commands, or those starting with WORDS
  show info [desc|json|typed|float]           HAProxy's fields, then generation, reloads, workers
  show proc                                   master and worker processes (HAProxy's layout)
  @1 COMMAND / @!PID COMMAND                  answered as that worker (show info: its Pid)
  show version / show env [NAME] / show activity / show cli sockets / show cli level
  show stat [json]                            counters (HAProxy CSV columns), kept across reloads
  show servers state [BACKEND]                HAProxy's server state file (server-state-file)
  show servers conn [BACKEND] / show backend  servers' connections / backend names
  get weight BACKEND/SERVER                   current and initial weight
  set server BACKEND/SERVER state ready|drain|maint | weight N[%] | addr IP [port P] |
             port P | health up|stopping|down | check-port P | maxconn N
  set weight BACKEND/SERVER N[%] / set maxconn server BACKEND/SERVER N
  disable|enable server|health BACKEND/SERVER
  reload                                      the same as 'handoff reload'
  add server BACKEND/SERVER ADDR [OPTIONS]    a new server (in maintenance), kept across reloads
  del server BACKEND/SERVER                   remove a server in maintenance without sessions
  show sess [ID] / shutdown session ID        streams of every worker / end one
  shutdown sessions server BACKEND/SERVER     end every session with a server
  disable|enable|shutdown frontend NAME       stop or resume accepting, without a reload
  show errors                                 HAProxy's form (handoff captures none)

HAProxy's tools work on the same sockets: echo 'show info' | socat stdio SOCKET, hatop -s SOCKET.

options:
  -S, --socket PATH       the master socket (default: ${defaultSocketPath()})
  --timeout DURATION      give up waiting after this long (default 60s)
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { socket: { type: 'string', short: 'S' }, timeout: { type: 'string' } });
  if (positionals.length === 0) throw new UsageError('missing COMMAND');
  const socket = path.resolve(values.socket ?? defaultSocketPath());
  try {
    const r = await sendCommand(socket, positionals.join(' '), durationFlag('--timeout', values.timeout, 's') ?? 60_000);
    (r.ok ? process.stdout : process.stderr).write(r.output);
    return r.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`handoff ctl: ${(err as Error).message}\n`);
    return 1;
  }
}
