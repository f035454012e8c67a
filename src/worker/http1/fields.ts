// The header fields a request's framing and routing depend on: which they are, and their values'
// strict syntax (RFC 9112 §6, RFC 9110 §7.6.1). Everything else is passed on as received.
import { HT, SP, TCHAR, bytesEqualFold, equalsFold } from './chars.ts';
import { BAD_CONTENT_LENGTH, BAD_TRANSFER_ENCODING, CHUNKED_NOT_LAST, UNIMPLEMENTED_CODING } from './failures.ts';

export const OTHER = 0;
export const HOST = 1;
export const CONTENT_LENGTH = 2;
export const TRANSFER_ENCODING = 3;
export const CONNECTION = 4;
export const UPGRADE = 5;
export const EXPECT = 6;

const COMMA = 0x2c;

/** Which of the fields we look at buf[start..start+length) names, in any case; the length is
 * compared first so that most names cost one switch. */
export function fieldKind(buf: Buffer, start: number, length: number): number {
  switch (length) {
    case 4: return bytesEqualFold(buf, start, 'host') ? HOST : OTHER;
    case 6: return bytesEqualFold(buf, start, 'expect') ? EXPECT : OTHER;
    case 7: return bytesEqualFold(buf, start, 'upgrade') ? UPGRADE : OTHER;
    case 10: return bytesEqualFold(buf, start, 'connection') ? CONNECTION : OTHER;
    case 14: return bytesEqualFold(buf, start, 'content-length') ? CONTENT_LENGTH : OTHER;
    case 17: return bytesEqualFold(buf, start, 'transfer-encoding') ? TRANSFER_ENCODING : OTHER;
    default: return OTHER;
  }
}

/** Content-Length = 1*DIGIT, at most 15 digits (below 2^53, so exact): no sign, no inner space,
 * no list — HAProxy would merge `5, 5`, but a list is how smuggling attempts look. */
export function contentLength(buf: Buffer, start: number, end: number): number {
  if (end - start < 1 || end - start > 15) return BAD_CONTENT_LENGTH;
  let n = 0;
  for (let p = start; p < end; p++) {
    const d = buf[p]! - 0x30;
    if (d < 0 || d > 9) return BAD_CONTENT_LENGTH;
    n = n * 10 + d;
  }
  return n;
}

/** Codings we know but do not decode: a request using them is well-formed but answered 501. */
const UNIMPLEMENTED = ['gzip', 'x-gzip', 'deflate', 'compress', 'x-compress', 'identity'];

const isOws = (c: number): boolean => c === SP || c === HT;

/** 0 when the Transfer-Encoding value is exactly `chunked` (any case). Otherwise 501 for a list
 * of known codings with `chunked` at most once and last (`gzip`, `gzip, chunked`), and 400 for
 * the rest: unknown codings (`xchunked`), parameters (`chunked;q=1`), empty elements, chunked
 * twice or not last (RFC 9112 §6.3: the framing cannot be trusted). */
export function transferCoding(value: string): number {
  if (equalsFold(value, 'chunked')) return 0;
  let chunked = false;
  let p = 0;
  for (;;) {
    while (p < value.length && isOws(value.charCodeAt(p))) p++;
    const start = p;
    while (p < value.length && TCHAR[value.charCodeAt(p)] === 1) p++;
    if (p === start) return BAD_TRANSFER_ENCODING;
    const coding = value.slice(start, p).toLowerCase();
    if (chunked) return coding === 'chunked' || UNIMPLEMENTED.includes(coding) ? CHUNKED_NOT_LAST : BAD_TRANSFER_ENCODING;
    if (coding === 'chunked') chunked = true;
    else if (!UNIMPLEMENTED.includes(coding)) return BAD_TRANSFER_ENCODING;
    while (p < value.length && isOws(value.charCodeAt(p))) p++;
    if (p === value.length) return UNIMPLEMENTED_CODING;
    if (value.charCodeAt(p) !== COMMA) return BAD_TRANSFER_ENCODING;
    p++;
  }
}

/** Adds a Connection value's tokens to `tokens`, lower-cased, once each. */
export function addConnectionTokens(tokens: string[], value: string): void {
  if (!value.includes(',')) {
    const token = value.toLowerCase();
    if (token !== '' && !tokens.includes(token)) tokens.push(token);
    return;
  }
  for (const element of value.split(',')) {
    let a = 0;
    let b = element.length;
    while (a < b && isOws(element.charCodeAt(a))) a++;
    while (b > a && isOws(element.charCodeAt(b - 1))) b--;
    const token = element.slice(a, b).toLowerCase();
    if (token !== '' && !tokens.includes(token)) tokens.push(token);
  }
}
