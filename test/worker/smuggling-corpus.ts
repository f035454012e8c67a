// Hostile requests: each is complete as sent, and each would frame differently (or be read at all)
// by some parser that is more lenient than ours. Where a second request can hide in what one
// reading takes as a body, it is `GET /smuggled`: a backend that ever sees that path was smuggled
// to. Names are `category/case`; category `chunked` heads are valid and the chunked decoder
// refuses the body (the proxy answers 400), every other case is refused from its head.

/** The limits the corpus assumes: HAProxy's defaults (tune.bufsize − tune.maxrewrite, tune.http.maxhdr). */
export const CORPUS_LIMITS = { maxHeadBytes: 16384 - 1024, maxHeaders: 101 };

export interface HostileRequest {
  name: string;
  raw: string;
  expect: 400 | 414 | 431 | 501;
}

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n';
/** A chunked body that ends at once, then the smuggled request: what a TE reader sees. */
const CHUNKED_THEN_SMUGGLED = `0\r\n\r\n${SMUGGLED}`;
/** `Content-Length` covering all of CHUNKED_THEN_SMUGGLED: what a CL reader takes as the body. */
const CL_ALL = String(CHUNKED_THEN_SMUGGLED.length);

const post = (fields: string, body = CHUNKED_THEN_SMUGGLED, line = 'POST / HTTP/1.1'): string =>
  `${line}\r\nHost: example.com\r\n${fields}\r\n${body}`;
const te = (value: string): string => post(`Transfer-Encoding: ${value}\r\n`);
const cl = (value: string): string => post(`Content-Length: ${value}\r\n`, `${'x'.repeat(44)}${SMUGGLED}`);
const get = (line: string, fields = 'Host: example.com\r\n'): string => `${line}\r\n${fields}\r\n${SMUGGLED}`;
const chunked = (body: string): string => post('Transfer-Encoding: chunked\r\n', `${body}${SMUGGLED}`);

const framing: HostileRequest[] = [
  { name: 'cl-te/content-length then transfer-encoding', raw: post(`Content-Length: 6\r\nTransfer-Encoding: chunked\r\n`), expect: 400 },
  { name: 'cl-te/transfer-encoding then content-length', raw: post(`Transfer-Encoding: chunked\r\nContent-Length: ${CL_ALL}\r\n`), expect: 400 },
  { name: 'cl-te/content-length 0 with chunked', raw: post('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n'), expect: 400 },
  { name: 'cl-te/upper-case names and value', raw: post(`CONTENT-LENGTH: ${CL_ALL}\r\nTRANSFER-ENCODING: CHUNKED\r\n`), expect: 400 },
  { name: 'cl-te/content-length with gzip coding', raw: post(`Content-Length: ${CL_ALL}\r\nTransfer-Encoding: gzip\r\n`), expect: 400 },
  { name: 'duplicate-cl/different values', raw: post(`Content-Length: 0\r\nContent-Length: ${CL_ALL}\r\n`), expect: 400 },
  { name: 'duplicate-cl/equal values', raw: post(`Content-Length: ${CL_ALL}\r\nContent-Length: ${CL_ALL}\r\n`), expect: 400 },
  { name: 'duplicate-cl/comma list of equal values', raw: cl('44, 44'), expect: 400 },
  { name: 'duplicate-cl/comma list of different values', raw: cl('0, 44'), expect: 400 },
  { name: 'cl-syntax/plus sign', raw: cl('+44'), expect: 400 },
  { name: 'cl-syntax/minus sign', raw: cl('-44'), expect: 400 },
  { name: 'cl-syntax/space inside', raw: cl('4 4'), expect: 400 },
  { name: 'cl-syntax/hexadecimal', raw: cl('0x2c'), expect: 400 },
  { name: 'cl-syntax/decimal point', raw: cl('44.0'), expect: 400 },
  { name: 'cl-syntax/trailing letters', raw: cl('44abc'), expect: 400 },
  { name: 'cl-syntax/empty', raw: cl(''), expect: 400 },
  { name: 'cl-syntax/16 digits', raw: cl('0000000000000044'), expect: 400 },
  { name: 'cl-syntax/above 2^64', raw: cl('18446744073709551660'), expect: 400 },
  { name: 'cl-syntax/space before colon', raw: post(`Content-Length : 44\r\n`, `${'x'.repeat(44)}${SMUGGLED}`), expect: 400 },
  { name: 'cl-syntax/obs-fold value', raw: post(`Content-Length:\r\n 44\r\n`, `${'x'.repeat(44)}${SMUGGLED}`), expect: 400 },
  { name: 'cl-syntax/vertical tab before value', raw: cl('\x0b44'), expect: 400 },
];

const transferEncoding: HostileRequest[] = [
  { name: 'te/space before colon', raw: post('Transfer-Encoding : chunked\r\n'), expect: 400 },
  { name: 'te/tab before colon', raw: post('Transfer-Encoding\t: chunked\r\n'), expect: 400 },
  { name: 'te/xchunked', raw: te('xchunked'), expect: 400 },
  { name: 'te/chunkedx', raw: te('chunkedx'), expect: 400 },
  { name: 'te/chunked twice in a list', raw: te('chunked, chunked'), expect: 400 },
  { name: 'te/chunked then gzip', raw: te('chunked, gzip'), expect: 400 },
  { name: 'te/chunked then unknown', raw: te('chunked, foo'), expect: 400 },
  { name: 'te/vertical tab before chunked', raw: te('\x0bchunked'), expect: 400 },
  { name: 'te/form feed before chunked', raw: te('\x0cchunked'), expect: 400 },
  { name: 'te/NUL after chunked', raw: te('chunked\x00'), expect: 400 },
  { name: 'te/quoted chunked', raw: te('"chunked"'), expect: 400 },
  { name: 'te/parameter', raw: te('chunked;q=1'), expect: 400 },
  { name: 'te/empty', raw: te(''), expect: 400 },
  { name: 'te/trailing comma', raw: te('chunked,'), expect: 400 },
  { name: 'te/leading comma', raw: te(', chunked'), expect: 400 },
  { name: 'te/non-ASCII letter', raw: te('chunk\xe9d'), expect: 400 },
  { name: 'te/two headers', raw: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'), expect: 400 },
  { name: 'te/identity then chunked headers', raw: post('Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n'), expect: 400 },
  { name: 'te/obs-fold value', raw: post('Transfer-Encoding:\r\n chunked\r\n'), expect: 400 },
  { name: 'te/obs-fold continuation', raw: post('Transfer-Encoding: chunked\r\n , identity\r\n'), expect: 400 },
  { name: 'te/in HTTP/1.0', raw: post('Transfer-Encoding: chunked\r\n', CHUNKED_THEN_SMUGGLED, 'POST / HTTP/1.0'), expect: 400 },
  { name: 'te/in HTTP/1.0 with content-length', raw: post(`Transfer-Encoding: chunked\r\nContent-Length: ${CL_ALL}\r\n`, CHUNKED_THEN_SMUGGLED, 'POST / HTTP/1.0'), expect: 400 },
  { name: 'te/gzip alone', raw: te('gzip'), expect: 501 },
  { name: 'te/gzip then chunked', raw: te('gzip, chunked'), expect: 501 },
  { name: 'te/identity', raw: te('identity'), expect: 501 },
];

const lines: HostileRequest[] = [
  { name: 'line-end/bare LF after request line', raw: `POST / HTTP/1.1\nHost: example.com\r\nContent-Length: ${CL_ALL}\r\n\r\n${CHUNKED_THEN_SMUGGLED}`, expect: 400 },
  { name: 'line-end/bare LF after a header', raw: post(`X-Pad: a\nTransfer-Encoding: chunked\r\n`), expect: 400 },
  { name: 'line-end/bare LF ends the head', raw: `POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\n${CHUNKED_THEN_SMUGGLED}`, expect: 400 },
  { name: 'line-end/bare CR ends the head', raw: `POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r${CHUNKED_THEN_SMUGGLED}`, expect: 400 },
  { name: 'line-end/all bare LF', raw: `GET / HTTP/1.1\nHost: example.com\n\n${SMUGGLED}`, expect: 400 },
  { name: 'line-end/bare LF before the request line', raw: `\n${get('GET / HTTP/1.1')}`, expect: 400 },
  { name: 'line-end/bare CR inside a header line', raw: post(`X-Pad: a\rTransfer-Encoding: chunked\r\n`), expect: 400 },
  { name: 'line-end/bare CR after request line', raw: `GET / HTTP/1.1\rHost: example.com\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'line-end/CR CR LF', raw: post(`Transfer-Encoding: chunked\r\r\n`), expect: 400 },
  { name: 'line-end/CR not followed by LF before the request line', raw: `\r ${get('GET / HTTP/1.1')}`, expect: 400 },
  { name: 'header/obs-fold with space', raw: post('X-Pad: a\r\n b\r\nTransfer-Encoding: chunked\r\n'), expect: 400 },
  { name: 'header/obs-fold with tab', raw: post('X-Pad: a\r\n\tb\r\nTransfer-Encoding: chunked\r\n'), expect: 400 },
  { name: 'header/first line folded', raw: `GET / HTTP/1.1\r\n Host: example.com\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'header/space before colon', raw: get('GET / HTTP/1.1', 'Host : example.com\r\n'), expect: 400 },
  { name: 'header/empty name', raw: get('GET / HTTP/1.1', 'Host: example.com\r\n: x\r\n'), expect: 400 },
  { name: 'header/no colon', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nTransfer-Encoding chunked\r\n'), expect: 400 },
  { name: 'header/NUL in value', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX-A: a\x00b\r\n'), expect: 400 },
  { name: 'header/DEL in value', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX-A: a\x7fb\r\n'), expect: 400 },
  { name: 'header/escape in value', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX-A: a\x1bb\r\n'), expect: 400 },
  { name: 'header/NUL in name', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX\x00A: b\r\n'), expect: 400 },
  { name: 'header/slash in name', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX/A: b\r\n'), expect: 400 },
  { name: 'header/non-ASCII name', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nX\xe9: b\r\n'), expect: 400 },
];

const chunkedBodies: HostileRequest[] = [
  { name: 'chunked/negative size', raw: chunked('-1\r\nx\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/0x prefix', raw: chunked('0x10\r\n0123456789abcdef\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/plus sign', raw: chunked('+5\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/space before size', raw: chunked(' 5\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/space after size', raw: chunked('5 \r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/tab after size', raw: chunked('5\t\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/17 hex digits', raw: chunked('00000000000000005\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/size above 2^53', raw: chunked('ffffffffffffffff\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/empty size', raw: chunked('\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare LF after size', raw: chunked('5\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare LF after extension', raw: chunked('5;a=b\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/no CRLF after data', raw: chunked('5\r\nhello0\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare LF after data', raw: chunked('5\r\nhello\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare CR after data', raw: chunked('5\r\nhello\r05\r\nworld\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/more data than its size', raw: chunked('3\r\nhello\r\n0\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare LF ends the last chunk', raw: chunked('0\n\r\n'), expect: 400 },
  { name: 'chunked/obs-fold in trailers', raw: chunked('0\r\nX-T: a\r\n b\r\n\r\n'), expect: 400 },
  { name: 'chunked/bare LF in trailers', raw: chunked('0\r\nX-T: a\n\r\n'), expect: 400 },
  { name: 'chunked/space before colon in trailers', raw: chunked('0\r\nX-T : a\r\n\r\n'), expect: 400 },
  { name: 'chunked/NUL in extension', raw: chunked('5;a\x00\r\nhello\r\n0\r\n\r\n'), expect: 400 },
];

const requestLines: HostileRequest[] = [
  { name: 'request-line/HTTP/0.9 (no version)', raw: `GET /smuggled\r\n\r\n`, expect: 400 },
  { name: 'request-line/HTTP/0.9', raw: get('GET / HTTP/0.9'), expect: 400 },
  { name: 'request-line/HTTP/2.0', raw: get('GET / HTTP/2.0'), expect: 400 },
  { name: 'request-line/HTTP/1.2', raw: get('GET / HTTP/1.2'), expect: 400 },
  { name: 'request-line/HTTP/1.10', raw: get('GET / HTTP/1.10'), expect: 400 },
  { name: 'request-line/lower-case version', raw: get('GET / http/1.1'), expect: 400 },
  { name: 'request-line/space after version', raw: get('GET / HTTP/1.1 '), expect: 400 },
  { name: 'request-line/two spaces after method', raw: get('GET  / HTTP/1.1'), expect: 400 },
  { name: 'request-line/two spaces before version', raw: get('GET /  HTTP/1.1'), expect: 400 },
  { name: 'request-line/tab separators', raw: get('GET\t/\tHTTP/1.1'), expect: 400 },
  { name: 'request-line/space before method', raw: get(' GET / HTTP/1.1'), expect: 400 },
  { name: 'request-line/invalid method character', raw: get('G(ET / HTTP/1.1'), expect: 400 },
  { name: 'request-line/non-ASCII method', raw: get('G\xc9T / HTTP/1.1'), expect: 400 },
  { name: 'request-line/space in target', raw: get('GET /a /smuggled HTTP/1.1'), expect: 400 },
  { name: 'request-line/control character in target', raw: get('GET /a\x01b HTTP/1.1'), expect: 400 },
  { name: 'request-line/DEL in target', raw: get('GET /a\x7fb HTTP/1.1'), expect: 400 },
  { name: 'request-line/non-ASCII target', raw: get('GET /caf\xe9 HTTP/1.1'), expect: 400 },
  { name: 'request-line/fragment in target', raw: get('GET /admin#.css HTTP/1.1'), expect: 400 },
  { name: 'request-line/relative target', raw: get('GET relative/path HTTP/1.1'), expect: 400 },
  { name: 'request-line/* with GET', raw: get('GET * HTTP/1.1'), expect: 400 },
  { name: 'request-line/authority-form with GET', raw: get('GET example.com:80 HTTP/1.1'), expect: 400 },
  { name: 'request-line/CONNECT with origin-form', raw: get('CONNECT /smuggled HTTP/1.1'), expect: 400 },
  { name: 'request-line/CONNECT without port', raw: get('CONNECT example.com HTTP/1.1'), expect: 400 },
  { name: 'request-line/absolute-form with another scheme', raw: get('GET ftp://example.com/ HTTP/1.1'), expect: 400 },
];

const hosts: HostileRequest[] = [
  { name: 'host/two Host headers', raw: get('GET / HTTP/1.1', 'Host: example.com\r\nHost: evil.example\r\n'), expect: 400 },
  { name: 'host/whitespace inside', raw: get('GET / HTTP/1.1', 'Host: example.com evil.example\r\n'), expect: 400 },
  { name: 'host/userinfo', raw: get('GET / HTTP/1.1', 'Host: user@evil.example\r\n'), expect: 400 },
  { name: 'host/non-numeric port', raw: get('GET / HTTP/1.1', 'Host: example.com:http\r\n'), expect: 400 },
  { name: 'host/port above 65535', raw: get('GET / HTTP/1.1', 'Host: example.com:65536\r\n'), expect: 400 },
  { name: 'host/empty port', raw: get('GET / HTTP/1.1', 'Host: example.com:\r\n'), expect: 400 },
  { name: 'host/path in Host', raw: get('GET / HTTP/1.1', 'Host: example.com/smuggled\r\n'), expect: 400 },
  { name: 'host/absolute-form differs from Host', raw: get('GET http://evil.example/ HTTP/1.1'), expect: 400 },
  { name: 'host/absolute-form with userinfo', raw: get('GET http://user@example.com/ HTTP/1.1'), expect: 400 },
  { name: 'host/absolute-form without authority', raw: get('GET http:///smuggled HTTP/1.1'), expect: 400 },
];

const limits: HostileRequest[] = [
  { name: 'limits/request line longer than the head limit', raw: get(`GET /${'a'.repeat(CORPUS_LIMITS.maxHeadBytes)} HTTP/1.1`), expect: 414 },
  { name: 'limits/more header lines than the limit', raw: get('GET / HTTP/1.1', `Host: example.com\r\n${'X-Pad: a\r\n'.repeat(CORPUS_LIMITS.maxHeaders)}`), expect: 431 },
  { name: 'limits/one header larger than the head limit', raw: get('GET / HTTP/1.1', `Host: example.com\r\nX-Pad: ${'a'.repeat(CORPUS_LIMITS.maxHeadBytes)}\r\n`), expect: 431 },
  { name: 'limits/head larger than the limit by one byte', raw: get('GET / HTTP/1.1', `Host: example.com\r\nX-Pad: ${'a'.repeat(CORPUS_LIMITS.maxHeadBytes + 1 - 46)}\r\n`), expect: 431 },
];

export const HOSTILE: HostileRequest[] = [...framing, ...transferEncoding, ...lines, ...chunkedBodies, ...requestLines, ...hosts, ...limits];
