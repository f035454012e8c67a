// crypt(3) password hashes as `userlist … password HASH` writes them, for the schemes Node can
// compute: SHA-512-crypt (`$6$`), SHA-256-crypt (`$5$`) and MD5-crypt (`$1$`), after Drepper's
// and Kamp's specifications. A hash of any other scheme is refused when the configuration is read
// (`cryptScheme`), so no user is ever let in by a hash handoff cannot check.
import type { Hash } from 'node:crypto';

// Loaded at the first password check, not by an `import`: most workers never check one.
const createHash = (algo: string): Hash => process.getBuiltinModule('node:crypto').createHash(algo);
const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => process.getBuiltinModule('node:crypto').timingSafeEqual(a, b);

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export type CryptScheme = 'sha512' | 'sha256' | 'md5';

/** The scheme of a hash handoff can verify, or the name of the one it cannot (`Parsed`-like). */
export function cryptScheme(hash: string): { ok: true; scheme: CryptScheme } | { ok: false; scheme: string } {
  if (/^\$6\$(rounds=\d+\$)?[^$]{0,16}(\$[./0-9A-Za-z]{86})$/.test(hash)) return { ok: true, scheme: 'sha512' };
  if (/^\$5\$(rounds=\d+\$)?[^$]{0,16}(\$[./0-9A-Za-z]{43})$/.test(hash)) return { ok: true, scheme: 'sha256' };
  if (/^\$1\$[^$]{0,8}\$[./0-9A-Za-z]{22}$/.test(hash)) return { ok: true, scheme: 'md5' };
  return { ok: false, scheme: schemeName(hash) };
}

/** What a hash that cannot be verified looks like, for the error message. */
function schemeName(hash: string): string {
  const id = /^\$([^$]+)\$/.exec(hash)?.[1];
  const known: Record<string, string> = {
    '1': 'MD5-crypt ($1$, malformed)',
    '5': 'SHA-256-crypt ($5$, malformed)',
    '6': 'SHA-512-crypt ($6$, malformed)',
    '2a': 'bcrypt ($2a$)',
    '2b': 'bcrypt ($2b$)',
    '2y': 'bcrypt ($2y$)',
    y: 'yescrypt ($y$)',
    gy: 'gost-yescrypt ($gy$)',
    '7': 'scrypt ($7$)',
    apr1: 'Apache MD5 ($apr1$)',
    md5: 'Sun MD5 ($md5$)',
  };
  if (id !== undefined) return known[id] ?? `'$${id}$'`;
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return 'traditional DES crypt';
  if (hash.startsWith('_')) return 'BSDi extended DES crypt';
  return 'unknown (not a crypt(3) hash)';
}

/** Recent verdicts, by a digest of (hash, password): a SHA-crypt check takes milliseconds of CPU
 * (5000 rounds), which a client sending the same credentials on every request would otherwise
 * cost each time. Bounded; cleared when full. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1024;

/** Whether `password` hashes to `hash` (constant time in the comparison). False for a scheme handoff cannot verify. */
export function verifyCrypt(password: string, hash: string): boolean {
  const s = cryptScheme(hash);
  if (!s.ok) return false;
  const key = createHash('sha256').update(hash).update('\0').update(password).digest('base64');
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const computed = s.scheme === 'md5' ? md5Crypt(password, hash) : shaCrypt(s.scheme, password, hash);
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  const ok = a.length === b.length && timingSafeEqual(a, b);
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, ok);
  return ok;
}

/** Base-64 of three bytes, least significant six bits first (crypt's own alphabet and order). */
function b64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

/** `n` bytes made of `block` repeated. */
function repeatTo(block: Buffer, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += block.length) block.copy(out, i, 0, Math.min(block.length, n - i));
  return out;
}

const SHA256_ORDER = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
const SHA512_ORDER = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
  [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

/** SHA-crypt (`$5$` / `$6$`): the hash of `password` with the salt and rounds of `setting`. */
export function shaCrypt(scheme: 'sha256' | 'sha512', password: string, setting: string): string {
  const algo = scheme === 'sha256' ? 'sha256' : 'sha512';
  const id = scheme === 'sha256' ? '5' : '6';
  const m = /^\$[56]\$(?:rounds=(\d+)\$)?([^$]{0,16})/.exec(setting);
  const given = m?.[1];
  const rounds = given === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, Number(given)));
  const salt = Buffer.from(m?.[2] ?? '');
  const p = Buffer.from(password);
  const h = (): Hash => createHash(algo);
  const b = h().update(p).update(salt).update(p).digest();
  const ctxA = h().update(p).update(salt);
  let i = p.length;
  for (; i > b.length; i -= b.length) ctxA.update(b);
  ctxA.update(b.subarray(0, i));
  for (let n = p.length; n > 0; n >>= 1) ctxA.update((n & 1) !== 0 ? b : p);
  let c = ctxA.digest();
  const dp = h();
  for (let n = 0; n < p.length; n++) dp.update(p);
  const pBytes = repeatTo(dp.digest(), p.length);
  const ds = h();
  for (let n = 0; n < 16 + (c[0] as number); n++) ds.update(salt);
  const sBytes = repeatTo(ds.digest(), salt.length);
  for (let r = 0; r < rounds; r++) {
    const ctx = h();
    const odd = (r & 1) !== 0;
    ctx.update(odd ? pBytes : c);
    if (r % 3 !== 0) ctx.update(sBytes);
    if (r % 7 !== 0) ctx.update(pBytes);
    ctx.update(odd ? c : pBytes);
    c = ctx.digest();
  }
  const d = (k: number): number => c[k] as number;
  const order = scheme === 'sha256' ? SHA256_ORDER : SHA512_ORDER;
  let out = order.map(([x, y, z]) => b64(d(x as number), d(y as number), d(z as number), 4)).join('');
  out += scheme === 'sha256' ? b64(0, d(31), d(30), 3) : b64(0, 0, d(63), 2);
  return `$${id}$${given === undefined ? '' : `rounds=${rounds}$`}${salt.toString()}$${out}`;
}

/** MD5-crypt (`$1$`), Poul-Henning Kamp's algorithm as glibc implements it. */
export function md5Crypt(password: string, setting: string): string {
  const salt = Buffer.from(/^\$1\$([^$]{0,8})/.exec(setting)?.[1] ?? '');
  const p = Buffer.from(password);
  const md5 = (): Hash => createHash('md5');
  const alt = md5().update(p).update(salt).update(p).digest();
  const ctx = md5().update(p).update('$1$').update(salt);
  for (let i = p.length; i > 0; i -= 16) ctx.update(alt.subarray(0, Math.min(16, i)));
  for (let n = p.length; n > 0; n >>= 1) ctx.update((n & 1) !== 0 ? Buffer.from([0]) : p.subarray(0, 1));
  let f = ctx.digest();
  for (let r = 0; r < 1000; r++) {
    const c = md5();
    c.update((r & 1) !== 0 ? p : f);
    if (r % 3 !== 0) c.update(salt);
    if (r % 7 !== 0) c.update(p);
    c.update((r & 1) !== 0 ? f : p);
    f = c.digest();
  }
  const d = (k: number): number => f[k] as number;
  const out = b64(d(0), d(6), d(12), 4) + b64(d(1), d(7), d(13), 4) + b64(d(2), d(8), d(14), 4) + b64(d(3), d(9), d(15), 4) + b64(d(4), d(10), d(5), 4) + b64(0, 0, d(11), 2);
  return `$1$${salt.toString()}$${out}`;
}
