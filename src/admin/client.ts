// Client side of the runtime API (`handoff ctl`): opt in to the status line (`handoff-ctl`, which
// HAProxy clients never send), send one command line, read the answer up to `\0ok` / `\0error`.
import net from 'node:net';
import { CTL_OPT_IN } from './cli-status.ts';

export interface CommandReply {
  ok: boolean;
  output: string;
}

/** Answers each followed by a status (`a;b` gives two): ok when every one is; no status at all is a failure (a refusal). */
export function parseReply(data: string): CommandReply {
  const parts = data.split(/\0(ok|error)\n/);
  if (parts.length === 1) return { ok: false, output: data };
  let ok = true;
  let output = '';
  for (let i = 0; i < parts.length; i += 2) {
    output += parts[i] ?? '';
    if (i + 1 < parts.length && parts[i + 1] !== 'ok') ok = false;
  }
  return { ok, output };
}

export function sendCommand(socketPath: string, line: string, timeoutMs: number): Promise<CommandReply> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let data = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${CTL_OPT_IN}\n${line.replace(/\n/g, ' ')}\n`));
    conn.on('data', (d: string) => (data += d));
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // The master closes a connection it refuses (too many clients, line too long) after its
      // answer; a reset that follows a complete answer is not a failure to reach it.
      if (/\0(ok|error)\n$/.test(data)) return resolve(parseReply(data));
      const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ' (is handoff running? use -S to name its master socket)' : '';
      reject(new Error(`cannot reach the master socket ${socketPath}: ${e.code ?? e.message}${hint}`));
    });
    conn.on('end', () => {
      clearTimeout(timer);
      resolve(parseReply(data));
    });
  });
}
