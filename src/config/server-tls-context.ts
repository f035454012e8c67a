// The TLS client settings of a server (`ssl`, `check-ssl`), as Node's tls.connect takes them, built
// once per server and settings: the data path, TCP relays and health checks all connect with these.
// Building them at load turns what only OpenSSL judges (a CA file, a cipher string) into a config
// error. HAProxy's verification: the chain against `ca-file` (and `crl-file`), then the name sent
// as SNI, else `verifyhost`, against the certificate's names; no name, no name check.
import { isIP } from 'node:net';
import type tls from 'node:tls';
import { cryptoModule, tlsModule } from './lazy-builtins.ts';
import { diagnostic } from './diagnostics.ts';
import type { Config, Diagnostic, Server, ServerTls } from './model.ts';

const contexts = new WeakMap<ServerTls, tls.SecureContext>();

/** The secure context of `t` (CA, CRL, client certificate, versions, ciphers); throws what OpenSSL refuses. */
export function serverSecureContext(t: ServerTls): tls.SecureContext {
  const known = contexts.get(t);
  if (known !== undefined) return known;
  const ciphers = [t.ciphersuites, t.ciphers].filter((c) => c !== undefined && c !== '').join(':');
  const ctx = tlsModule().createSecureContext({
    minVersion: (t.minVersion ?? 'TLSv1.2') as tls.SecureVersion,
    maxVersion: (t.maxVersion ?? 'TLSv1.3') as tls.SecureVersion,
    ...(t.ca !== undefined && t.ca.pem !== '' ? { ca: t.ca.pem } : {}),
    ...(t.crl !== undefined && t.crl.pem !== '' ? { crl: t.crl.pem } : {}),
    ...(t.crt !== undefined && t.crt.pem !== '' ? { cert: t.crt.pem, key: t.crt.pem } : {}),
    ...(ciphers !== '' ? { ciphers } : {}),
    ...(t.noTlsTickets === true ? { secureOptions: cryptoModule().constants.SSL_OP_NO_TICKET } : {}),
  });
  contexts.set(t, ctx);
  return ctx;
}

/** What tls.connect needs beside host, port and socket, for one connection naming `servername` (SNI). */
export function serverConnectOptions(t: ServerTls, servername: string | undefined): tls.ConnectionOptions {
  const sni = servername !== undefined && servername !== '' && isIP(servername) === 0 ? servername : undefined;
  const checked = sni ?? t.verifyHost;
  return {
    secureContext: serverSecureContext(t),
    rejectUnauthorized: t.verify === 'required',
    ...(sni !== undefined ? { servername: sni } : {}),
    ...(t.alpn !== undefined ? { ALPNProtocols: t.alpn.filter((p) => p === 'http/1.1' || p === 'http/1.0') } : {}),
    // Node checks `servername || host` by default; HAProxy checks only a name it was given.
    checkServerIdentity: (_host, cert) => (checked === undefined || t.verify !== 'required' ? undefined : tlsModule().checkServerIdentity(checked, cert)),
  };
}

/** The servers whose TLS settings OpenSSL refuses (a CA file that is no CA, a bad cipher string). */
export function serverTlsErrors(config: Config): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const b of config.backends) {
    for (const s of b.servers) {
      if (s.tls === undefined) continue;
      const problem = tryContext(s);
      if (problem !== undefined) out.push(diagnostic('error', s.loc, `'server ${b.name}/${s.name}' : invalid TLS settings: ${problem}`));
    }
  }
  return out;
}

function tryContext(s: Server): string | undefined {
  try {
    serverSecureContext(s.tls as ServerTls);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
