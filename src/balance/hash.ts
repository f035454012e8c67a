// The hash functions of `hash-type` (HAProxy's sdbm, djb2, wt6, crc32 and the avalanche
// modifier), over the bytes of a key: deterministic, so every worker and every reload agrees.
import { isIPv4, isIPv6 } from 'node:net';
import type { HashType } from '../config/model.ts';

type HashFn = (key: string) => number;

/** Each UTF-16 unit's low byte: request keys (paths, header values) are ASCII/latin1. */
function sdbm(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = ((key.charCodeAt(i) & 0xff) + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

function djb2(key: string): number {
  let h = 5381;
  for (let i = 0; i < key.length; i++) h = (((h << 5) + h) + (key.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

function wt6(key: string): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i) & 0xff;
    h0 = ~(h0 ^ c) >>> 0;
    h1 = ~((h1 + c) >>> 0) >>> 0;
    const t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    const mix = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = mix & 0x1f;
    step1 = mix >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

function crc32(key: string): number {
  let h = 0xffffffff;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i) & 0xff;
    for (let b = 0; b < 8; b++) h = (h >>> 1) ^ (h & 1 ? 0xedb88320 : 0);
  }
  return ~h >>> 0;
}

const FUNCTIONS: Record<HashType['fn'], HashFn> = { sdbm, djb2, wt6, crc32 };

/** Bob Jenkins' 32-bit integer mix (HAProxy's `avalanche` and its consistent-ring node keys). */
export function avalanche(x: number): number {
  let a = x >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return a;
}

/** The hash of a request key (`uri`, `url_param`, `hdr`) under `type`. */
export function hashKey(type: HashType, key: string): number {
  const h = FUNCTIONS[type.fn](key);
  return type.avalanche ? avalanche(h) : h;
}

/** `balance source`: the address's 32-bit words XORed (IPv4: the address itself), then avalanche
 * if asked; the hash function is not applied, as HAProxy does. Undefined: not an IP address. */
export function hashAddress(type: HashType, address: string): number | undefined {
  const v4 = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  let h: number;
  if (isIPv4(v4)) h = v4.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
  else if (isIPv6(v4)) h = ipv6Words(v4).reduce((acc, w) => (acc ^ w) >>> 0, 0);
  else return undefined;
  return type.avalanche ? avalanche(h) : h;
}

/** An IPv6 address as four 32-bit words. */
function ipv6Words(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push((((groups[i] ?? 0) << 16) | (groups[i + 1] ?? 0)) >>> 0);
  return words;
}
