// The payload files of `return … file F` / `lf-file F` (and deny, tarpit): read by the master at
// load, like errorfiles, and limited to a buffer as HAProxy limits them (`tune.bufsize`).
import { readFile, stat } from 'node:fs/promises';
import type { Diagnostic, Location, ReplyBody } from './model.ts';
import { diagnostic } from './diagnostics.ts';
import { parseTemplate } from './template.ts';

/** A payload file to read into its reply's body. */
export interface PayloadRef {
  body: Exclude<ReplyBody, { kind: 'none' }>;
  /** Resolved path. */
  path: string;
  loc: Location;
}

/** Read every payload file; each problem is a diagnostic at the rule's line. */
export async function loadPayloads(refs: readonly PayloadRef[], maxBytes: number, diagnostics: Diagnostic[]): Promise<void> {
  for (const ref of refs) {
    let text: string;
    try {
      const st = await stat(ref.path);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > maxBytes) {
        diagnostics.push(diagnostic('error', ref.loc, `file '${ref.path}' exceeds the buffer size (${st.size} > ${maxBytes})`));
        continue;
      }
      text = await readFile(ref.path, 'latin1');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      diagnostics.push(diagnostic('error', ref.loc, `error opening file '${ref.path}': ${e.code === 'ENOENT' ? 'no such file' : e.message}`));
      continue;
    }
    if (ref.body.kind === 'raw') {
      ref.body.text = text;
      continue;
    }
    const t = parseTemplate(text);
    if (!t.ok) diagnostics.push(diagnostic('error', ref.loc, `lf-file '${ref.path}': ${t.error}`));
    else ref.body.template = t.value;
  }
}
