// A small PKI for TLS tests, generated with the openssl CLI in a temporary directory: a CA, leaf
// certificates it signs (server names in subjectAltName, client certificates), and a second
// unrelated CA for "wrong certificate" cases. Never fetched, valid for a day.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Pki {
  dir: string;
  /** CA certificate file (PEM). */
  caFile: string;
  /** A certificate signed by the CA, certificate and key in one PEM (HAProxy's `crt`). */
  issue(name: string, opts?: { cn?: string; dns?: string[]; client?: boolean }): string;
  /** A CRL of the CA revoking the certificates issued under these names (`openssl ca -gencrl`). */
  crl(revoked: string[]): string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA named `name` in `dir`: `NAME-ca.pem` (certificate) and `NAME-ca.key`. */
export function createPki(dir: string, name = 'test'): Pki {
  const caKey = path.join(dir, `${name}-ca.key`);
  const caFile = path.join(dir, `${name}-ca.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '1', '-subj', `/O=handoff tests/CN=${name} CA`], dir);
  let serial = 1;
  return {
    dir,
    caFile,
    issue(leaf, opts = {}) {
      const key = path.join(dir, `${leaf}.key`);
      const csr = path.join(dir, `${leaf}.csr`);
      const crt = path.join(dir, `${leaf}.crt`);
      const ext = path.join(dir, `${leaf}.ext`);
      const dns = opts.dns ?? (opts.client === true ? [] : [opts.cn ?? leaf]);
      const lines = [opts.client === true ? 'extendedKeyUsage=clientAuth' : 'extendedKeyUsage=serverAuth'];
      if (dns.length > 0) lines.push(`subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`);
      fs.writeFileSync(ext, `${lines.join('\n')}\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/C=FR/O=handoff tests/CN=${opts.cn ?? leaf}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(0x1000 + serial++), '-days', '1', '-out', crt, '-extfile', ext], dir);
      const pem = path.join(dir, `${leaf}.pem`);
      fs.writeFileSync(pem, fs.readFileSync(crt, 'utf8') + fs.readFileSync(key, 'utf8'));
      return pem;
    },
    crl(revoked) {
      const db = path.join(dir, `${name}-ca.db`);
      const cnf = path.join(dir, `${name}-ca.cnf`);
      fs.writeFileSync(db, '');
      fs.writeFileSync(path.join(dir, `${name}-ca.crlnumber`), '01\n');
      fs.writeFileSync(cnf, `[ca]\ndefault_ca = d\n[d]\ndatabase = ${db}\ncrlnumber = ${path.join(dir, `${name}-ca.crlnumber`)}\ndefault_md = sha256\ndefault_crl_days = 1\n`);
      for (const leaf of revoked) openssl(['ca', '-config', cnf, '-keyfile', caKey, '-cert', caFile, '-revoke', path.join(dir, `${leaf}.crt`)], dir);
      const out = path.join(dir, `${name}-ca.crl.pem`);
      openssl(['ca', '-config', cnf, '-keyfile', caKey, '-cert', caFile, '-gencrl', '-out', out], dir);
      return out;
    },
  };
}
