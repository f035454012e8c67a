// Client certificates on a bind (mTLS): `verify none|optional|required`, `ca-file`, `crl-file`,
// `ca-ignore-err`, `crt-ignore-err` (configuration.txt 5.1). Recorded as written; build.ts puts
// them in the model, src/config/tls-files.ts reads the files.
import type { BindDraft } from '../draft.ts';
import type { ProxyContext } from './types.ts';

/** The error ids of an `*-ignore-err` list: `all` or comma-separated OpenSSL verify error numbers. */
function ignoreList(name: string, value: string): number[] | 'all' | { error: string } {
  if (value === 'all') return 'all';
  const ids = value.split(',');
  if (ids.some((x) => !/^\d+$/.test(x))) return { error: `'${name}' expects 'all' or a comma-separated list of OpenSSL verify error ids (numbers), got '${value}'` };
  return ids.map(Number);
}

/** Words used by a client-verification option at `w` (0: not one), null after an error. */
export function applyClientVerifyOption(ctx: ProxyContext, into: Omit<BindDraft, 'key' | 'host' | 'port'>, w: string, value: string | undefined): number | null {
  const fail = (msg: string): null => {
    ctx.error(msg);
    return null;
  };
  const cv = (): NonNullable<BindDraft['clientVerify']> => (into.clientVerify ??= {});
  switch (w) {
    case 'verify':
      if (value !== 'none' && value !== 'optional' && value !== 'required') return fail(`'verify' expects 'none', 'optional' or 'required', got '${value ?? ''}'`);
      cv().mode = value;
      return 2;
    case 'ca-file':
    case 'crl-file':
      if (value === undefined) return fail(`'${w}' expects a file`);
      if (w === 'ca-file') cv().ca = value;
      else cv().crl = value;
      return 2;
    case 'ca-ignore-err':
    case 'crt-ignore-err': {
      if (value === undefined) return fail(`'${w}' expects 'all' or a list of error ids`);
      const list = ignoreList(w, value);
      if (typeof list === 'object' && 'error' in list) return fail(list.error);
      if (w === 'ca-ignore-err') cv().caIgnore = list;
      else cv().crtIgnore = list;
      return 2;
    }
    case 'ca-sign-file':
    case 'ca-sign-pass':
    case 'ca-verify-file':
      if (value === undefined) return fail(`'${w}' expects a value`);
      ctx.warn(`'${w}' is ignored by handoff (${w === 'ca-verify-file' ? "list every CA in 'ca-file'" : 'certificates are never generated'})`);
      return 2;
    default:
      return 0;
  }
}
