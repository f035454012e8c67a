// The server side's HTTP/1.1 request parser (RFC 9112, with HAProxy's strictness). Framing is a
// security property: whatever could be read two ways by two parsers (CL+TE, bare LF, obs-fold, a
// Transfer-Encoding that is not exactly `chunked`…) is refused here, before anything is forwarded.
// The scan is one pass of table lookups recording offsets; the head is decoded once (latin1) and
// its fields are slices of that string.
import { COLON, CR, FIELD_VALUE, HT, LF, SP, TARGET, TCHAR } from './chars.ts';
import * as F from './failures.ts';
import { CONNECTION, CONTENT_LENGTH, EXPECT, HOST, OTHER, TRANSFER_ENCODING, UPGRADE, addConnectionTokens, contentLength, fieldKind, transferCoding } from './fields.ts';
import { checkAuthority, resolveTarget, sameAuthority } from './target.ts';

export { chunkedDecoder, lengthDecoder, type BodyDecoder } from './body.ts';

export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form `/a?b`, absolute-form `http://h/a`, authority-form `h:443` for CONNECT, or `*` for OPTIONS). */
  target: string;
  /** What is sent to the server: origin-form (absolute-form reduced to its path and query; `*` and authority-form unchanged). */
  uri: string;
  /** The path of `uri` without the query: what path fetches (`path_beg`, `path`) see. */
  path: string;
  /** HTTP/1.x minor version: 0 or 1. */
  minor: number;
  /** Header name/value pairs in the order received, names as sent, values with surrounding OWS trimmed. */
  headers: string[];
  /** The Host header value, or the authority of an absolute-form target when there is no Host ('' if neither). */
  host: string;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding: chunked. */
  chunked: boolean;
  /** Connection header tokens (lower-cased, deduplicated), e.g. ['keep-alive'] or ['upgrade']. */
  connection: string[];
  /** The Upgrade header's value when Connection lists `upgrade` (else undefined). */
  upgrade: string | undefined;
  /** `Expect: 100-continue` (case-insensitive). */
  expectContinue: boolean;
  /** Bytes of the head: request line through the empty line. */
  size: number;
}

export interface HeadLimits {
  /** Largest head (request line + headers + empty line), bytes: HAProxy's tune.bufsize minus tune.maxrewrite (default 16384 − 1024). */
  maxHeadBytes: number;
  /** Most header lines (HAProxy's tune.http.maxhdr, default 101). */
  maxHeaders: number;
}

export type HeadResult =
  | { kind: 'partial' }
  | { kind: 'head'; head: RequestHead }
  | { kind: 'error'; status: 400 | 414 | 431 | 501 | 505; reason: string };

const PARTIAL_RESULT: HeadResult = Object.freeze({ kind: 'partial' as const });

/** Above this many buffered bytes, an incomplete head is recognised by a memchr per line before
 * it is validated: a head arriving a byte at a time is then not re-validated for every byte
 * (the cost stays linear past this size). An error in such a head is reported once its end, or
 * the limit, arrives. */
const PRECHECK_ABOVE = 4096;

/** marks[] holds offsets into buf: the request line's five, then four per header field. */
const LINE_MARKS = 5;

/** Parse one request head at buf[offset..end). 'partial': the head is not complete yet (and within limits).
 * Failures are shared frozen objects. The version is HTTP/1.0 or HTTP/1.1, anything else is 400
 * (as HAProxy answers), so 505 is never returned. */
export function parseRequestHead(buf: Buffer, offset: number, end: number, limits: HeadLimits): HeadResult {
  const limit = offset + limits.maxHeadBytes;
  const stop = end < limit ? end : limit;
  if (end - offset > PRECHECK_ABOVE && end < limit && !mayBeComplete(buf, offset, end, limits.maxHeaders)) return PARTIAL_RESULT;
  const marks: number[] = [];
  const headEnd = scanHead(buf, offset, stop, limits.maxHeaders, marks);
  if (headEnd >= 0) return buildHead(buf, offset, headEnd, marks);
  if (headEnd !== F.PARTIAL) return F.failureOf(headEnd);
  if (stop < limit) return PARTIAL_RESULT;
  return F.failureOf(marks.length < LINE_MARKS ? F.LINE_TOO_LONG : F.HEAD_TOO_BIG);
}

/** false when buf[offset..end) surely holds no complete head: no LF followed by an empty line. */
function mayBeComplete(buf: Buffer, offset: number, end: number, maxHeaders: number): boolean {
  let p = offset;
  for (let lines = 0; lines <= maxHeaders + 1; lines++) {
    const lf = buf.indexOf(LF, p);
    if (lf < 0 || lf + 1 >= end) return false;
    const next = buf[lf + 1];
    if (next === CR || next === LF) return true;
    p = lf + 1;
  }
  return true; // too many lines: let the scan say which limit
}

/** The offset after the head's empty line, or a code. */
function scanHead(buf: Buffer, offset: number, stop: number, maxHeaders: number, marks: number[]): number {
  let p = skipEmptyLines(buf, offset, stop);
  if (p < 0) return p;
  p = scanRequestLine(buf, p, stop, marks);
  for (let fields = 0; p >= 0; fields++) {
    if (p >= stop) return F.PARTIAL;
    const b = buf[p];
    if (b === CR) {
      if (p + 1 >= stop) return F.PARTIAL;
      return buf[p + 1] === LF ? p + 2 : F.BARE_CR;
    }
    if (b === LF) return F.BARE_LF;
    if (fields === maxHeaders) return F.TOO_MANY_HEADERS;
    p = scanField(buf, p, stop, marks);
  }
  return p;
}

/** RFC 9112 §2.2: empty lines (CRLF) before a request line are ignored. */
function skipEmptyLines(buf: Buffer, p: number, stop: number): number {
  for (; p < stop; p += 2) {
    const b = buf[p];
    if (b === LF) return F.BARE_LF;
    if (b !== CR) return p;
    if (p + 1 >= stop) return F.PARTIAL;
    if (buf[p + 1] !== LF) return F.BARE_CR;
  }
  return F.PARTIAL;
}

/** `method SP request-target SP HTTP/1.x CRLF`, single spaces; records its five marks. */
function scanRequestLine(buf: Buffer, start: number, stop: number, marks: number[]): number {
  let p = start;
  while (p < stop && TCHAR[buf[p]!] === 1) p++;
  if (p >= stop) return F.PARTIAL;
  let b = buf[p]!;
  if (b !== SP || p === start) return p > start && (b === CR || b === LF) ? F.NO_VERSION : F.BAD_METHOD;
  const methodEnd = p++;
  const targetStart = p;
  while (p < stop && TARGET[buf[p]!] === 1) p++;
  if (p >= stop) return F.PARTIAL;
  b = buf[p]!;
  if (b !== SP) return b === CR || b === LF ? F.NO_VERSION : b === 0x23 ? F.FRAGMENT : F.TARGET_CHAR;
  if (p === targetStart) return F.EMPTY_TARGET;
  const targetEnd = p++;
  const minor = scanVersion(buf, p, stop);
  if (minor < 0) return minor;
  marks.push(start, methodEnd, targetStart, targetEnd, minor);
  return p + 10;
}

const HTTP1 = 'HTTP/1.';

/** `HTTP/1.0` or `HTTP/1.1` then CRLF at buf[p..p+10): the minor version, or a code. Checked as
 * far as the bytes go, so that a bad version is refused before its line ends. */
function scanVersion(buf: Buffer, p: number, stop: number): number {
  const n = stop - p < 10 ? stop - p : 10;
  for (let i = 0; i < n; i++) {
    const b = buf[p + i];
    if (i < 7 ? b !== HTTP1.charCodeAt(i) : i === 7 && b !== 0x30 && b !== 0x31) return F.BAD_VERSION;
    if (i === 8 && b !== CR) return b === LF ? F.BARE_LF : F.BAD_VERSION;
    if (i === 9 && b !== LF) return F.BARE_CR;
  }
  return n < 10 ? F.PARTIAL : buf[p + 7]! - 0x30;
}

/** `name ":" OWS value OWS CRLF`; records name start/end and the trimmed value's start/end. */
function scanField(buf: Buffer, start: number, stop: number, marks: number[]): number {
  let p = start;
  while (p < stop && TCHAR[buf[p]!] === 1) p++;
  if (p >= stop) return F.PARTIAL;
  let b = buf[p];
  if (b !== COLON) return nameFailure(buf, start, p, stop);
  if (p === start) return F.EMPTY_NAME;
  const nameEnd = p++;
  while (p < stop && (buf[p] === SP || buf[p] === HT)) p++;
  const valueStart = p;
  while (p < stop && FIELD_VALUE[buf[p]!] === 1) p++;
  if (p >= stop) return F.PARTIAL;
  b = buf[p];
  if (b !== CR) return b === LF ? F.BARE_LF : F.VALUE_CHAR;
  if (p + 1 >= stop) return F.PARTIAL;
  if (buf[p + 1] !== LF) return F.BARE_CR;
  let valueEnd = p;
  while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HT)) valueEnd--;
  marks.push(start, nameEnd, valueStart, valueEnd);
  return p + 2;
}

/** Why a header line's name ends at buf[p] without a colon (the line ends before stop). */
function nameFailure(buf: Buffer, start: number, p: number, stop: number): number {
  const isOws = (b: number | undefined): boolean => b === SP || b === HT;
  if (p === start) return isOws(buf[p]) ? F.OBS_FOLD : F.BAD_NAME;
  while (p < stop && isOws(buf[p])) p++;
  if (p >= stop) return F.PARTIAL;
  return buf[p] === COLON ? F.SPACE_IN_NAME : F.BAD_NAME;
}

/** The methods most requests use, as constants: no string made, and `===` on them is cheap. */
function commonMethod(buf: Buffer, start: number, end: number): string | undefined {
  const n = end - start;
  const b = buf[start];
  if (n === 3) return b === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54 ? 'GET' : undefined;
  if (n === 4 && buf[start + 3] === 0x54) return b === 0x50 && buf[start + 1] === 0x4f ? 'POST' : undefined;
  if (n === 4 && buf[start + 3] === 0x44) return b === 0x48 && buf[start + 1] === 0x45 ? 'HEAD' : undefined;
  return undefined;
}

function buildHead(buf: Buffer, offset: number, headEnd: number, marks: number[]): HeadResult {
  const base = marks[0]!;
  const text = buf.toString('latin1', base, headEnd - 2);
  const methodEnd = marks[1]!;
  const head: RequestHead = {
    method: commonMethod(buf, base, methodEnd) ?? text.slice(0, methodEnd - base),
    target: text.slice(marks[2]! - base, marks[3]! - base),
    uri: '',
    path: '',
    minor: marks[4]!,
    headers: [],
    host: '',
    contentLength: -1,
    chunked: false,
    connection: [],
    upgrade: undefined,
    expectContinue: false,
    size: headEnd - offset,
  };
  const authority = resolveTarget(head);
  if (typeof authority === 'number') return F.failureOf(authority);
  const verdict = applyFields(buf, text, base, marks, head, authority);
  return verdict < 0 ? F.failureOf(verdict) : { kind: 'head', head };
}

/** No Transfer-Encoding seen (its verdict is 0 for chunked, a code otherwise). */
const NO_TE = 1;

/** Fills headers and the fields' meanings; 0, or a code. */
function applyFields(buf: Buffer, text: string, base: number, marks: number[], head: RequestHead, authority: string): number {
  const headers = head.headers;
  let hostSeen = false;
  let te = NO_TE;
  for (let i = LINE_MARKS; i < marks.length; i += 4) {
    const nameStart = marks[i]!;
    const nameEnd = marks[i + 1]!;
    const valueStart = marks[i + 2]!;
    const valueEnd = marks[i + 3]!;
    const value = text.slice(valueStart - base, valueEnd - base);
    headers.push(text.slice(nameStart - base, nameEnd - base), value);
    const kind = fieldKind(buf, nameStart, nameEnd - nameStart);
    if (kind === OTHER) continue;
    if (kind === CONTENT_LENGTH) {
      if (head.contentLength !== -1) return F.DUP_CONTENT_LENGTH;
      head.contentLength = contentLength(buf, valueStart, valueEnd);
      if (head.contentLength < 0) return head.contentLength;
    } else if (kind === TRANSFER_ENCODING) {
      if (te !== NO_TE) return F.DUP_TRANSFER_ENCODING;
      te = transferCoding(value);
    } else if (kind === HOST) {
      if (hostSeen) return F.DUP_HOST;
      hostSeen = true;
      const bad = checkAuthority(value, false);
      if (bad < 0) return bad;
      head.host = value;
    } else if (kind === CONNECTION) addConnectionTokens(head.connection, value);
    else if (kind === UPGRADE) head.upgrade = head.upgrade === undefined ? value : `${head.upgrade}, ${value}`;
    else if (kind === EXPECT && value.length === 12 && value.toLowerCase() === '100-continue') head.expectContinue = true;
  }
  return finishHead(head, te, hostSeen, authority);
}

/** The checks that need every field: framing, the authority, what depends on Connection. */
function finishHead(head: RequestHead, te: number, hostSeen: boolean, authority: string): number {
  if (te !== NO_TE) {
    if (head.minor === 0) return F.TRANSFER_ENCODING_10;
    if (head.contentLength !== -1) return F.BOTH_LENGTHS;
    if (te < 0) return te;
    head.chunked = true;
  }
  if (authority !== '') {
    if (!hostSeen) head.host = authority;
    else if (!sameAuthority(head.host, authority, head.target)) return F.HOST_MISMATCH;
  }
  if (head.upgrade !== undefined && !head.connection.includes('upgrade')) head.upgrade = undefined;
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  if (head.minor === 0) head.expectContinue = false;
  return 0;
}
