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

/** Where a `stats socket` listens: a unix path or a TCP address. */
export type SocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; family: 'ipv4' | 'ipv6'; host: string; port: number };

function tcpAddress(family: 'ipv4' | 'ipv6', hostPort: string, spec: string): SocketAddress | string {
  const m = /^(?:\[([^\]]*)\]|(.*)):(\d+)$/.exec(hostPort);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) return `invalid address '${spec}': expects HOST:PORT with a port from 1 to 65535`;
  const raw = m[1] ?? m[2] ?? '';
  const host = raw === '' || raw === '*' ? (family === 'ipv6' ? '::' : '0.0.0.0') : raw;
  return { kind: 'tcp', family, host, port };
}

/** `/path`, `unix@/path`, `ipv4@HOST:PORT`, `ipv6@HOST:PORT`, `HOST:PORT`; or why not. */
export function parseSocketAddress(spec: string): SocketAddress | string {
  if (spec.startsWith('unix@')) return { kind: 'unix', path: spec.slice(5) };
  if (spec.startsWith('ipv4@')) return tcpAddress('ipv4', spec.slice(5), spec);
  if (spec.startsWith('ipv6@')) return tcpAddress('ipv6', spec.slice(5), spec);
  if (spec.startsWith('/') || spec.startsWith('./') || spec.startsWith('../')) return { kind: 'unix', path: spec };
  if (/^\[.*\]:\d+$/.test(spec)) return tcpAddress('ipv6', spec, spec);
  if (/^(\d{1,3}(\.\d{1,3}){3}|\*|localhost)?:\d+$/.test(spec)) return tcpAddress('ipv4', spec, spec);
  return `unsupported address '${spec}': expects a unix path, unix@PATH, ipv4@HOST:PORT, ipv6@HOST:PORT or HOST:PORT`;
}

export async function checkStatsSockets(sockets: readonly StatsSocket[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const s of sockets) {
    const addr = parseSocketAddress(s.path);
    if (typeof addr === 'string' || addr.kind !== 'unix') continue; // a TCP port is checked at bind
    const problem = await unixPathProblem(s.path);
    if (problem !== null) out.push(diagnostic('error', s.loc, `stats socket: ${problem}`));
  }
  return out;
}
