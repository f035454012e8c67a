// A small, strict, incremental HTTP/1.x response parser for the load generator.
// It only extracts what a load tester needs (status, framing, persistence, Server header) and
// counts bytes; body bytes are skipped, never copied. One parser object lives per connection slot
// and is reset per request, so the steady state allocates nothing but the header block string.

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_BODY_UNTIL_CLOSE = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_EXT = 4;
const S_CHUNK_SIZE_LF = 5;
const S_CHUNK_DATA = 6;
const S_CHUNK_DATA_CR = 7;
const S_CHUNK_DATA_LF = 8;
const S_TRAILER_START = 9;
const S_TRAILER_LINE = 10;
const S_TRAILER_LF = 11;
const S_TRAILER_END_LF = 12;
const S_DONE = 13;
const S_ERROR = 14;

/** Result of `feed`: more bytes needed, response complete, or protocol error (see `error`). */
export const NEED_MORE = 0;
export const COMPLETE = 1;
export const PROTOCOL_ERROR = -1;
export type FeedResult = typeof NEED_MORE | typeof COMPLETE | typeof PROTOCOL_ERROR;

const MAX_HEAD_BYTES = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;

export interface ResponseParser {
  state: number;
  /** Request was HEAD: the response has no body whatever its headers say. */
  noBody: boolean;
  statusCode: number;
  /** Connection may carry another request after this response. */
  keepAlive: boolean;
  /** Body is delimited by the server closing the connection. */
  untilClose: boolean;
  server: string | undefined;
  /** All bytes of the response(s) fed so far, head included (1xx interim responses too). */
  totalBytes: number;
  /** Decoded entity bytes (chunk framing excluded). */
  bodyBytes: number;
  /** Bytes left in the current Content-Length body or chunk. */
  remaining: number;
  chunkSize: number;
  chunkDigits: number;
  /** Bytes received after the end of the response (server misbehaviour on a kept-alive connection). */
  extraBytes: number;
  head: Buffer | null;
  error: string;
}

export function createParser(): ResponseParser {
  return {
    state: S_HEAD,
    noBody: false,
    statusCode: 0,
    keepAlive: false,
    untilClose: false,
    server: undefined,
    totalBytes: 0,
    bodyBytes: 0,
    remaining: 0,
    chunkSize: 0,
    chunkDigits: 0,
    extraBytes: 0,
    head: null,
    error: '',
  };
}

export function resetParser(p: ResponseParser, noBody: boolean): void {
  p.state = S_HEAD;
  p.noBody = noBody;
  p.statusCode = 0;
  p.keepAlive = false;
  p.untilClose = false;
  p.server = undefined;
  p.totalBytes = 0;
  p.bodyBytes = 0;
  p.remaining = 0;
  p.chunkSize = 0;
  p.chunkDigits = 0;
  p.extraBytes = 0;
  p.head = null;
  p.error = '';
}

/** True once any byte of a response has been seen. */
export function started(p: ResponseParser): boolean {
  return p.totalBytes > 0;
}

function fail(p: ResponseParser, message: string): FeedResult {
  p.state = S_ERROR;
  p.error = message;
  p.head = null;
  return PROTOCOL_ERROR;
}

/** Feed the next chunk received from the server. */
export function feed(p: ResponseParser, chunk: Buffer): FeedResult {
  if (p.state === S_DONE) {
    p.extraBytes += chunk.length;
    return COMPLETE;
  }
  if (p.state === S_ERROR) return PROTOCOL_ERROR;
  p.totalBytes += chunk.length;
  let buf = chunk;
  let i = 0;
  while (p.state === S_HEAD) {
    // Headers may arrive split across reads; keep the partial head until the blank line shows up.
    let data = buf;
    let searchFrom = i;
    if (p.head !== null) {
      searchFrom = Math.max(0, p.head.length - 3);
      data = Buffer.concat([p.head, i === 0 ? buf : buf.subarray(i)]);
      buf = data;
      i = 0;
    }
    const end = data.indexOf(CRLFCRLF, searchFrom);
    if (end === -1) {
      if (data.length - i > MAX_HEAD_BYTES) return fail(p, `response head larger than ${MAX_HEAD_BYTES} bytes`);
      p.head = i === 0 ? Buffer.from(data) : Buffer.from(data.subarray(i));
      return NEED_MORE;
    }
    p.head = null;
    if (end - i > MAX_HEAD_BYTES) return fail(p, `response head larger than ${MAX_HEAD_BYTES} bytes`);
    const r = parseHead(p, data.toString('latin1', i, end));
    if (r === PROTOCOL_ERROR) return r;
    i = end + 4;
    // A 1xx interim response (100 Continue, 103 Early Hints) is followed by the real one.
    if (p.statusCode >= 100 && p.statusCode < 200 && p.statusCode !== 101) continue;
    if (r === COMPLETE) {
      p.extraBytes += buf.length - i;
      return COMPLETE;
    }
  }
  return body(p, buf, i);
}

function parseHead(p: ResponseParser, head: string): FeedResult {
  let eol = head.indexOf('\r\n');
  if (eol === -1) eol = head.length;
  const statusLine = head.slice(0, eol);
  const m = STATUS_LINE.exec(statusLine);
  if (m === null) return fail(p, `malformed status line '${statusLine.slice(0, 80)}'`);
  const http11 = m[1] === '1';
  const status = Number(m[2]);
  p.statusCode = status;
  let contentLength = -1;
  let chunked = false;
  let transferEncoding = false;
  let close = false;
  let keepAliveToken = false;
  // Walk the header lines in place; only the four headers that matter are lower-cased.
  for (let start = eol + 2; start < head.length; start = eol + 2) {
    eol = head.indexOf('\r\n', start);
    if (eol === -1) eol = head.length;
    const colon = head.indexOf(':', start);
    if (colon <= start || colon > eol) return fail(p, `malformed header line '${head.slice(start, Math.min(eol, start + 80))}'`);
    const first = head.charCodeAt(start);
    const last = head.charCodeAt(colon - 1);
    // No whitespace in or around a field name (RFC 9112 §5.1): a classic smuggling vector.
    if (first === 32 || first === 9 || last === 32 || last === 9) return fail(p, `malformed header line '${head.slice(start, Math.min(eol, start + 80))}'`);
    const nameLength = colon - start;
    if (nameLength !== 6 && nameLength !== 10 && nameLength !== 14 && nameLength !== 17) continue;
    const name = head.slice(start, colon).toLowerCase();
    const value = head.slice(colon + 1, eol).trim();
    if (name === 'server') {
      p.server = value;
    } else if (name === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const t = token.trim();
        if (t === 'close') close = true;
        else if (t === 'keep-alive') keepAliveToken = true;
      }
    } else if (name === 'content-length') {
      if (!/^\d{1,15}$/.test(value)) return fail(p, `invalid Content-Length '${value.slice(0, 40)}'`);
      const n = Number(value);
      if (contentLength !== -1 && contentLength !== n) return fail(p, 'conflicting Content-Length headers');
      contentLength = n;
    } else if (name === 'transfer-encoding') {
      transferEncoding = true;
      const codings = value.toLowerCase().split(',');
      chunked = (codings[codings.length - 1] ?? '').trim() === 'chunked';
    }
  }
  if (status >= 100 && status < 200 && status !== 101) return NEED_MORE;
  p.keepAlive = http11 ? !close : keepAliveToken && !close;
  if (p.noBody || status === 204 || status === 304 || status === 101) {
    if (status === 101) p.keepAlive = false;
    p.state = S_DONE;
    return COMPLETE;
  }
  if (transferEncoding) {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; a final coding other than
    // chunked means the body runs until the connection closes.
    if (chunked) {
      p.state = S_CHUNK_SIZE;
      p.chunkSize = 0;
      p.chunkDigits = 0;
    } else {
      p.state = S_BODY_UNTIL_CLOSE;
    }
  } else if (contentLength >= 0) {
    p.remaining = contentLength;
    p.state = contentLength === 0 ? S_DONE : S_BODY_LENGTH;
  } else {
    p.state = S_BODY_UNTIL_CLOSE;
  }
  if (p.state === S_BODY_UNTIL_CLOSE) {
    p.untilClose = true;
    p.keepAlive = false;
  }
  return p.state === S_DONE ? COMPLETE : NEED_MORE;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function body(p: ResponseParser, buf: Buffer, start: number): FeedResult {
  let i = start;
  const len = buf.length;
  while (i < len) {
    switch (p.state) {
      case S_BODY_LENGTH: {
        const take = Math.min(p.remaining, len - i);
        p.remaining -= take;
        p.bodyBytes += take;
        i += take;
        if (p.remaining === 0) {
          p.state = S_DONE;
          p.extraBytes += len - i;
          return COMPLETE;
        }
        break;
      }
      case S_BODY_UNTIL_CLOSE:
        p.bodyBytes += len - i;
        return NEED_MORE;
      case S_CHUNK_SIZE: {
        const c = buf[i++] as number;
        const h = hexValue(c);
        if (h >= 0) {
          if (++p.chunkDigits > 12) return fail(p, 'chunk size too large');
          p.chunkSize = p.chunkSize * 16 + h;
        } else if (p.chunkDigits === 0) {
          return fail(p, 'invalid chunk size');
        } else if (c === 13) {
          p.state = S_CHUNK_SIZE_LF;
        } else if (c === 59 || c === 32 || c === 9) {
          p.state = S_CHUNK_EXT;
        } else {
          return fail(p, 'invalid chunk size');
        }
        break;
      }
      case S_CHUNK_EXT:
        if (buf[i++] === 13) p.state = S_CHUNK_SIZE_LF;
        break;
      case S_CHUNK_SIZE_LF:
        if (buf[i++] !== 10) return fail(p, 'invalid chunk size line ending');
        if (p.chunkSize === 0) {
          p.state = S_TRAILER_START;
        } else {
          p.remaining = p.chunkSize;
          p.state = S_CHUNK_DATA;
        }
        break;
      case S_CHUNK_DATA: {
        const take = Math.min(p.remaining, len - i);
        p.remaining -= take;
        p.bodyBytes += take;
        i += take;
        if (p.remaining === 0) p.state = S_CHUNK_DATA_CR;
        break;
      }
      case S_CHUNK_DATA_CR:
        if (buf[i++] !== 13) return fail(p, 'missing CRLF after chunk data');
        p.state = S_CHUNK_DATA_LF;
        break;
      case S_CHUNK_DATA_LF:
        if (buf[i++] !== 10) return fail(p, 'missing CRLF after chunk data');
        p.chunkSize = 0;
        p.chunkDigits = 0;
        p.state = S_CHUNK_SIZE;
        break;
      case S_TRAILER_START:
        if (buf[i++] === 13) p.state = S_TRAILER_END_LF;
        else p.state = S_TRAILER_LINE;
        break;
      case S_TRAILER_LINE:
        if (buf[i++] === 13) p.state = S_TRAILER_LF;
        break;
      case S_TRAILER_LF:
        if (buf[i++] !== 10) return fail(p, 'malformed trailer');
        p.state = S_TRAILER_START;
        break;
      case S_TRAILER_END_LF:
        if (buf[i++] !== 10) return fail(p, 'malformed end of chunked body');
        p.state = S_DONE;
        p.extraBytes += len - i;
        return COMPLETE;
      default:
        return fail(p, 'parser in an impossible state');
    }
  }
  return p.state === S_DONE ? COMPLETE : NEED_MORE;
}

/**
 * The server closed the connection (EOF). Returns true when that completes the response
 * (a body delimited by close); false means the response was cut short.
 */
export function endOfInput(p: ResponseParser): boolean {
  if (p.state === S_BODY_UNTIL_CLOSE) {
    p.state = S_DONE;
    return true;
  }
  return p.state === S_DONE;
}

export function isComplete(p: ResponseParser): boolean {
  return p.state === S_DONE;
}
