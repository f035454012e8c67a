// Self-signed certificate for TLS tests: the product's own generator (src/demo/cert.ts), RSA 2048
// so reports show the same key size as the seed's ab run. One per test process.
import { generateCertificate } from '../../src/demo/cert.ts';

export interface TestCert {
  cert: string;
  key: string;
}

let cached: Promise<TestCert> | undefined;

/** One certificate per test process (RSA key generation takes a moment). */
export function testCert(): Promise<TestCert> {
  cached ??= generateCertificate({ days: 1 }).then((c) => ({ cert: c.certPem, key: c.keyPem }));
  return cached;
}
