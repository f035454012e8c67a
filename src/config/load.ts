// loadConfig: the whole pipeline with IO. Reads the files, parses, builds, validates, then reads
// every certificate and errorfile into the model. Never throws on bad input: every problem is
// a diagnostic with FILE:LINE (line 0 when the file itself cannot be read).
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { buildConfig } from './build.ts';
import { loadPayloads } from './reply-files.ts';
import type { CertRef } from './build.ts';
import { checkCertificatePem, hasPrivateKey } from './certs.ts';
import { checkStatsSockets } from './stats-sockets.ts';
import { checkUnixBinds } from './unix-binds.ts';
import { loadSampleFiles } from './sample-files.ts';
import { diagnostic, hasErrors, sortDiagnostics } from './diagnostics.ts';
import type { Config, Diagnostic, LoadResult, TlsCertificate } from './model.ts';
import { parseConfig } from './parse.ts';
import { buildTlsOptions } from './tls-context.ts';
import { loadTlsFiles } from './tls-files.ts';
import { readCrtList } from './crt-list.ts';
import { serverTlsErrors } from './server-tls-context.ts';
import type { ParsedConfig } from './parse.ts';

export interface LoadOptions {
  /** `--workers`: overrides `nbthread` / `nbproc`. */
  workersOverride?: number;
  /** `-n`: overrides the global `maxconn`. */
  maxconnOverride?: number;
  /** `-N`: the `maxconn` of a frontend that sets none. */
  defaultProxyMaxconn?: number;
  /** Environment for `"${VAR}"` expansion; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message ?? String(err);
}

/** Files HAProxy skips when `crt` names a directory. */
const NOT_CERTS = /\.(key|ocsp|issuer|sctl|dh)$/;

/** Whether the configuration would accept anything: a `bind` or a `stats socket` (HAProxy's "no listener" rule). */
export function hasListener(config: Config): boolean {
  return config.frontends.some((f) => f.binds.length > 0) || config.global.statsSockets.length > 0;
}

/** A directory among the paths stands for its `*.cfg` regular files in lexical order, as `haproxy -f DIR` reads it; read at every load, so a reload sees files added since. */
async function expandDirectories(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if ((await stat(p).catch(() => undefined))?.isDirectory() !== true) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => n.endsWith('.cfg')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) if (await isRegularFile(join(p, n))) out.push(join(p, n));
  }
  return out;
}

/**
 * Load one configuration, or several concatenated in order (`-f a.cfg -f b.cfg`, like HAProxy);
 * a directory loads its `*.cfg` files in lexical order. Relative paths in the files resolve
 * against the first file's directory.
 */
export async function loadConfig(file: string | readonly string[], opts: LoadOptions = {}): Promise<LoadResult> {
  const given = typeof file === 'string' ? [file] : [...file];
  const files = await expandDirectories(given);
  if (given.length > 0 && files.length === 0) return { diagnostics: [{ severity: 'error', file: given.join(' '), line: 0, message: 'no *.cfg file in the configuration directory' }] };
  const diagnostics: Diagnostic[] = [];
  const parsed: ParsedConfig[] = [];
  // A copy: `setenv` in the configuration changes what later files see, not this process.
  const env = { ...(opts.env ?? process.env) };
  if (files.length === 0) return { diagnostics: [{ severity: 'error', file: '', line: 0, message: 'no configuration file given' }] };
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      diagnostics.push({ severity: 'error', file: f, line: 0, message: `cannot read configuration file: ${ioMessage(err)}` });
      continue;
    }
    parsed.push(parseConfig(text, f, env));
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  const mainFile = resolve(files[0] as string);
  const built = buildConfig(parsed, {
    baseDir: dirname(mainFile),
    file: mainFile,
    ...(opts.workersOverride === undefined ? {} : { workersOverride: opts.workersOverride }),
    ...(opts.maxconnOverride === undefined ? {} : { maxconnOverride: opts.maxconnOverride }),
    ...(opts.defaultProxyMaxconn === undefined ? {} : { defaultProxyMaxconn: opts.defaultProxyMaxconn }),
  });
  diagnostics.push(...built.diagnostics);

  const errorfileCache = new Map<string, Promise<string | Error>>();
  for (const ref of built.errorfileRefs) {
    let pending = errorfileCache.get(ref.path);
    if (pending === undefined) {
      pending = readRegularFile(ref.path).catch((err: unknown) => new Error(ioMessage(err)));
      errorfileCache.set(ref.path, pending);
    }
    const content = await pending;
    if (content instanceof Error) {
      diagnostics.push(diagnostic('error', ref.loc, `cannot read errorfile '${ref.path}': ${content.message}`));
      continue;
    }
    if (!/^HTTP\/1\.[01] \d{3}/.test(content)) {
      diagnostics.push(diagnostic('warning', ref.loc, `errorfile '${ref.path}' does not start with an HTTP status line ('HTTP/1.0 ${ref.code} …'); it is sent as is`));
    }
    ref.target[ref.code] = content;
  }
  // ACL pattern files (`-f`) and map files (`map*` converters), read and checked line by line.
  diagnostics.push(...(await loadSampleFiles(built.config, built.baseDir, readRegularFile, ioMessage)));

  await loadPayloads(built.payloadRefs, built.config.global.bufsize ?? 16384, diagnostics);
  await expandCrtLists(built.config, built.baseDir, built.certRefs, diagnostics);
  await loadCertificates(built.certRefs, diagnostics);
  diagnostics.push(...(await loadTlsFiles(built.config, built.baseDir)));
  // OpenSSL judges what only it can (a cipher string, a curve, a key that does not match): the
  // contexts `run` would build are built here too, so `check` refuses what `run` would.
  if (!hasErrors(diagnostics)) diagnostics.push(...tlsContextErrors(built.config), ...serverTlsErrors(built.config));
  diagnostics.push(...(await checkStatsSockets(built.config.global.statsSockets)));
  diagnostics.push(...(await checkUnixBinds(built.config.frontends)));
  if (built.config.global.zeroWarning === true && diagnostics.some((d) => d.severity === 'warning')) {
    diagnostics.push({ severity: 'error', file: mainFile, line: 0, message: "'zero-warning' is set in the global section: the warnings above are fatal" });
  }
  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { config: built.config, diagnostics: sorted };
}

function tlsContextErrors(config: Config): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of config.frontends) {
    for (const bind of f.binds) {
      if (bind.tls === undefined) continue;
      const built = buildTlsOptions(f.name, bind, 0);
      if (!built.ok) out.push(diagnostic('error', bind.loc, built.message));
    }
  }
  return out;
}

/** Whether `path` (symlinks followed) is a regular file: a device or a FIFO would never end. */
async function isRegularFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** The text of a regular file; anything else (a device such as /dev/zero, a FIFO nobody writes)
 * is refused rather than read forever, which would hold the reload. */
async function readRegularFile(path: string): Promise<string> {
  const st = await stat(path);
  if (!st.isFile()) throw Object.assign(new Error(st.isDirectory() ? 'is a directory' : 'not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' });
  return readFile(path, 'utf8');
}

async function readPem(path: string): Promise<string> {
  let pem = await readFile(path, 'utf8');
  // HAProxy looks for the key in FILE.key when the PEM holds only the certificate.
  if (!hasPrivateKey(pem) && (await isRegularFile(`${path}.key`))) {
    const key = await readFile(`${path}.key`, 'utf8').catch(() => undefined);
    if (key !== undefined) pem = `${pem.trimEnd()}\n${key}`;
  }
  return pem;
}

/** Each bind's `crt-list` files: their certificates join the bind's list where the option stood. */
async function expandCrtLists(config: Config, baseDir: string, refs: CertRef[], diagnostics: Diagnostic[]): Promise<void> {
  for (const f of config.frontends) {
    for (const bind of f.binds) {
      const t = bind.tls;
      if (t?.crtLists === undefined) continue;
      // Last first, so the earlier insertion points stay valid.
      for (const l of [...t.crtLists].reverse()) {
        const r = await readCrtList(l.path, baseDir, config.global.crtBase);
        if (!r.ok) {
          diagnostics.push(diagnostic('error', r.line === 0 ? l.loc : { file: l.path, line: r.line }, r.message));
          continue;
        }
        const certs: TlsCertificate[] = r.entries.map((e) => ({ path: e.path, pem: '', ...(e.sniFilters.length > 0 ? { sniFilters: e.sniFilters } : {}) }));
        t.certificates.splice(l.at, 0, ...certs);
        certs.forEach((cert, i) => refs.push({ cert, tls: t, loc: { file: l.path, line: (r.entries[i] as { line: number }).line } }));
        if (certs.length === 0) diagnostics.push(diagnostic('error', l.loc, `crt-list '${l.path}' lists no certificate`));
      }
      delete t.crtLists;
    }
  }
}

async function loadCertificates(refs: readonly CertRef[], diagnostics: Diagnostic[]): Promise<void> {
  for (const ref of refs) {
    const paths: string[] = [];
    try {
      const st = await stat(ref.cert.path);
      if (st.isDirectory()) {
        // As HAProxy: regular files only (symlinks followed), no recursion into subdirectories.
        const names = (await readdir(ref.cert.path)).filter((n) => !NOT_CERTS.test(n) && !n.startsWith('.')).sort();
        for (const n of names) if (await isRegularFile(join(ref.cert.path, n))) paths.push(join(ref.cert.path, n));
        if (paths.length === 0) diagnostics.push(diagnostic('error', ref.loc, `certificate directory '${ref.cert.path}' contains no certificate (no regular file)`));
      } else if (st.isFile()) paths.push(ref.cert.path);
      else {
        diagnostics.push(diagnostic('error', ref.loc, `cannot read certificate '${ref.cert.path}': not a regular file`));
        continue;
      }
    } catch (err) {
      diagnostics.push(diagnostic('error', ref.loc, `cannot read certificate '${ref.cert.path}': ${ioMessage(err)}`));
      continue;
    }
    const loaded: TlsCertificate[] = [];
    for (const p of paths) {
      let pem: string;
      try {
        pem = await readPem(p);
      } catch (err) {
        diagnostics.push(diagnostic('error', ref.loc, `cannot read certificate '${p}': ${ioMessage(err)}`));
        continue;
      }
      const check = checkCertificatePem(pem, p);
      for (const e of check.errors) diagnostics.push(diagnostic('error', ref.loc, e));
      for (const w of check.warnings) diagnostics.push(diagnostic('warning', ref.loc, w));
      loaded.push({ path: p, pem, ...(ref.cert.sniFilters !== undefined ? { sniFilters: ref.cert.sniFilters } : {}) });
    }
    // A directory expands in place into one entry per file.
    const idx = ref.tls.certificates.indexOf(ref.cert);
    if (idx !== -1) ref.tls.certificates.splice(idx, 1, ...loaded);
  }
}
