// The code a worker runs is read when its process starts. A reload reconfigures the running
// processes in place unless the code on disk changed since they started: then it starts new ones,
// so `git pull && handoff reload` upgrades the data path without dropping a request.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/** Hash of the size and mtime of every source file under src/. Cheap: ~100 stats. */
export function codeFingerprint(root = SRC): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.js')) {
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (st) parts.push(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(root);
  return createHash('sha1').update(parts.sort().join('|')).digest('hex');
}
