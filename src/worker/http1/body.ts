// Request body framing: a Content-Length count, or the chunked transfer coding (RFC 9112 §7.1)
// decoded strictly, byte by byte where it has syntax and in bulk where it carries data. The
// decoders hand payload on as subarrays of what they are fed and never look past the body's end.
import type { Socket } from 'node:net';
import { CR, FIELD_VALUE, HEX, HT, LF, SEMICOLON, SP, TCHAR, COLON } from './chars.ts';

export interface BodyDecoder {
  /** Decode buf[offset..end): payload pieces go to `onData` (subarrays, no copies); returns the offset after what belongs to this body (bytes after the body's end are the next pipelined request), or -1 when the framing is invalid (`error` says why). */
  feed(buf: Buffer, offset: number, end: number, onData: (piece: Buffer) => void): number;
  readonly done: boolean;
  readonly error: string | undefined;
}

export function lengthDecoder(length: number): BodyDecoder {
  let left = length;
  return {
    feed(buf, offset, end, onData) {
      const n = Math.max(0, Math.min(left, end - offset));
      if (n === 0) return offset;
      left -= n;
      onData(buf.subarray(offset, offset + n));
      return offset + n;
    },
    get done() {
      return left === 0;
    },
    get error() {
      return undefined;
    },
  };
}

/** Most bytes of chunk extensions on one size line (skipped, but not without bound). */
export const MAX_CHUNK_EXT_BYTES = 4096;
const MAX_SIZE_DIGITS = 16;
/** The largest size that can take one more hex digit and stay an exact integer. */
const MAX_BEFORE_DIGIT = Math.floor((Number.MAX_SAFE_INTEGER - 15) / 16);

// Where the decoder is: in a size line, in data, in the trailer section.
const SIZE_FIRST = 0;
const SIZE = 1;
const EXT = 2;
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7;
const TRAILER_NAME = 8;
const TRAILER_VALUE = 9;
const TRAILER_LF = 10;
const END_LF = 11;
const DONE = 12;
const FAILED = 13;

interface ChunkedState {
  phase: number;
  /** Digits of the size line, then the data still to come. */
  size: number;
  digits: number;
  extBytes: number;
  trailerBytes: number;
  readonly maxTrailerBytes: number;
  error: string | undefined;
}

/** Chunked transfer coding: chunk sizes, extensions (skipped), data, trailers (discarded, bounded by maxTrailerBytes). */
export function chunkedDecoder(maxTrailerBytes: number): BodyDecoder {
  const s: ChunkedState = { phase: SIZE_FIRST, size: 0, digits: 0, extBytes: 0, trailerBytes: 0, maxTrailerBytes, error: undefined };
  return {
    feed: (buf, offset, end, onData) => feedChunked(s, buf, offset, end, onData),
    get done() {
      return s.phase === DONE;
    },
    get error() {
      return s.error;
    },
  };
}

function feedChunked(s: ChunkedState, buf: Buffer, offset: number, end: number, onData: (piece: Buffer) => void): number {
  let p = offset;
  while (p < end && s.phase !== DONE) {
    if (s.phase === DATA) {
      const n = Math.min(s.size, end - p);
      s.size -= n;
      if (s.size === 0) s.phase = DATA_CR;
      onData(buf.subarray(p, p + n));
      p += n;
    } else if (s.phase >= TRAILER_START ? trailerByte(s, buf[p]!) : sizeLineByte(s, buf[p]!)) {
      p++;
    } else {
      return -1;
    }
  }
  return s.phase === FAILED ? -1 : p;
}

function fail(s: ChunkedState, error: string): boolean {
  s.phase = FAILED;
  s.error = error;
  return false;
}

/** One byte of `chunk-size [; ext] CRLF` or of the CRLF after a chunk's data. */
function sizeLineByte(s: ChunkedState, b: number): boolean {
  switch (s.phase) {
    case SIZE_FIRST:
    case SIZE: {
      const d = HEX[b]!;
      if (d !== 255) {
        if (++s.digits > MAX_SIZE_DIGITS) return fail(s, `a chunk size of more than ${MAX_SIZE_DIGITS} hex digits`);
        if (s.size > MAX_BEFORE_DIGIT) return fail(s, 'a chunk size above 2^53');
        s.size = s.size * 16 + d;
        s.phase = SIZE;
        return true;
      }
      if (s.phase === SIZE_FIRST) return fail(s, 'a chunk size that is not hexadecimal digits');
      if (b === SEMICOLON) s.phase = EXT;
      else if (b === CR) s.phase = SIZE_LF;
      else if (b === LF) return fail(s, 'a chunk size line not ended by CRLF');
      else return fail(s, 'a chunk size followed by something other than ";" or CRLF');
      return true;
    }
    case EXT:
      if (b === CR) s.phase = SIZE_LF;
      else if (b === LF) return fail(s, 'a chunk size line not ended by CRLF');
      else if (FIELD_VALUE[b] !== 1) return fail(s, 'a control character in a chunk extension');
      else if (++s.extBytes > MAX_CHUNK_EXT_BYTES) return fail(s, `chunk extensions longer than ${MAX_CHUNK_EXT_BYTES} bytes`);
      return true;
    case SIZE_LF:
      if (b !== LF) return fail(s, 'a chunk size line not ended by CRLF');
      s.phase = s.size === 0 ? TRAILER_START : DATA;
      s.digits = 0;
      s.extBytes = 0;
      return true;
    case DATA_CR:
      if (b !== CR) return fail(s, 'chunk data not followed by CRLF');
      s.phase = DATA_LF;
      return true;
    case DATA_LF:
      if (b !== LF) return fail(s, 'chunk data not followed by CRLF');
      s.phase = SIZE_FIRST;
      return true;
    default:
      return false; // FAILED
  }
}

/** One byte of the trailer section: field lines checked as header lines are, then CRLF. */
function trailerByte(s: ChunkedState, b: number): boolean {
  if (s.phase === FAILED) return false;
  if (s.phase === END_LF) {
    if (b !== LF) return fail(s, 'a CR not followed by LF after the last chunk');
    s.phase = DONE;
    return true;
  }
  if (s.phase === TRAILER_START && b === CR) {
    s.phase = END_LF;
    return true;
  }
  if (++s.trailerBytes > s.maxTrailerBytes) return fail(s, `trailers larger than ${s.maxTrailerBytes} bytes`);
  switch (s.phase) {
    case TRAILER_START:
      if (TCHAR[b] === 1) s.phase = TRAILER_NAME;
      else return fail(s, b === SP || b === HT ? 'obsolete line folding in the trailers' : 'a trailer line without a name');
      return true;
    case TRAILER_NAME:
      if (b === COLON) s.phase = TRAILER_VALUE;
      else if (TCHAR[b] !== 1) return fail(s, 'a trailer name that is not a token followed by ":"');
      return true;
    case TRAILER_VALUE:
      if (b === CR) s.phase = TRAILER_LF;
      else if (b === LF) return fail(s, 'a trailer line not ended by CRLF');
      else if (FIELD_VALUE[b] !== 1) return fail(s, 'a control character in a trailer value');
      return true;
    default: // TRAILER_LF
      if (b !== LF) return fail(s, 'a trailer line not ended by CRLF');
      s.phase = TRAILER_START;
      return true;
  }
}

/** Write `piece` as one chunk of the chunked transfer coding (the socket is corked by the caller
 * or not: three writes either way); false when the socket wants a drain. */
export function writeChunk(socket: Socket, piece: Buffer): boolean {
  socket.write(`${piece.length.toString(16)}\r\n`, 'latin1');
  socket.write(piece);
  return socket.write('\r\n', 'latin1');
}
