// `crt-list FILE` (configuration.txt 5.1): one certificate a line, `CERT [[options]] [[!]filter …]`,
// `#` comments and blank lines skipped. The SNI filters replace the certificate's own names for
// SNI selection. Per-certificate options that would change the handshake per name (verify,
// ca-file, ciphers…) are refused rather than silently applied to every name.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { tokenizeLine } from './tokenize.ts';

export interface CrtListEntry {
  /** Absolute path of the PEM. */
  path: string;
  sniFilters: string[];
  line: number;
}

/** Options accepted in `[…]` because they change nothing handoff negotiates (ALPN is http/1.1 only). */
const HARMLESS = new Set(['alpn', 'npn', 'no-ca-names', 'allow-0rtt']);
const WITH_VALUE = new Set(['alpn', 'npn', 'ca-file', 'ca-verify-file', 'ciphers', 'ciphersuites', 'crl-file', 'curves', 'ecdhe', 'verify', 'ssl-min-ver', 'ssl-max-ver', 'ocsp-update']);

export type CrtListResult = { ok: true; entries: CrtListEntry[] } | { ok: false; line: number; message: string };

/** Parse the text of a crt-list; certificate paths resolve against `crtBase` (else `baseDir`). */
export function parseCrtList(text: string, file: string, baseDir: string, crtBase: string | undefined): CrtListResult {
  const entries: CrtListEntry[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const tokens = tokenizeLine(trimmed);
    if (!tokens.ok) return { ok: false, line, message: `crt-list '${file}': ${tokens.error}` };
    const words = tokens.words;
    const cert = words.shift();
    if (cert === undefined) continue;
    let filters = words;
    if (words[0]?.startsWith('[') === true) {
      const end = words.findIndex((w) => w.endsWith(']'));
      if (end === -1) return { ok: false, line, message: `crt-list '${file}': unclosed '[' in the options of '${cert}'` };
      const opts = words.slice(0, end + 1).join(' ').slice(1, -1).trim().split(/\s+/).filter((w) => w !== '');
      filters = words.slice(end + 1);
      for (let k = 0; k < opts.length; k++) {
        const o = opts[k] as string;
        if (!HARMLESS.has(o)) return { ok: false, line, message: `crt-list '${file}': per-certificate '${o}' is not supported by handoff; set it on the bind line (it then applies to every certificate)` };
        if (WITH_VALUE.has(o)) k++;
      }
    }
    const path = isAbsolute(cert) ? cert : crtBase === undefined ? resolve(baseDir, cert) : resolve(baseDir, crtBase, cert);
    entries.push({ path, sniFilters: filters.map((f) => f.toLowerCase()), line });
  }
  return { ok: true, entries };
}

export async function readCrtList(path: string, baseDir: string, crtBase: string | undefined): Promise<CrtListResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, line: 0, message: `cannot open crt-list '${path}': ${e.code === 'ENOENT' ? 'no such file' : (e.message ?? String(err))}` };
  }
  return parseCrtList(text, path, baseDir, crtBase);
}
