// Unix-socket servers for the runtime API: the master socket (`-S`, level admin) and every
// `stats socket` of the configuration. One command per connection line; the answer, then close
// (as HAProxy's non-interactive CLI). The first byte of the answer tells success: handoff's
// clients read a trailing status line `\0ok` / `\0error` that HAProxy clients would ignore.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { Master } from './master.ts';
import { executeCommand, type AccessLevel } from '../admin/commands.ts';

export const STATUS_OK = '\0ok\n';
export const STATUS_ERROR = '\0error\n';

export interface ControlSocket {
  path: string;
  close(): void;
}

export async function openControlSocket(master: Master, socketPath: string, level: AccessLevel, mode?: number): Promise<ControlSocket> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  // A leftover socket file is replaced. A legacy `-sf` successor takes the path over while the old
  // master keeps serving on its already-open socket until it exits.
  try {
    fs.unlinkSync(socketPath);
  } catch {
    /* absent */
  }
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', async (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      conn.pause();
      const r = await executeCommand(master, line, level);
      conn.end(r.output + (r.ok ? STATUS_OK : STATUS_ERROR));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (mode !== undefined) fs.chmodSync(socketPath, mode);
  const ino = fs.statSync(socketPath).ino;
  return {
    path: socketPath,
    close() {
      server.close();
      // Only remove the path if it is still ours (a legacy successor may have replaced it).
      try {
        if (fs.statSync(socketPath).ino === ino) fs.unlinkSync(socketPath);
      } catch {
        /* gone */
      }
    },
  };
}

export function defaultSocketPath(): string {
  const base = process.getuid?.() === 0 ? '/run/handoff' : path.join(process.env.XDG_RUNTIME_DIR ?? `/tmp/handoff-${process.getuid?.() ?? 0}`, 'handoff');
  return path.join(base, 'master.sock');
}
