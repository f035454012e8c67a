// `handoff cert`: a self-signed certificate + key in one PEM (HAProxy's `crt` format).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { intFlag, parseFlags, UsageError } from './args.ts';
import { generateCertificate } from '../demo/cert.ts';

export const usage = `usage: handoff cert [options]

Writes a self-signed certificate followed by its private key (PKCS#8) in one PEM,
the file HAProxy's 'bind … ssl crt FILE' and handoff's own 'crt' load.
Subject alternative names: localhost, 127.0.0.1, ::1 and this host's name, plus
every --san (IP literals become IP SANs).

options:
  --cn NAME        subject common name (default localhost; also added as a SAN)
  --san NAME       extra subject alternative name; repeat for more
  --ec             ECDSA P-256 key instead of RSA 2048
  --days N         validity in days (default 365)
  --out FILE       where to write (default ./handoff-selfsigned.pem; '-' for stdout)
  -h, --help       this text

example:
  handoff cert --san lb.example.com --out /etc/handoff/site.pem
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    cn: { type: 'string' },
    san: { type: 'string', multiple: true },
    ec: { type: 'boolean', default: false },
    days: { type: 'string' },
    out: { type: 'string', default: 'handoff-selfsigned.pem' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.cn !== undefined && values.cn.trim() === '') throw new UsageError('--cn needs a non-empty name');
  const cert = await generateCertificate({
    commonName: values.cn,
    sans: values.san,
    ec: values.ec,
    days: intFlag('--days', values.days, 1, 36500),
  });
  if (values.out === '-') {
    process.stdout.write(cert.pem);
    return 0;
  }
  const path = resolve(values.out);
  try {
    // The key is in there: readable by the owner only.
    await writeFile(path, cert.pem, { mode: 0o600 });
  } catch (err) {
    process.stderr.write(`handoff cert: cannot write ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${path}\n`);
  return 0;
}
