// Checks a `crt` PEM the way HAProxy loads it: certificate chain and private key in one file (or
// the key in FILE.key next to it), the key must parse and match the leaf certificate.
import { createPrivateKey, X509Certificate } from 'node:crypto';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

export function hasPrivateKey(pem: string): boolean {
  return KEY_BLOCK.test(pem);
}

export function hasCertificate(pem: string): boolean {
  return CERT_BLOCK.test(pem);
}

export interface CertCheck {
  errors: string[];
  warnings: string[];
}

/** Validate one PEM; messages name `path` so the user knows which file to fix. */
export function checkCertificatePem(pem: string, path: string, now: Date = new Date()): CertCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const certText = CERT_BLOCK.exec(pem)?.[0];
  const keyMatch = KEY_BLOCK.exec(pem);
  if (certText === undefined) errors.push(`'${path}' contains no certificate (expected a '-----BEGIN CERTIFICATE-----' block)`);
  if (keyMatch === null) errors.push(`'${path}' contains no private key (put the key in the same PEM, or in '${path}.key')`);
  if (errors.length > 0) return { errors, warnings };
  if (keyMatch?.[1] === 'ENCRYPTED PRIVATE KEY') return { errors: [`'${path}': encrypted private keys are not supported; store the key unencrypted (mode 600)`], warnings };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certText as string);
  } catch (err) {
    return { errors: [`'${path}': the certificate does not load: ${(err as Error).message}`], warnings };
  }
  let key;
  try {
    key = createPrivateKey(keyMatch?.[0] as string);
  } catch (err) {
    return { errors: [`'${path}': the private key does not load: ${(err as Error).message}`], warnings };
  }
  if (!cert.checkPrivateKey(key)) {
    errors.push(`'${path}': the private key does not match the certificate (subject ${cert.subject.replace(/\n/g, ', ')})`);
  }
  const notAfter = new Date(cert.validTo);
  if (Number.isFinite(notAfter.getTime()) && notAfter < now) warnings.push(`'${path}': the certificate expired on ${cert.validTo}`);
  return { errors, warnings };
}
