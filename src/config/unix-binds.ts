// What can be known of a unix-socket bind's path before binding it (its directory exists and can
// be written, it is not a directory): `handoff check` and a reload refuse what startup would, at
// the bind's FILE:LINE, in HAProxy's words.
import { diagnostic } from './diagnostics.ts';
import type { Diagnostic, Frontend } from './model.ts';
import { unixPathProblem } from './stats-sockets.ts';

export async function checkUnixBinds(frontends: readonly Frontend[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const f of frontends) {
    for (const b of f.binds) {
      if (b.unix === undefined) continue;
      const problem = await unixPathProblem(b.unix.path);
      if (problem !== null) out.push(diagnostic('error', b.loc, `frontend '${f.name}': ${problem}`));
    }
  }
  return out;
}
