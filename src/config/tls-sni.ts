// Several certificates on one bind, as HAProxy serves them: the first is the default (clients
// without SNI, or naming no certificate), the others are chosen by the SNI name against each
// certificate's names (subjectAltName DNS entries, else the subject CN), exact names before
// wildcards (`*.example.com` matches one label). Certificates with the same names share one
// context, so an RSA and an ECDSA certificate for one site are offered together.
import type { X509Certificate } from 'node:crypto';
import { cryptoModule } from './lazy-builtins.ts';
import type tls from 'node:tls';
import type { TlsCertificate } from './model.ts';

/** The names a certificate answers for, lower-cased. */
export function certificateNames(pem: string): string[] {
  let cert: X509Certificate;
  try {
    cert = new (cryptoModule().X509Certificate)(pem);
  } catch {
    return [];
  }
  const san = (cert.subjectAltName ?? '').split(', ').filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase());
  if (san.length > 0) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn === undefined ? [] : [cn.toLowerCase()];
}

export type SniSelector = (servername: string) => tls.SecureContext | undefined;

/** The names SNI chooses a certificate by: a crt-list line's filters (`!name` excludes, `!*` keeps
 * none of its own names), else the certificate's. */
function selectionNames(c: TlsCertificate): { names: string[]; excluded: string[] } {
  const filters = c.sniFilters ?? [];
  const positive = filters.filter((f) => !f.startsWith('!'));
  const excluded = filters.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  const own = positive.length > 0 ? positive : excluded.includes('*') ? [] : certificateNames(c.pem);
  return { names: own.filter((n) => !excluded.includes(n)), excluded: excluded.filter((n) => n !== '*') };
}

/** Group the certificates by their names; the group holding the first certificate is the default. */
export function groupByNames(certs: readonly TlsCertificate[]): { names: string[]; excluded: string[]; certs: TlsCertificate[] }[] {
  const groups = new Map<string, { names: string[]; excluded: string[]; certs: TlsCertificate[] }>();
  for (const c of certs) {
    const { names, excluded } = selectionNames(c);
    const key = `${[...names].sort().join(' ')}!${[...excluded].sort().join(' ')}`;
    const g = groups.get(key) ?? { names, excluded, certs: [] };
    g.certs.push(c);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** The SNI selector: the context whose names match (null when there is only one group and `strict`
 * is off: the default serves every name). With `strict-sni`, undefined means refuse. */
export function sniSelector(groups: readonly { names: string[]; excluded?: string[]; context: tls.SecureContext }[], strict = false): SniSelector | null {
  if (groups.length < 2 && !strict) return null;
  const exact = new Map<string, tls.SecureContext>();
  const wildcard = new Map<string, tls.SecureContext>();
  // `!name` on a crt-list line: that name never picks the line's certificate (through a wildcard).
  const excluded = new Map<tls.SecureContext, Set<string>>();
  for (const g of groups) {
    if (g.excluded !== undefined && g.excluded.length > 0) excluded.set(g.context, new Set(g.excluded));
    for (const n of g.names) {
      const table = n.startsWith('*.') ? wildcard : exact;
      const key = n.startsWith('*.') ? n.slice(2) : n;
      if (!table.has(key)) table.set(key, g.context);
    }
  }
  return (servername) => {
    const name = servername.toLowerCase();
    const found = exact.get(name);
    if (found !== undefined) return found;
    const dot = name.indexOf('.');
    const w = dot === -1 ? undefined : wildcard.get(name.slice(dot + 1));
    return w === undefined || excluded.get(w)?.has(name) === true ? undefined : w;
  };
}
