// node:tls and node:crypto, loaded when first used (a TLS bind, an `ssl` server, a certificate, a
// hash) rather than by an `import`: a worker of a configuration without TLS then never loads them,
// nor OpenSSL's TLS state (~4 MB less RSS per process). Types come from `import type`, for free.
import type crypto from 'node:crypto';
import type tls from 'node:tls';

export function tlsModule(): typeof tls {
  return process.getBuiltinModule('node:tls');
}

export function cryptoModule(): typeof crypto {
  return process.getBuiltinModule('node:crypto');
}
