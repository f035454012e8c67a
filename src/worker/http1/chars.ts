// Byte classes of HTTP/1.1 (RFC 9110 §5.6, RFC 9112, RFC 3986), as 256-entry tables: one load per
// byte on the hot path instead of a chain of comparisons.

export const HT = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;

function table(accepts: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accepts(b) ? 1 : 0;
  return t;
}

const isAlnum = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const among = (chars: string) => (b: number): boolean => b < 0x80 && chars.includes(String.fromCharCode(b));

/** tchar: what a method, a header name or a transfer coding is made of. */
export const TCHAR = table((b) => isAlnum(b) || among("!#$%&'*+-.^_`|~")(b));

/** Request-target bytes: visible ASCII except `#` (a fragment is never sent; HAProxy rejects it,
 * CVE-2023-45539). Space, controls and bytes ≥ 0x80 end the scan. */
export const TARGET = table((b) => b >= 0x21 && b <= 0x7e && b !== 0x23);

/** field-value bytes: HTAB, SP, VCHAR and obs-text (≥ 0x80); every other control ends the scan. */
export const FIELD_VALUE = table((b) => b === HT || (b >= 0x20 && b !== 0x7f));

/** reg-name of RFC 3986 (unreserved, sub-delims, pct-encoded's `%`): a Host without its port. */
export const REG_NAME = table((b) => isAlnum(b) || among("-._~!$&'()*+,;=%")(b));

/** Inside an IP-literal's brackets: hex digits, `:` and `.` (IPv6, IPv4-mapped IPv6). */
export const IP_LITERAL = table((b) => among('0123456789abcdefABCDEF:.')(b));

/** 0..15 for a hex digit, 255 otherwise. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d;
  for (let d = 0; d < 6; d++) t[0x41 + d] = t[0x61 + d] = 10 + d;
  return t;
})();

/** Whether buf[start..start+lower.length) is `lower` (a constant of lower-case letters, digits and
 * punctuation below 0x40), ignoring case; callers compare lengths. `| 0x20` folds A-Z onto a-z and
 * nothing else onto a letter; it folds controls onto 0x20-0x3F, so it is for bytes already checked
 * to hold none (tchar, field values, request targets). */
export function bytesEqualFold(buf: Buffer, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether s (any case) is `lower`, under the same conditions as bytesEqualFold. */
export function equalsFold(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((s.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
