// The files TLS settings name beside a bind's certificates: a server's `ca-file`, `crl-file`,
// `crt`, and a bind's client-verification `ca-file`/`crl-file`. Resolved against `ca-base` /
// `crt-base`, read, and checked with HAProxy's rules (a server verified by default needs a CA).
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { tlsModule } from './lazy-builtins.ts';
import { hasCertificate } from './certs.ts';
import { diagnostic } from './diagnostics.ts';
import type { Config, Diagnostic, Location, Server, TlsFile } from './model.ts';

/** `ca-file @system-ca`: the system's trust store instead of a file. */
export const SYSTEM_CA = '@system-ca';

const NO_CA =
  "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.";

function resolved(baseDir: string, base: string | undefined, path: string): string {
  if (path === SYSTEM_CA || isAbsolute(path)) return path;
  return base === undefined ? resolve(baseDir, path) : resolve(baseDir, base, path);
}

async function readTlsFile(f: TlsFile, what: string, loc: Location, who: string, out: Diagnostic[]): Promise<void> {
  if (f.path === SYSTEM_CA) {
    f.pem = tlsModule().getCACertificates('system').join('\n');
    return;
  }
  try {
    f.pem = await readFile(f.path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    out.push(diagnostic('error', loc, `${who} : Couldn't open the ${what} '${f.path}' (${e.code === 'ENOENT' ? 'No such file or directory' : (e.message ?? String(err))}).`));
    return;
  }
  const ok = what === 'crl-file' ? /-----BEGIN X509 CRL-----/.test(f.pem) : hasCertificate(f.pem);
  if (!ok) out.push(diagnostic('error', loc, `${who} : ${what} '${f.path}' holds no PEM ${what === 'crl-file' ? 'CRL' : 'certificate'}.`));
}

/** A server's TLS settings: the verify default, check-ssl's default, its files. */
async function serverTls(s: Server, config: Config, backend: string, baseDir: string, out: Diagnostic[]): Promise<void> {
  const g = config.global;
  if (s.checkSsl === undefined && s.ssl === true && s.checkPort === undefined && s.checkAddr === undefined) s.checkSsl = true;
  if (s.ssl !== true && s.checkSsl !== true) {
    delete s.tls;
    return;
  }
  const t = (s.tls ??= {});
  const defaults = g.sslDefaultServer ?? {};
  for (const k of ['ciphers', 'ciphersuites', 'minVersion', 'maxVersion', 'noTlsTickets'] as const) {
    if (t[k] === undefined && defaults[k] !== undefined) Object.assign(t, { [k]: defaults[k] });
  }
  t.verify ??= g.sslServerVerify ?? 'required';
  const who = `'server ${backend}/${s.name}'`;
  if (t.verify === 'required' && t.ca === undefined) {
    out.push(diagnostic('error', s.loc, `${who} : ${NO_CA}`));
    return;
  }
  for (const [f, what, base] of [
    [t.ca, 'ca-file', g.caBase],
    [t.crl, 'crl-file', g.caBase],
    [t.crt, 'crt', g.crtBase],
  ] as const) {
    if (f === undefined) continue;
    f.path = resolved(baseDir, base, f.path);
    await readTlsFile(f, what, s.loc, who, out);
  }
}

/** Resolve and read every server's and bind's TLS files; problems are diagnostics. */
export async function loadTlsFiles(config: Config, baseDir: string): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const b of config.backends) for (const s of b.servers) await serverTls(s, config, b.name, baseDir, out);
  for (const f of config.frontends) {
    for (const bind of f.binds) {
      const v = bind.tls?.clientVerify;
      if (v === undefined) continue;
      const who = `'bind ${bind.key}' in frontend '${f.name}'`;
      if (v.ca === undefined) {
        out.push(diagnostic('error', bind.loc, `Proxy '${f.name}': verify is enabled but no CA file specified for bind '${bind.key}' (add 'ca-file' with the CAs that sign client certificates).`));
        continue;
      }
      for (const [file, what] of [
        [v.ca, 'ca-file'],
        [v.crl, 'crl-file'],
      ] as const) {
        if (file === undefined) continue;
        file.path = resolved(baseDir, config.global.caBase, file.path);
        await readTlsFile(file, what, bind.loc, who, out);
      }
    }
  }
  return out;
}
