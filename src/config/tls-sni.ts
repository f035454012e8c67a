// Several certificates on one bind, as HAProxy serves them: the first is the default (clients
// without SNI, or naming no certificate), the others are chosen by the SNI name against each
// certificate's names (subjectAltName DNS entries, else the subject CN), exact names before
// wildcards (`*.example.com` matches one label). Certificates with the same names share one
// context, so an RSA and an ECDSA certificate for one site are offered together.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { TlsCertificate } from './model.ts';

/** The names a certificate answers for, lower-cased. */
export function certificateNames(pem: string): string[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return [];
  }
  const san = (cert.subjectAltName ?? '').split(', ').filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase());
  if (san.length > 0) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn === undefined ? [] : [cn.toLowerCase()];
}

export type SniSelector = (servername: string) => tls.SecureContext | undefined;

/** Group the certificates by their names; the group holding the first certificate is the default. */
export function groupByNames(certs: readonly TlsCertificate[]): { names: string[]; certs: TlsCertificate[] }[] {
  const groups = new Map<string, { names: string[]; certs: TlsCertificate[] }>();
  for (const c of certs) {
    const names = certificateNames(c.pem);
    const key = [...names].sort().join(' ');
    const g = groups.get(key) ?? { names, certs: [] };
    g.certs.push(c);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** The SNI selector over groups other than the default one (null when there is only one group). */
export function sniSelector(groups: readonly { names: string[]; context: tls.SecureContext }[]): SniSelector | null {
  if (groups.length < 2) return null;
  const exact = new Map<string, tls.SecureContext>();
  const wildcard = new Map<string, tls.SecureContext>();
  for (const g of groups) {
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
    return dot === -1 ? undefined : wildcard.get(name.slice(dot + 1));
  };
}
