// Why a request head is refused. The scanners return a position (≥ 0) or one of these codes
// (< 0), so that nothing is allocated on the way: each code stands for one frozen result.

export interface HeadFailure {
  kind: 'error';
  status: 400 | 414 | 431 | 501 | 505;
  reason: string;
}

const FAILURES: HeadFailure[] = [];

/** The head is not complete yet. */
export const PARTIAL = -1;

function failure(status: HeadFailure['status'], reason: string): number {
  FAILURES.push(Object.freeze({ kind: 'error' as const, status, reason }));
  return -1 - FAILURES.length;
}

/** The result a code (< PARTIAL) stands for. */
export function failureOf(code: number): HeadFailure {
  const f = FAILURES[-2 - code];
  if (f === undefined) throw new Error(`internal error: no head failure ${code}`);
  return f;
}

export const BARE_LF = failure(400, 'a line of the request head ends with a bare LF (CRLF required)');
export const BARE_CR = failure(400, 'a CR not followed by LF in the request head');
export const BAD_METHOD = failure(400, 'the method is not a token followed by a single space');
export const NO_VERSION = failure(400, 'no HTTP version in the request line (HTTP/0.9 is not accepted)');
export const BAD_VERSION = failure(400, 'the version must be HTTP/1.0 or HTTP/1.1, right after a single space and before CRLF');
export const EMPTY_TARGET = failure(400, 'empty request target (more than one space after the method?)');
export const TARGET_CHAR = failure(400, 'a control character, space or non-ASCII byte in the request target');
export const FRAGMENT = failure(400, 'a fragment (#) in the request target');
export const BAD_TARGET = failure(400, 'the request target is neither /path, http(s)://authority/path, * (OPTIONS) nor host:port (CONNECT)');
export const STAR_TARGET = failure(400, 'the * target is for OPTIONS only');
export const CONNECT_TARGET = failure(400, 'CONNECT needs a host:port target');
export const OBS_FOLD = failure(400, 'obsolete line folding (a header line starting with whitespace)');
export const EMPTY_NAME = failure(400, 'a header line with an empty name');
export const SPACE_IN_NAME = failure(400, 'whitespace between a header name and its colon');
export const BAD_NAME = failure(400, 'a header name that is not a token, or a header line without a colon');
export const VALUE_CHAR = failure(400, 'a control character in a header value');
export const BAD_CONTENT_LENGTH = failure(400, 'Content-Length must be 1 to 15 digits');
export const DUP_CONTENT_LENGTH = failure(400, 'more than one Content-Length header');
export const DUP_TRANSFER_ENCODING = failure(400, 'more than one Transfer-Encoding header');
export const BAD_TRANSFER_ENCODING = failure(400, 'Transfer-Encoding must be exactly "chunked"');
export const CHUNKED_NOT_LAST = failure(400, 'chunked must be the last transfer coding, applied once');
export const TRANSFER_ENCODING_10 = failure(400, 'Transfer-Encoding in an HTTP/1.0 request');
export const BOTH_LENGTHS = failure(400, 'both Transfer-Encoding and Content-Length');
export const UNIMPLEMENTED_CODING = failure(501, 'transfer codings other than chunked are not implemented');
export const DUP_HOST = failure(400, 'more than one Host header');
export const BAD_HOST = failure(400, 'invalid host in the Host header or the target\'s authority');
export const USERINFO = failure(400, 'userinfo (@) in the Host header or the target\'s authority');
export const BAD_PORT = failure(400, 'invalid port in the Host header or the target\'s authority');
export const HOST_MISMATCH = failure(400, 'the Host header differs from the authority of the absolute-form target');
export const LINE_TOO_LONG = failure(414, 'the request line does not fit in the head limit');
export const HEAD_TOO_BIG = failure(431, 'the request head is larger than the limit');
export const TOO_MANY_HEADERS = failure(431, 'more header lines than the limit');
