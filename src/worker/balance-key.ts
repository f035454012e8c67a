// The request key a hash-based `balance` hashes (`uri`, `url_param`, `hdr`), as HAProxy 2.6 cuts
// it; undefined when the request has none (the picker then falls back to round robin).
import type { Backend, BalanceOptions } from '../config/model.ts';
import { toStr } from './match.ts';
import { compileSample, type SampleContext } from './sample.ts';

/** What the key is read from: the target as rules left it, and the headers sent to the server. */
export interface KeySource extends SampleContext {
  readonly target: string;
}

/** `uri [len N] [depth N] [whole] [path-only]`: up to `?` (unless whole), N characters, N directories. */
export function uriKey(o: BalanceOptions, target: string): string {
  let uri = target;
  if (o.uriPathOnly === true && !uri.startsWith('/')) {
    const scheme = uri.indexOf('://');
    const slash = uri.indexOf('/', scheme === -1 ? 0 : scheme + 3);
    uri = slash === -1 ? '' : uri.slice(slash);
  }
  if (o.uriLen !== undefined) uri = uri.slice(0, o.uriLen);
  let slashes = 0;
  for (let i = 0; i < uri.length; i++) {
    const c = uri[i];
    if (c === '/' && ++slashes === (o.uriDepth ?? -2) + 1) return uri.slice(0, i);
    if (c === '?' && o.uriWhole !== true) return uri.slice(0, i);
  }
  return uri;
}

/** `url_param NAME`: the parameter's value in the query string; none, or empty, is no key. */
export function urlParamKey(name: string, target: string): string | undefined {
  const q = target.indexOf('?');
  if (q === -1) return undefined;
  for (const pair of target.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq) !== name) continue;
    const value = pair.slice(eq + 1);
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** `hdr(NAME) [use_domain_only]`: the header's first value; with use_domain_only, the label before the TLD. */
export function headerKey(o: BalanceOptions, headers: readonly string[]): string | undefined {
  const name = o.header ?? '';
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() !== name) continue;
    const value = ((headers[i + 1] as string).split(',')[0] ?? '').trim();
    if (value === '') return undefined;
    return o.domainOnly === true ? mainDomain(value) : value;
  }
  return undefined;
}

/** `haproxy.1wt.eu` → `1wt`; a name without a dot is taken whole. */
function mainDomain(host: string): string {
  const last = host.lastIndexOf('.');
  if (last === -1) return host;
  const before = host.lastIndexOf('.', last - 1);
  return host.slice(before + 1, last);
}

/** `balance hash EXPR`: the sample's value (also for a tcp backend, on connection fetches);
 * HAProxy hashes it as binary: a string's bytes (an integer's text here, its 8 bytes there). */
export function sampleKey(backend: Backend, ctx: SampleContext): string | undefined {
  const expr = backend.balance === 'hash' ? backend.balanceOptions.expr : undefined;
  const v = expr === undefined ? undefined : compileSample(expr).value(ctx);
  return v === undefined ? undefined : toStr(v);
}

/** The key of this request for `backend`'s algorithm (undefined for the others). */
export function balanceKey(backend: Backend, x: KeySource): string | undefined {
  const o = backend.balanceOptions;
  switch (backend.balance) {
    case 'uri':
      return uriKey(o, x.target);
    case 'url_param':
      return urlParamKey(o.param ?? '', x.target);
    case 'hdr':
      return headerKey(o, x.upstreamHeaders);
    case 'hash':
      return sampleKey(backend, x);
    default:
      return undefined;
  }
}
