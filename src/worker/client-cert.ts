// The client certificate of a TLS connection (mTLS binds): HAProxy's verdict on it (`verify`,
// `ca-ignore-err`, `crt-ignore-err`) and what the `ssl_c_*` fetches read from it.
import type { X509Certificate } from 'node:crypto';
import { cryptoModule } from '../config/lazy-builtins.ts';
import type { TLSSocket } from 'node:tls';
import type { ClientVerify } from '../config/model.ts';

/** OpenSSL's X509_V_ERR_* ids, by the code Node reports (`authorizationError`). */
const VERIFY_ERRORS: Record<string, number> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
};

export function peerCertificate(sock: TLSSocket): X509Certificate | undefined {
  return sock.getPeerX509Certificate?.() ?? undefined;
}

/** `ssl_c_verify`: 0 when no certificate or a valid one, else OpenSSL's error id (1: unspecified). */
export function verifyResult(sock: TLSSocket): number {
  if (peerCertificate(sock) === undefined || sock.authorized) return 0;
  const err = sock.authorizationError;
  const code = typeof err === 'string' ? err : ((err as (Error & { code?: string }) | undefined)?.code ?? '');
  return VERIFY_ERRORS[code] ?? 1;
}

/** Why this connection must not be served under `cv`, or undefined when it may (HAProxy: an
 * invalid certificate aborts whatever `verify` says, unless its error id is ignored). */
export function refusal(sock: TLSSocket, cv: ClientVerify | undefined): string | undefined {
  if (cv === undefined) return undefined;
  if (peerCertificate(sock) === undefined) return cv.mode === 'required' ? 'no client certificate' : undefined;
  const id = verifyResult(sock);
  if (id === 0) return undefined;
  const ignored = (list: number[] | 'all' | undefined): boolean => list === 'all' || (list !== undefined && list.includes(id));
  return ignored(cv.caIgnore) || ignored(cv.crtIgnore) ? undefined : `client certificate verify error ${id}`;
}

/** One DN as Node prints it (`C=FR\nO=x\nCN=y`), as entries in certificate order. */
function entries(dn: string): [string, string][] {
  return dn.split('\n').filter((l) => l !== '').map((l) => {
    const eq = l.indexOf('=');
    return [l.slice(0, eq), l.slice(eq + 1)];
  });
}

/** `ssl_c_s_dn` / `ssl_c_i_dn`: the whole DN (`/C=FR/O=x/CN=y`, or `rfc2253`), or one entry's
 * value (`occ`: the nth from the start, negative from the end). */
export function distinguishedName(dn: string, entry: string | undefined, occ: number, format: string | undefined): string | undefined {
  const all = entries(dn);
  if (entry === undefined || entry === '') {
    if (format === 'rfc2253') return all.map(([k, v]) => `${k}=${v.replace(/([,+"\\<>;])/g, '\\$1')}`).reverse().join(',');
    return all.map(([k, v]) => `/${k}=${v}`).join('');
  }
  const found = all.filter(([k]) => k === entry).map(([, v]) => v);
  const n = occ === 0 ? 1 : occ;
  return n > 0 ? found[n - 1] : found[found.length + n];
}

/** `ssl_c_serial` (binary, as latin1 text for the `hex` converter). */
export function serialOf(cert: X509Certificate): string {
  const hex = cert.serialNumber.length % 2 === 1 ? `0${cert.serialNumber}` : cert.serialNumber;
  return Buffer.from(hex, 'hex').toString('latin1');
}

/** `ssl_c_sha1`: the SHA-1 of the DER certificate (binary, latin1). */
export function sha1Of(cert: X509Certificate): string {
  return cryptoModule().createHash('sha1').update(cert.raw).digest().toString('latin1');
}
