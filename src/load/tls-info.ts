// TLS client context and ab's "SSL/TLS Protocol" line.
import tls from 'node:tls';
import type { TlsProtocolFlag } from './types.ts';

const VERSIONS: Record<TlsProtocolFlag, [tls.SecureVersion, tls.SecureVersion]> = {
  TLS1: ['TLSv1', 'TLSv1'],
  'TLS1.1': ['TLSv1.1', 'TLSv1.1'],
  'TLS1.2': ['TLSv1.2', 'TLSv1.2'],
  'TLS1.3': ['TLSv1.3', 'TLSv1.3'],
  ALL: ['TLSv1', 'TLSv1.3'],
};

/**
 * One context for every connection: building a SecureContext per connection would cost more
 * than the handshake. TLS 1.0/1.1 are only offered by OpenSSL 3 at security level 0.
 */
export function clientContext(flag: TlsProtocolFlag): tls.SecureContext {
  const [minVersion, maxVersion] = VERSIONS[flag];
  const legacy = flag === 'TLS1' || flag === 'TLS1.1' || flag === 'ALL';
  return tls.createSecureContext({ minVersion, maxVersion, ...(legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) });
}

function cipherBits(name: string): number {
  if (/AES_?256|CHACHA20|CAMELLIA_?256|ARIA_?256/i.test(name)) return 256;
  if (/AES_?128|CAMELLIA_?128|ARIA_?128|SEED/i.test(name)) return 128;
  if (/3DES|DES-CBC3/i.test(name)) return 168;
  return 0;
}

/** `TLSv1.2,ECDHE-RSA-AES256-GCM-SHA384,2048,256`: protocol, cipher, server key bits, cipher bits. */
export function describeTls(socket: tls.TLSSocket): string {
  const protocol = socket.getProtocol() ?? 'unknown';
  const cipher = socket.getCipher();
  const cert = socket.getPeerCertificate();
  const keyBits = typeof cert.bits === 'number' ? cert.bits : 0;
  return `${protocol},${cipher.name},${keyBits},${cipherBits(cipher.name)}`;
}
