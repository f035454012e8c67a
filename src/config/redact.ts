// A copy of the model safe to print: certificate PEMs (private keys) are elided.
import type { Config } from './model.ts';

export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  for (const fe of copy.frontends) {
    for (const b of fe.binds) {
      for (const c of b.tls?.certificates ?? []) c.pem = c.pem === '' ? '' : `<${c.pem.length} bytes elided>`;
    }
  }
  return copy;
}
