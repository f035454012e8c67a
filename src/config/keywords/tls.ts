// TLS protocol options, shared by `ssl-default-bind-options` (global) and `bind … ssl` lines, and
// the resolution of version flags into the min/max range Node.js takes. Like HAProxy 2.2+,
// handoff defaults to TLSv1.2..TLSv1.3.
import { didYouMean } from '../suggest.ts';
import type { TlsOptionsDraft } from '../draft.ts';
import type { TlsVersion } from '../model.ts';
import type { Parsed } from '../units.ts';
import type { GlobalKeyword } from './types.ts';

export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
export const DEFAULT_MIN_VERSION: TlsVersion = 'TLSv1.2';
export const DEFAULT_MAX_VERSION: TlsVersion = 'TLSv1.3';

const FLAG_VERSIONS: Record<string, TlsVersion> = { tlsv10: 'TLSv1', tlsv11: 'TLSv1.1', tlsv12: 'TLSv1.2', tlsv13: 'TLSv1.3' };
const NAMED_VERSIONS: Record<string, TlsVersion> = { 'TLSv1.0': 'TLSv1', TLSv1: 'TLSv1', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

export type TlsOptionResult = { consumed: number; warning?: string } | { error: string } | undefined;

/**
 * Apply the TLS option at `words[i]` to `opts`. Returns how many words it used, an error, or
 * undefined when the word is not a TLS protocol option (the caller handles it).
 */
export function applyTlsOption(opts: TlsOptionsDraft, words: readonly string[], i: number): TlsOptionResult {
  const w = words[i] as string;
  if (w === 'no-sslv3') return { consumed: 1 }; // Node.js never offers SSLv3.
  if (w === 'force-sslv3') return { error: "'force-sslv3' is not supported: SSLv3 is disabled in Node.js" };
  if (w === 'no-tls-tickets') {
    opts.noTlsTickets = true;
    return { consumed: 1 };
  }
  if (w === 'tls-tickets') {
    opts.noTlsTickets = false;
    return { consumed: 1 };
  }
  const m = /^(no|force)-(tlsv1[0-3])$/.exec(w);
  if (m !== null) {
    const version = FLAG_VERSIONS[m[2] as string] as TlsVersion;
    if (m[1] === 'no') {
      if (!opts.disabled.includes(version)) opts.disabled.push(version);
    } else {
      opts.force = version;
    }
    return { consumed: 1 };
  }
  if (w === 'ssl-min-ver' || w === 'ssl-max-ver') {
    const value = words[i + 1];
    const version = value === undefined ? undefined : NAMED_VERSIONS[value];
    if (version === undefined) {
      if (value === 'SSLv3') return { error: `'${w} SSLv3' is not supported: SSLv3 is disabled in Node.js` };
      return { error: `'${w}' expects TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3, got '${value ?? ''}'` };
    }
    if (w === 'ssl-min-ver') opts.minVersion = version;
    else opts.maxVersion = version;
    return { consumed: 2 };
  }
  if (w === 'ciphers' || w === 'ciphersuites') {
    const value = words[i + 1];
    if (value === undefined) return { error: `'${w}' expects a cipher list` };
    if (w === 'ciphers') opts.ciphers = value;
    else opts.ciphersuites = value;
    return { consumed: 2 };
  }
  if (w === 'prefer-client-ciphers') {
    opts.preferClientCiphers = true;
    return { consumed: 1 };
  }
  if (w === 'strict-sni') {
    opts.strictSni = true;
    return { consumed: 1 };
  }
  if (w === 'no-ca-names' || w === 'allow-0rtt') {
    return { consumed: 1, warning: `'${w}' is ignored by handoff` };
  }
  if (w === 'curves' || w === 'ecdhe' || w === 'sigalgs' || w === 'client-sigalgs') {
    const value = words[i + 1];
    if (value === undefined) return { error: `'${w}' expects a value` };
    if (w === 'sigalgs') opts.sigalgs = value;
    else if (w === 'client-sigalgs') return { consumed: 2, warning: "'client-sigalgs' is ignored by handoff: client certificates are verified with OpenSSL's default signature algorithms" };
    else opts.curves = value;
    return { consumed: 2 };
  }
  return undefined;
}

/** Merge bind-level options over the global `ssl-default-bind-*` ones. */
export function mergeTlsOptions(defaults: TlsOptionsDraft, bind: TlsOptionsDraft): TlsOptionsDraft {
  const merged: TlsOptionsDraft = {
    disabled: [...new Set([...defaults.disabled, ...bind.disabled])],
    noTlsTickets: defaults.noTlsTickets || bind.noTlsTickets,
  };
  const min = bind.minVersion ?? defaults.minVersion;
  const max = bind.maxVersion ?? defaults.maxVersion;
  const force = bind.force ?? defaults.force;
  const ciphers = bind.ciphers ?? defaults.ciphers;
  const ciphersuites = bind.ciphersuites ?? defaults.ciphersuites;
  const curves = bind.curves ?? defaults.curves;
  const sigalgs = bind.sigalgs ?? defaults.sigalgs;
  if (bind.preferClientCiphers === true || defaults.preferClientCiphers === true) merged.preferClientCiphers = true;
  if (bind.strictSni === true || defaults.strictSni === true) merged.strictSni = true;
  if (curves !== undefined) merged.curves = curves;
  if (sigalgs !== undefined) merged.sigalgs = sigalgs;
  if (min !== undefined) merged.minVersion = min;
  if (max !== undefined) merged.maxVersion = max;
  if (force !== undefined) merged.force = force;
  if (ciphers !== undefined) merged.ciphers = ciphers;
  if (ciphersuites !== undefined) merged.ciphersuites = ciphersuites;
  return merged;
}

/**
 * Resolve version flags to the contiguous range Node.js needs: ssl-min-ver..ssl-max-ver when either
 * is set (HAProxy then ignores `no-tlsvXX`), else TLSv1.2..TLSv1.3 minus `no-tlsvXX`; `force-tlsvXX`
 * keeps only that version. A hole in
 * the middle keeps the highest contiguous block (with a warning), as OpenSSL cannot skip a version.
 */
export function resolveTlsVersions(opts: TlsOptionsDraft): Parsed<{ min: TlsVersion; max: TlsVersion }> & { warning?: string } {
  let enabled: TlsVersion[];
  let ignoredFlags: string | undefined;
  if (opts.force !== undefined) {
    enabled = [opts.force];
  } else {
    const lo = TLS_VERSIONS.indexOf(opts.minVersion ?? DEFAULT_MIN_VERSION);
    const hi = TLS_VERSIONS.indexOf(opts.maxVersion ?? DEFAULT_MAX_VERSION);
    if (lo > hi) return { ok: false, error: `ssl-min-ver ${opts.minVersion ?? DEFAULT_MIN_VERSION} is above ssl-max-ver ${opts.maxVersion ?? DEFAULT_MAX_VERSION}` };
    enabled = TLS_VERSIONS.slice(lo, hi + 1);
    // HAProxy ignores no-tlsv1x once ssl-min-ver/ssl-max-ver is given; so does handoff.
    if (opts.minVersion === undefined && opts.maxVersion === undefined) enabled = enabled.filter((v) => !opts.disabled.includes(v));
    else if (opts.disabled.length > 0) {
      ignoredFlags = 'no-tlsv1x options are ignored when ssl-min-ver or ssl-max-ver is set; use only ssl-min-ver and ssl-max-ver';
    }
  }
  if (enabled.length === 0) return { ok: false, error: 'the TLS options leave no protocol version enabled' };
  const top = enabled[enabled.length - 1] as TlsVersion;
  let bottom = top;
  for (let k = enabled.length - 2; k >= 0; k--) {
    const v = enabled[k] as TlsVersion;
    if (TLS_VERSIONS.indexOf(v) !== TLS_VERSIONS.indexOf(bottom) - 1) break;
    bottom = v;
  }
  const result = { ok: true as const, value: { min: bottom, max: top } };
  if (bottom !== enabled[0]) {
    return { ...result, warning: `TLS versions ${enabled.join(', ')} are not contiguous; handoff enables ${bottom}..${top}` };
  }
  return ignoredFlags === undefined ? result : { ...result, warning: ignoredFlags };
}

function defaultBindOptions(ctx: Parameters<GlobalKeyword['parse']>[0]): void {
  const opts = ctx.global.sslDefaultBind;
  for (let i = 0; i < ctx.args.length; ) {
    const r = applyTlsOption(opts, ctx.args, i);
    if (r === undefined) {
      const w = ctx.args[i] ?? '';
      return ctx.error(`unknown option '${w}' in 'ssl-default-bind-options'${didYouMean(w, ['no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'ssl-min-ver', 'ssl-max-ver', 'no-tls-tickets', 'force-tlsv12', 'force-tlsv13', 'prefer-client-ciphers'])}`);
    } else if ('error' in r) {
      return ctx.error(r.error);
    } else {
      if (r.warning !== undefined) ctx.warn(r.warning);
      i += r.consumed;
    }
  }
}

/** `ssl-default-server-options`: the protocol versions and tickets of every `ssl` server. */
function defaultServerOptions(ctx: Parameters<GlobalKeyword['parse']>[0]): void {
  const opts = emptyTlsOptionsDraft();
  for (let i = 0; i < ctx.args.length; ) {
    const r = applyTlsOption(opts, ctx.args, i);
    if (r === undefined || 'error' in r) {
      return ctx.error(r !== undefined ? r.error : `unknown option '${ctx.args[i] ?? ''}' in 'ssl-default-server-options'`);
    }
    i += r.consumed;
  }
  const range = resolveTlsVersions(opts);
  if (!range.ok) return ctx.error(range.error);
  const d = (ctx.global.config.sslDefaultServer ??= {});
  if (range.value.min !== DEFAULT_MIN_VERSION) d.minVersion = range.value.min;
  if (range.value.max !== DEFAULT_MAX_VERSION) d.maxVersion = range.value.max;
  if (opts.noTlsTickets) d.noTlsTickets = true;
}

function emptyTlsOptionsDraft(): TlsOptionsDraft {
  return { disabled: [], noTlsTickets: false };
}

export const globalKeywords: GlobalKeyword[] = [
  { name: 'ssl-default-server-options', parse: defaultServerOptions },
  {
    name: 'ssl-server-verify',
    parse(ctx) {
      const v = ctx.args[0];
      if (ctx.args.length !== 1 || (v !== 'none' && v !== 'required')) return ctx.error("'ssl-server-verify' expects 'none' or 'required'");
      ctx.global.config.sslServerVerify = v;
    },
  },
  {
    name: 'ssl-default-server-ciphers',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-server-ciphers' expects one cipher list (colon-separated)");
      (ctx.global.config.sslDefaultServer ??= {}).ciphers = ctx.args[0] as string;
    },
  },
  {
    name: 'ssl-default-server-ciphersuites',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-server-ciphersuites' expects one list (colon-separated)");
      (ctx.global.config.sslDefaultServer ??= {}).ciphersuites = ctx.args[0] as string;
    },
  },
  { name: 'ssl-default-bind-options', parse: defaultBindOptions },
  {
    name: 'ssl-default-bind-ciphers',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-bind-ciphers' expects one cipher list (colon-separated)");
      ctx.global.sslDefaultBind.ciphers = ctx.args[0] as string;
    },
  },
  {
    name: 'ssl-default-bind-curves',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-bind-curves' expects one list (colon-separated)");
      ctx.global.sslDefaultBind.curves = ctx.args[0] as string;
    },
  },
  {
    name: 'ssl-default-bind-sigalgs',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-bind-sigalgs' expects one list (colon-separated)");
      ctx.global.sslDefaultBind.sigalgs = ctx.args[0] as string;
    },
  },
  {
    name: 'ssl-default-bind-ciphersuites',
    parse(ctx) {
      if (ctx.args.length !== 1) return ctx.error("'ssl-default-bind-ciphersuites' expects one list (colon-separated)");
      ctx.global.sslDefaultBind.ciphersuites = ctx.args[0] as string;
    },
  },
];
