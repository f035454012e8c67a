// TLS termination options for a bind, built from the PEMs the master loaded into the config.
// Building the secure context here turns what only OpenSSL can judge (a certificate it refuses, a
// cipher string it does not know) into a startup error the user can act on, before the worker
// reports ready.
import type tls from 'node:tls';
import { cryptoModule, tlsModule } from './lazy-builtins.ts';
import type { Bind } from './model.ts';
import { groupByNames, sniSelector, type SniSelector } from './tls-sni.ts';

export type TlsOptionsResult = { ok: true; options: tls.TlsOptions; sni: SniSelector | null } | { ok: false; message: string };

export function buildTlsOptions(frontend: string, bind: Bind, handshakeTimeoutMs: number): TlsOptionsResult {
  const t = bind.tls;
  const first = t?.certificates[0];
  // The configuration check refuses `ssl` without a `crt`, and loadConfig reads every certificate.
  if (t === undefined || first === undefined || t.certificates.some((c) => c.pem.trim() === '')) {
    throw new Error(`internal error: frontend '${frontend}' bind ${bind.key} reached the worker without its certificates; the configuration check should have refused it`);
  }
  // Each certificate first, then the protocol settings, so the message names what is wrong.
  for (const c of t.certificates) {
    try {
      tlsModule().createSecureContext({ cert: c.pem, key: c.pem });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        message: `frontend '${frontend}' bind ${bind.key} (${bind.loc.file}:${bind.loc.line}): cannot use certificate ${c.path}: ${reason} — the file must hold a PEM certificate and its private key`,
      };
    }
  }
  // One context per set of names (an RSA and an ECDSA certificate for the same names share one);
  // the first certificate's group is the default, the others are chosen by SNI.
  const groups = groupByNames(t.certificates);
  const first0 = groups[0]?.certs ?? [];
  const options: tls.TlsOptions = {
    // HAProxy's `crt` PEM holds the chain and the key: OpenSSL picks each part out of the same text.
    cert: first0.map((c) => c.pem),
    key: first0.map((c) => c.pem),
    minVersion: t.minVersion as tls.SecureVersion,
    maxVersion: t.maxVersion as tls.SecureVersion,
    // `prefer-client-ciphers`: the client's order; else the server's, as HAProxy.
    honorCipherOrder: t.preferClientCiphers !== true,
    // OpenSSL resumes a session only when this context id matches; Node's default is a hash of
    // process.argv, which differs per worker, so tickets would not resume across workers/reloads.
    // With client certificates, the CA settings too: a session verified under another CA never resumes.
    sessionIdContext: sessionContext(bind),
    handshakeTimeout: handshakeTimeoutMs,
    ...(t.ciphers !== undefined ? { ciphers: t.ciphers } : {}),
    ...(t.curves !== undefined ? { ecdhCurve: t.curves } : {}),
    ...(t.sigalgs !== undefined ? { sigalgs: t.sigalgs } : {}),
  };
  const cv = t.clientVerify;
  if (cv !== undefined) {
    // Asked in the handshake; src/worker/client-verify.ts judges the result (ignore lists, optional).
    options.requestCert = true;
    options.rejectUnauthorized = cv.mode === 'required' && cv.caIgnore === undefined && cv.crtIgnore === undefined;
    if (cv.ca !== undefined && cv.ca.pem !== '') options.ca = cv.ca.pem;
    if (cv.crl !== undefined && cv.crl.pem !== '') options.crl = cv.crl.pem;
  }
  const alpn = servedAlpn(t.alpn);
  if (alpn !== undefined) options.ALPNProtocols = alpn;
  // `no-tls-tickets`: no RFC 5077 tickets; clients resume only by session id, if at all.
  if (t.noTlsTickets === true) options.secureOptions = cryptoModule().constants.SSL_OP_NO_TICKET;
  if (t.ciphersuites !== undefined) {
    // Node takes TLS 1.3 suites in the same `ciphers` string as the <= 1.2 list.
    options.ciphers = [t.ciphersuites, options.ciphers].filter((c) => c !== undefined && c !== '').join(':');
  }
  try {
    tlsModule().createSecureContext(options);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const what = /cipher/i.test(reason)
      ? `cipher settings (ciphers '${t.ciphers ?? ''}'${t.ciphersuites !== undefined ? `, ciphersuites '${t.ciphersuites}'` : ''})`
      : /curve|group/i.test(reason) ? `curves '${t.curves ?? ''}'` : /sigalg|signature/i.test(reason) ? `sigalgs '${t.sigalgs ?? ''}'` : `TLS settings (${t.minVersion}..${t.maxVersion})`;
    return { ok: false, message: `frontend '${frontend}' bind ${bind.key} (${bind.loc.file}:${bind.loc.line}): invalid ${what}: ${reason}` };
  }
  const contexts = groups.map((g) => ({ names: g.names, excluded: g.excluded, context: tlsModule().createSecureContext({ ...options, cert: g.certs.map((c) => c.pem), key: g.certs.map((c) => c.pem) }) }));
  return { ok: true, options, sni: sniSelector(contexts, t.strictSni === true) };
}

function sessionContext(bind: Bind): string {
  const v = bind.tls?.clientVerify;
  if (v === undefined) return `handoff:${bind.key}`.slice(0, 32);
  const digest = cryptoModule().createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 12);
  return `h:${digest}:${bind.key}`.slice(0, 32);
}

/** ALPN names we actually speak: `h2` and others configured in `alpn` are never advertised. */
export function servedAlpn(configured: readonly string[] | undefined): string[] | undefined {
  if (configured === undefined) return undefined;
  const served = configured.filter((p) => p === 'http/1.1' || p === 'http/1.0');
  return served.length === 0 ? undefined : served;
}
