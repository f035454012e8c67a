// A unix-socket listener's file, as HAProxy handles it: bound under a temporary name next to the
// path, given its mode and owner there, then renamed over the path (atomically replacing a previous
// instance's socket, so a client never finds no socket, nor one with the wrong mode). handoff
// renames only once a generation accepts on it (`publish`), so a legacy `-sf` successor that fails
// to start leaves the running instance's socket in place. The kernel socket is then kept for as
// long as the configuration names the path, like a TCP listener: reloads never rebind it.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { UnixSocketFile } from '../config/model.ts';
import { cannotBind, reasonOf } from '../config/stats-sockets.ts';

/** libuv pipe handle as created by Node's internal `net._createServerHandle` (bound, not listening). */
export interface PipeHandle {
  close(cb?: () => void): void;
  readonly fd: number;
}

type CreatePipeHandle = (path: string, port: -1, addressType: -1, fd: undefined, flags: 0) => PipeHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreatePipeHandle })._createServerHandle;

export interface UnixListenerFile {
  readonly handle: PipeHandle;
  /** Rename the temporary name over the path; null, or why it could not be done. */
  publish(): string | null;
  /** Apply a reload's mode and owner to the file now; null, or why not. */
  update(file: UnixSocketFile): string | null;
  /** Close the master's copy and remove the path if it is still this socket (a `-sf` successor's is left alone). */
  close(): void;
}

/** The error of a failed bind; libuv reports a missing directory as EACCES (for Windows' sake). */
function bindFailure(name: string, code: number): NodeJS.ErrnoException {
  let errno = Object.entries(os.constants.errno).find(([, v]) => v === -code)?.[0] ?? `error ${code}`;
  if (errno === 'EACCES' && !fs.existsSync(path.dirname(name))) errno = 'ENOENT';
  return Object.assign(new Error(errno), { code: errno });
}

/** The temporary name: fits in sun_path for any path the configuration accepts (97 bytes). */
export function temporaryName(path: string): string {
  return `${path}.${process.pid.toString(36)}.tmp`;
}

/** chown then chmod, as HAProxy does; HAProxy's words for either failing. */
function applySettings(name: string, file: UnixSocketFile): string | null {
  try {
    if (file.uid !== undefined || file.gid !== undefined) fs.chownSync(name, file.uid ?? -1, file.gid ?? -1);
    if (file.mode !== undefined) fs.chmodSync(name, file.mode);
    return null;
  } catch (err) {
    return `cannot change UNIX socket ownership (${reasonOf(err)}) [${file.path}]`;
  }
}

/** Bind `file.path`'s temporary name with the file's settings, or say why not (HAProxy's words). */
export function bindUnixListener(file: UnixSocketFile): UnixListenerFile | string {
  let settings = file;
  const tmp = temporaryName(file.path);
  // A leftover of a process that was killed: ours by name (pid), never in use.
  try {
    fs.rmSync(tmp, { force: true });
  } catch {
    // a directory by that name: the bind reports it
  }
  const handle = createServerHandle(tmp, -1, -1, undefined, 0);
  if (typeof handle === 'number') return cannotBind(file.path, reasonOf(bindFailure(tmp, handle)));
  const problem = applySettings(tmp, file);
  if (problem !== null) {
    handle.close(); // libuv unlinks the name it bound
    return problem;
  }
  let published: { ino: number; dev: number } | undefined;
  const ours = (): boolean => {
    const st = fs.statSync(file.path, { throwIfNoEntry: false });
    return published !== undefined && st !== undefined && st.ino === published.ino && st.dev === published.dev;
  };
  return {
    handle,
    publish() {
      if (published !== undefined) return null;
      try {
        fs.renameSync(tmp, file.path);
        const st = fs.statSync(file.path);
        published = { ino: st.ino, dev: st.dev };
        return null;
      } catch (err) {
        return `cannot switch final and temporary UNIX sockets (${reasonOf(err)}) [${file.path}]`;
      }
    },
    update(next) {
      const same = next.mode === settings.mode && next.uid === settings.uid && next.gid === settings.gid;
      settings = next;
      if (same) return null;
      if (published === undefined) return applySettings(tmp, next);
      return ours() ? applySettings(file.path, next) : null;
    },
    close() {
      const remove = ours();
      handle.close();
      if (remove) fs.rmSync(file.path, { force: true });
    },
  };
}
