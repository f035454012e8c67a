// A key as a table of its type stores it: an IPv4 address for `ip` (IPv4-mapped IPv6 unwrapped),
// an IPv6 address for `ipv6` (IPv4 mapped), a decimal for `integer`, a string cut at `len`.
import { isIPv4, isIPv6 } from 'node:net';
import type { StickTableDef } from './types.ts';

/** The stored key, or undefined when the value cannot be a key of this table. */
export function tableKey(def: StickTableDef, raw: string): string | undefined {
  switch (def.type) {
    case 'ip': {
      const v4 = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
      return isIPv4(v4) ? v4 : undefined;
    }
    case 'ipv6':
      if (isIPv4(raw)) return `::ffff:${raw}`;
      return isIPv6(raw) ? raw : undefined;
    case 'integer':
      return /^-?\d+$/.test(raw) ? String(Number(raw)) : undefined;
    case 'string':
    case 'binary':
      return raw.slice(0, def.len);
  }
}
