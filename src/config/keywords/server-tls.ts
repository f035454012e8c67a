// TLS options of `server` / `default-server` lines (configuration.txt 5.2): `ssl`, `verify`,
// `ca-file`, `sni`, `crt`, `alpn`, the protocol versions and ciphers. They only record what is
// written; src/config/server-tls.ts resolves defaults (`ssl-server-verify`) and reads the files.
import type { ServerParams } from '../draft.ts';
import type { ServerTls, TlsVersion } from '../model.ts';
import { parseSample } from '../sample.ts';
import type { ProxyContext } from './types.ts';

type Reader = (params: ServerParams, value: string | undefined, ctx: ProxyContext) => number | { error: string };

const VERSIONS: Record<string, TlsVersion> = { 'TLSv1.0': 'TLSv1', TLSv1: 'TLSv1', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

function tlsOf(p: ServerParams): ServerTls {
  return (p.tls ??= {});
}

const flag = (set: (p: ServerParams) => void): Reader => (p) => {
  set(p);
  return 1;
};

/** An option with one value stored in `tls`. */
const text = (name: string, set: (t: ServerTls, v: string) => void): Reader => (p, value) => {
  if (value === undefined || value === '') return { error: `'${name}' expects a value` };
  set(tlsOf(p), value);
  return 2;
};

/** `path` left as written; server-tls.ts resolves it against `ca-base`/`crt-base`. */
const file = (name: string, set: (t: ServerTls, path: string) => void): Reader => text(name, (t, v) => set(t, v));

const version = (name: string, set: (t: ServerTls, v: TlsVersion) => void): Reader => (p, value) => {
  const v = VERSIONS[value ?? ''];
  if (v === undefined) return { error: `'${name}' expects TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3, got '${value ?? ''}'` };
  set(tlsOf(p), v);
  return 2;
};

function sni(p: ServerParams, value: string | undefined): number | { error: string } {
  if (value === undefined || value === '') return { error: "'sni' expects a sample expression such as req.hdr(host) or str(www.example.com)" };
  const s = parseSample(value);
  if (!s.ok) return { error: `'sni ${value}': ${s.error}` };
  tlsOf(p).sni = s.value.sample;
  return 2;
}

function verify(p: ServerParams, value: string | undefined): number | { error: string } {
  if (value !== 'none' && value !== 'required') return { error: `'verify' expects 'none' or 'required', got '${value ?? ''}'` };
  tlsOf(p).verify = value;
  return 2;
}

function alpn(p: ServerParams, value: string | undefined): number | { error: string } {
  if (value === undefined || value === '') return { error: "'alpn' expects a comma-separated protocol list such as http/1.1" };
  tlsOf(p).alpn = value.split(',').filter((x) => x !== '');
  return 2;
}

export const SERVER_TLS_READERS: Readonly<Record<string, Reader>> = {
  ssl: flag((p) => (p.ssl = true)),
  'no-ssl': flag((p) => delete p.ssl),
  'check-ssl': flag((p) => (p.checkSsl = true)),
  'no-check-ssl': flag((p) => (p.checkSsl = false)),
  verify,
  'ca-file': file('ca-file', (t, v) => (t.ca = { path: v, pem: '' })),
  'crl-file': file('crl-file', (t, v) => (t.crl = { path: v, pem: '' })),
  crt: file('crt', (t, v) => (t.crt = { path: v, pem: '' })),
  sni,
  'check-sni': text('check-sni', (t, v) => (t.checkSni = v)),
  verifyhost: text('verifyhost', (t, v) => (t.verifyHost = v)),
  'no-verifyhost': flag((p) => p.tls !== undefined && delete p.tls.verifyHost),
  alpn,
  ciphers: text('ciphers', (t, v) => (t.ciphers = v)),
  ciphersuites: text('ciphersuites', (t, v) => (t.ciphersuites = v)),
  'ssl-min-ver': version('ssl-min-ver', (t, v) => (t.minVersion = v)),
  'ssl-max-ver': version('ssl-max-ver', (t, v) => (t.maxVersion = v)),
  'no-ssl-reuse': flag((p) => (tlsOf(p).noReuse = true)),
  'ssl-reuse': flag((p) => p.tls !== undefined && delete p.tls.noReuse),
  'no-tls-tickets': flag((p) => (tlsOf(p).noTlsTickets = true)),
  'tls-tickets': flag((p) => p.tls !== undefined && delete p.tls.noTlsTickets),
  'force-tlsv12': flag((p) => Object.assign(tlsOf(p), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })),
  'force-tlsv13': flag((p) => Object.assign(tlsOf(p), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' })),
  'no-tlsv10': flag((p) => ((t) => (t.minVersion === undefined || t.minVersion === 'TLSv1') && (t.minVersion = 'TLSv1.1'))(tlsOf(p))),
  'no-tlsv11': flag((p) => ((t) => (t.minVersion === undefined || t.minVersion === 'TLSv1' || t.minVersion === 'TLSv1.1') && (t.minVersion = 'TLSv1.2'))(tlsOf(p))),
  'no-tlsv12': flag((p) => (tlsOf(p).minVersion = 'TLSv1.3')),
  'no-tlsv13': flag((p) => (tlsOf(p).maxVersion = 'TLSv1.2')),
  'no-sslv3': flag(() => undefined),
};
