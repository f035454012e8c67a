// `handoff reload`: ask the running master to reload and wait for the outcome.
import path from 'node:path';
import { parseFlags, durationFlag } from './args.ts';
import { sendCommand } from '../admin/client.ts';
import { defaultSocketPath } from '../admin/control-socket.ts';

export const usage = `usage: handoff reload [-S SOCKET] [--full] [--timeout DURATION]

Ask the running master to reload its configuration, and wait for the outcome: the new
configuration is validated and prepared as a new generation on the same listening sockets, and
only when every worker is ready with it does the new generation take over; what the old one still
carries drains.

By default the running worker processes build the new configuration beside the current one and
switch to it (warm code, no fork); new processes are started when the code on disk changed since
they started, when the number of workers changed, or with --full.

Prints 'reload succeeded (generation N, took X ms)' and exits 0, or prints the validation or
startup error (FILE:LINE: …) and exits 1; the previous generation keeps serving in that case.

options:
  -S, --socket PATH       the master socket (default: ${defaultSocketPath()})
  --full                  start new worker processes even if the code is unchanged
  --timeout DURATION      give up waiting after this long (default 60s)
`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { socket: { type: 'string', short: 'S' }, full: { type: 'boolean' }, timeout: { type: 'string' } }, false);
  const socket = path.resolve(values.socket ?? defaultSocketPath());
  try {
    const r = await sendCommand(socket, values.full === true ? 'reload full' : 'reload', durationFlag('--timeout', values.timeout, 's') ?? 60_000);
    (r.ok ? process.stdout : process.stderr).write(r.output);
    return r.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`handoff reload: ${(err as Error).message}\n`);
    return 1;
  }
}
