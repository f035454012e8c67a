// `user` / `group` from the global section: when the master runs as root, workers are forked
// with that uid/gid (the master has already read every file the configuration names, as HAProxy
// does before it drops privileges). Node has no getpwnam, so /etc/passwd and /etc/group are read.
import fs from 'node:fs';

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

export interface Privileges {
  uid?: number;
  gid?: number;
  warnings: string[];
}

export function resolvePrivileges(user: string | undefined, group: string | undefined): Privileges {
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
  return out;
}
