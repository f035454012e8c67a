// What can be known about a unix socket path before binding it: its directory exists and can be
// written, the path fits in sun_path. `handoff check` and a reload then refuse what startup would,
// with FILE:LINE, in HAProxy's words ("cannot bind UNIX socket (No such file or directory) [PATH]").
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { diagnostic } from './diagnostics.ts';
import type { Diagnostic, StatsSocket } from './model.ts';

/** sun_path holds 108 bytes with the terminating NUL; Node silently truncates a longer path. */
export const MAX_UNIX_PATH = 107;

const REASONS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  EADDRINUSE: 'Address already in use',
  EISDIR: 'Is a directory',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
};

/** strerror-like text for a bind/IO error code, as HAProxy prints it in parentheses. */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined ? REASONS[code] : undefined) ?? (err as Error).message ?? String(err);
}

export function cannotBind(path: string, reason: string): string {
  return `cannot bind UNIX socket (${reason}) [${path}]`;
}

/** Why `path` cannot be bound as a unix socket, or null when nothing rules it out. */
export async function unixPathProblem(path: string): Promise<string | null> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_UNIX_PATH) return cannotBind(path, `path too long: ${bytes} bytes, at most ${MAX_UNIX_PATH}`);
  const dir = dirname(path);
  try {
    if (!(await stat(dir)).isDirectory()) return cannotBind(path, REASONS.ENOTDIR as string);
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    return cannotBind(path, reasonOf(err));
  }
  // A leftover socket or file is replaced at bind time; a directory is not.
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) return cannotBind(path, REASONS.EISDIR as string);
  return null;
}

export async function checkStatsSockets(sockets: readonly StatsSocket[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const s of sockets) {
    const problem = await unixPathProblem(s.path);
    if (problem !== null) out.push(diagnostic('error', s.loc, `stats socket: ${problem}`));
  }
  return out;
}
