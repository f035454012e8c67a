// Self-signed certificate + private key in one PEM, the shape HAProxy's `crt` and Node's
// tls.createServer({ cert, key }) both accept. Pure WebCrypto: no openssl binary needed.
import { webcrypto } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import './reflect-metadata-shim.ts';
import * as x509 from '@peculiar/x509';

export interface CertificateOptions {
  /** Subject common name; default `localhost`. */
  commonName?: string;
  /** Extra subject alternative names (IP literals become IP SANs, the rest DNS SANs). */
  sans?: string[];
  /** Leave out the default SANs (localhost, 127.0.0.1, ::1, the hostname). */
  noDefaultSans?: boolean;
  /** P-256 ECDSA instead of RSA 2048. */
  ec?: boolean;
  /** Validity in days; default 365. */
  days?: number;
}

export interface GeneratedCertificate {
  /** Certificate then key, as HAProxy's `crt` wants. */
  pem: string;
  certPem: string;
  keyPem: string;
}

let providerSet = false;

function useNodeCrypto(): void {
  // @peculiar/x509 looks the provider up globally; Node's WebCrypto is all we need.
  if (!providerSet) {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    providerSet = true;
  }
}

/** The SAN list: defaults first, then the extras, de-duplicated in order. */
export function subjectAltNames(opts: CertificateOptions): string[] {
  const defaults = opts.noDefaultSans === true ? [] : ['localhost', '127.0.0.1', '::1', hostname()];
  const cn = opts.commonName ?? 'localhost';
  return [...new Set([cn, ...defaults, ...(opts.sans ?? [])].filter((s) => s !== ''))];
}

export async function generateCertificate(opts: CertificateOptions = {}): Promise<GeneratedCertificate> {
  useNodeCrypto();
  const days = opts.days ?? 365;
  const alg: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams = opts.ec === true
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const signingAlgorithm = opts.ec === true ? { name: 'ECDSA', hash: 'SHA-256' } : alg;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;

  const names = subjectAltNames(opts).map((value) => ({ type: isIP(value) !== 0 ? ('ip' as const) : ('dns' as const), value }));
  const notBefore = new Date(Date.now() - 60_000); // tolerate small clock skew between hosts
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER

  const cn = (opts.commonName ?? 'localhost').replace(/([,+"\\<>;=])/g, '\\$1');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${cn}`,
    notBefore,
    notAfter,
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | (opts.ec === true ? 0 : x509.KeyUsageFlags.keyEncipherment),
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const keyPem = withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  const certPem = withNewline(cert.toString('pem'));
  return { pem: certPem + keyPem, certPem, keyPem };
}

function withNewline(s: string): string {
  const unix = s.replace(/\r\n/g, '\n');
  return unix.endsWith('\n') ? unix : `${unix}\n`;
}
