// `user` / `group` from the global section: when the master runs as root, workers are forked
// with that uid/gid (the master has already read every file the configuration names, as HAProxy
// does before it drops privileges). Node has no getpwnam, so /etc/passwd and /etc/group are read.
import fs from 'node:fs';
import path from 'node:path';

function lookup(file: string, name: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  if (/^\d+$/.test(name)) return Number(name);
  return undefined;
}

/** Whether uid/gid may read `file` (every directory on the way searchable), by mode bits. */
export function readableBy(file: string, uid: number, gid: number): boolean {
  const allowed = (st: fs.Stats, bit: number) =>
    uid === 0 || (st.uid === uid ? (st.mode >> 6) & bit : st.gid === gid ? (st.mode >> 3) & bit : st.mode & bit) !== 0;
  const abs = path.resolve(file);
  const parts = abs.split(path.sep).filter((p) => p !== '');
  let dir: string = path.sep;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (st === undefined || !allowed(st, 1)) return false;
  }
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  return st !== undefined && allowed(st, 4);
}

export interface Privileges {
  uid?: number;
  gid?: number;
  warnings: string[];
}

/**
 * Resolve `user`/`group`. `mustRead` are files the workers load after the drop (their code, the
 * Node.js binary): if the target identity cannot read one, dropping would only make every worker
 * fail to start, so it is not done and a warning says why.
 */
export function resolvePrivileges(user: string | undefined, group: string | undefined, mustRead: string[] = []): Privileges {
  const out: Privileges = { warnings: [] };
  if (user === undefined && group === undefined) return out;
  if (process.getuid?.() !== 0) {
    out.warnings.push(`'user'/'group' ignored: handoff is not running as root`);
    return out;
  }
  if (group !== undefined) {
    const gid = lookup('/etc/group', group);
    if (gid === undefined) out.warnings.push(`group '${group}' does not exist; workers keep the master's group`);
    else out.gid = gid;
  }
  if (user !== undefined) {
    const uid = lookup('/etc/passwd', user);
    if (uid === undefined) out.warnings.push(`user '${user}' does not exist; workers keep running as root`);
    else out.uid = uid;
  }
  const uid = out.uid ?? 0;
  const gid = out.gid ?? 0;
  const unreadable = mustRead.find((f) => !readableBy(f, uid, gid));
  if (unreadable !== undefined && (out.uid !== undefined || out.gid !== undefined)) {
    out.warnings.push(`'user ${user ?? 'root'}'/'group ${group ?? 'root'}' cannot read ${unreadable}; workers keep running as root (make handoff's directory readable to apply the drop)`);
    delete out.uid;
    delete out.gid;
  }
  return out;
}
