import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chunkedDecoder,
  lengthDecoder,
  parseRequestHead,
  type BodyDecoder,
  type HeadResult,
  type RequestHead,
} from '../../src/worker/http1/parse.ts';
import { CORPUS_LIMITS, HOSTILE } from './smuggling-corpus.ts';

const LIMITS = CORPUS_LIMITS;

function parse(raw: string, limits = LIMITS): HeadResult {
  const buf = Buffer.from(raw, 'latin1');
  return parseRequestHead(buf, 0, buf.length, limits);
}

function head(raw: string, limits = LIMITS): RequestHead {
  const r = parse(raw, limits);
  assert.equal(r.kind, 'head', `${JSON.stringify(raw.slice(0, 200))}: ${JSON.stringify(r)}`);
  return (r as { head: RequestHead }).head;
}

function status(raw: string, limits = LIMITS): number | string {
  const r = parse(raw, limits);
  return r.kind === 'error' ? r.status : r.kind;
}

/** Feeds `raw` to a decoder in pieces cut at `cuts`; the payload, what the last feed returned
 * (as an offset into raw) and the decoder. */
function decode(decoder: BodyDecoder, raw: string, cuts: number[] = []): { data: string; next: number; decoder: BodyDecoder } {
  const buf = Buffer.from(raw, 'latin1');
  let data = '';
  let at = 0;
  for (const cut of [...cuts, buf.length]) {
    if (decoder.done || cut < at) continue;
    // Each piece is fed as a growing view, as a connection's buffer would be.
    const next = decoder.feed(buf, at, cut, (piece) => (data += piece.toString('latin1')));
    if (next < 0) return { data, next, decoder };
    at = next;
  }
  return { data, next: at, decoder };
}

test('an origin-form GET: method, target, uri, path, version, headers as sent with OWS trimmed, size', () => {
  const raw = 'GET /a/b?c=d HTTP/1.1\r\nHost: Example.com:8080\r\nX-Empty:\r\nX-Pad: \t spaced  out \t\r\nX-Latin: caf\xe9\r\n\r\n';
  const h = head(`${raw}GET /next HTTP/1.1\r\n`);
  assert.deepEqual(h, {
    method: 'GET',
    target: '/a/b?c=d',
    uri: '/a/b?c=d',
    path: '/a/b',
    minor: 1,
    headers: ['Host', 'Example.com:8080', 'X-Empty', '', 'X-Pad', 'spaced  out', 'X-Latin', 'caf\xe9'],
    host: 'Example.com:8080',
    contentLength: -1,
    chunked: false,
    connection: [],
    upgrade: undefined,
    expectContinue: false,
    size: raw.length,
  });
  assert.equal(head('get / HTTP/1.1\r\n\r\n').method, 'get', 'methods are case-sensitive tokens, kept as sent');
  assert.equal(head('M-SEARCH / HTTP/1.1\r\n\r\n').method, 'M-SEARCH');
  assert.equal(head('GET / HTTP/1.1\r\nX:\ty\t\r\n\r\n').headers[1], 'y', 'HTAB is OWS');
});

test('absolute-form is sent as origin-form; its authority is the host without a Host header, and Host must match it', () => {
  const h = head('GET HTTP://Example.com:8080/a?b HTTP/1.1\r\n\r\n');
  assert.deepEqual([h.target, h.uri, h.path, h.host], ['HTTP://Example.com:8080/a?b', '/a?b', '/a', 'Example.com:8080']);
  assert.deepEqual([head('GET https://h HTTP/1.1\r\n\r\n').uri, head('GET http://h?q HTTP/1.1\r\n\r\n').uri], ['/', '/?q']);
  assert.deepEqual([head('OPTIONS http://h HTTP/1.1\r\n\r\n').uri, head('OPTIONS http://h HTTP/1.1\r\n\r\n').path], ['*', '']);
  assert.equal(head('GET http://h.example/ HTTP/1.1\r\nHost: H.Example\r\n\r\n').host, 'H.Example', 'case-insensitive; Host kept');
  assert.equal(head('GET http://h:80/ HTTP/1.1\r\nHost: h\r\n\r\n').host, 'h', 'the default port may be written or not');
  assert.equal(head('GET https://h/ HTTP/1.1\r\nHost: h:443\r\n\r\n').host, 'h:443');
  assert.equal(head('GET http://[::1]:8080/ HTTP/1.1\r\n\r\n').host, '[::1]:8080');
  assert.equal(status('GET http://h:8080/ HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
  assert.equal(status('GET https://h:80/ HTTP/1.1\r\nHost: h\r\n\r\n'), 400);
});

test('CONNECT takes host:port only, * is for OPTIONS only, and neither has a path', () => {
  const c = head('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.deepEqual([c.target, c.uri, c.path, c.host], ['example.com:443', 'example.com:443', '', 'example.com:443']);
  assert.equal(head('CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n').uri, '[2001:db8::1]:443');
  const o = head('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.deepEqual([o.target, o.uri, o.path], ['*', '*', '']);
  assert.equal(status('CONNECT example.com HTTP/1.1\r\n\r\n'), 400);
  assert.equal(status('CONNECT http://example.com:443 HTTP/1.1\r\n\r\n'), 400);
  assert.equal(status('POST * HTTP/1.1\r\n\r\n'), 400);
});

test('HTTP/1.0: minor 0, a 100-continue expectation ignored, Transfer-Encoding refused', () => {
  const h = head('POST /f HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\nabc');
  assert.deepEqual([h.minor, h.contentLength, h.expectContinue, h.connection, h.host], [0, 3, false, ['keep-alive'], '']);
  assert.equal(status('POST /f HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'), 400);
});

test('Content-Length and Transfer-Encoding: chunked, in any case, with OWS; leading zeros allowed', () => {
  assert.equal(head('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n').contentLength, 0);
  assert.equal(head('POST / HTTP/1.1\r\ncontent-length:  007 \r\n\r\n').contentLength, 7);
  assert.equal(head(`POST / HTTP/1.1\r\nContent-Length: ${'9'.repeat(15)}\r\n\r\n`).contentLength, 999999999999999);
  for (const value of ['chunked', 'CHUNKED', 'Chunked', '\tchunked\t', '  chunked ']) {
    const h = head(`POST / HTTP/1.1\r\nTransfer-Encoding:${value}\r\n\r\n`);
    assert.deepEqual([h.chunked, h.contentLength], [true, -1], value);
  }
  assert.equal(head('POST / HTTP/1.1\r\nX-Transfer-Encoding: gzip\r\nContent-Lengths: x\r\n\r\n').chunked, false);
});

test('Connection tokens are lower-cased and listed once; Upgrade is kept only when Connection lists upgrade', () => {
  const h = head('GET /ws HTTP/1.1\r\nConnection: Keep-Alive, UPGRADE\r\nUpgrade: websocket\r\nconnection: ,upgrade , close,\r\n\r\n');
  assert.deepEqual([h.connection, h.upgrade], [['keep-alive', 'upgrade', 'close'], 'websocket']);
  assert.equal(head('GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n').upgrade, undefined);
  assert.equal(head('GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: close\r\n\r\n').upgrade, undefined);
  assert.equal(head('GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: a\r\nUpgrade: b\r\n\r\n').upgrade, 'a, b');
});

test('Expect: 100-continue in any case; another expectation is left to the caller', () => {
  assert.equal(head('PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n').expectContinue, true);
  const other = head('PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n');
  assert.deepEqual([other.expectContinue, other.headers], [false, ['Expect', '200-ok']]);
});

test('Host: one, an authority with an optional port; IPv6 literals; an empty Host is valid', () => {
  assert.equal(head('GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n').host, '[::1]:8080');
  assert.equal(head('GET / HTTP/1.1\r\nHost: a-b_c.example.:65535\r\n\r\n').host, 'a-b_c.example.:65535');
  assert.equal(head('GET / HTTP/1.1\r\nHost:\r\n\r\n').host, '');
  for (const bad of ['a b', 'u@h', 'h:x', 'h:65536', 'h:', ':80', '[::1', '[zz]', 'h:1:2', 'h/p', 'h\\p', 'caf\xe9']) {
    assert.equal(status(`GET / HTTP/1.1\r\nHost: ${bad}\r\n\r\n`), 400, bad);
  }
});

test('pipelined heads back to back: each parse starts where the previous head ended', () => {
  const heads = ['GET /1 HTTP/1.1\r\nHost: a\r\n\r\n', 'POST /2 HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 'HEAD /3 HTTP/1.0\r\n\r\n'];
  const buf = Buffer.from(heads.join(''), 'latin1');
  let at = 0;
  const seen: string[] = [];
  while (at < buf.length) {
    const r = parseRequestHead(buf, at, buf.length, LIMITS);
    assert.equal(r.kind, 'head');
    if (r.kind !== 'head') break;
    seen.push(`${r.head.method} ${r.head.path}`);
    at += r.head.size;
  }
  assert.deepEqual(seen, ['GET /1', 'POST /2', 'HEAD /3']);
});

test('empty lines before the request line are skipped and counted in size', () => {
  const h = head('\r\n\r\nGET / HTTP/1.1\r\n\r\n');
  assert.deepEqual([h.method, h.size], ['GET', 22]);
  assert.equal(status('\r\n'), 'partial');
  assert.equal(status('\r\n\n'), 400);
});

test('the head is read within buf[offset..end) only', () => {
  const raw = 'GET /in HTTP/1.1\r\nHost: h\r\n\r\n';
  const buf = Buffer.from(`garbage\n\x00${raw}more\n\n\x00`, 'latin1');
  const r = parseRequestHead(buf, 9, 9 + raw.length, LIMITS);
  assert.equal(r.kind === 'head' && r.head.path, '/in');
  assert.equal(parseRequestHead(buf, 9, 9 + raw.length - 1, LIMITS).kind, 'partial');
});

const SPLIT_HEADS = [
  'GET / HTTP/1.1\r\n\r\n',
  '\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nX-A:\r\n\r\n',
  'GET http://h/a HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
  // Large enough for the incomplete-head pre-check to be used for the later split points.
  `GET / HTTP/1.1\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(80)}\r\n`,
];

test('every split point of a head, fed as a growing buffer, is partial until the head is complete', () => {
  for (const raw of SPLIT_HEADS) {
    const full = Buffer.from(`${raw}GET /next HTTP/1.1\r\n`, 'latin1');
    const whole = head(raw);
    for (let end = 0; end < raw.length; end++) {
      assert.equal(parseRequestHead(full, 0, end, LIMITS).kind, 'partial', `${JSON.stringify(raw.slice(0, 40))} cut at ${end}`);
    }
    for (const end of [raw.length, full.length]) {
      const r = parseRequestHead(full, 0, end, LIMITS);
      assert.deepEqual(r, { kind: 'head', head: whole });
    }
  }
});

test('an error is reported as soon as its bytes arrive, before the head is complete', () => {
  assert.equal(status('G\x00'), 400);
  assert.equal(status('GET / HTTP/2'), 400);
  assert.equal(status('GET / HTTP/1.1\n'), 400);
  assert.equal(status('GET / HTTP/1.1\r\nX: a\x00'), 400);
  assert.equal(status('GET / HTTP/1.1\r\n b'), 400);
});

test('limits: a request line that does not fit is 414, a head that does not fit or too many header lines 431', () => {
  const small = { maxHeadBytes: 64, maxHeaders: 3 };
  const line = (n: number): string => `GET /${'a'.repeat(n - 16)} HTTP/1.1\r\n`;
  assert.equal(head(`${line(62)}\r\n`, small).size, 64, 'exactly the limit fits');
  assert.equal(status(`${line(63)}\r\n`, small), 431, 'the request line fits, the empty line does not');
  assert.equal(status(`${line(65)}\r\n`, small), 414);
  assert.equal(status(`GET /${'a'.repeat(70)}`, small), 414, 'known while still partial');
  assert.equal(status(`GET / HTTP/1.1\r\nX: ${'a'.repeat(60)}`, small), 431, 'known while still partial');
  assert.equal(status(`\r\n`.repeat(40), small), 414, 'empty lines count toward the limit');
  const fields = (n: number): string => `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(n)}\r\n`;
  assert.equal(head(fields(3), small).headers.length, 6);
  assert.equal(status(fields(4), small), 431);
  assert.equal(status(`GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(4)}`, small), 431, 'known while still partial');
  const atLimit = `GET / HTTP/1.1\r\nX: ${'a'.repeat(LIMITS.maxHeadBytes - 16 - 7)}\r\n\r\n`;
  assert.equal(head(atLimit).size, LIMITS.maxHeadBytes);
  assert.equal(status(atLimit.replace('X: ', 'X: a')), 431);
});

test('a length-delimited body, at every split point, stops at its end (the next request follows)', () => {
  const raw = 'hello worldGET /next HTTP/1.1\r\n\r\n';
  for (let cut = 0; cut <= raw.length; cut++) {
    const r = decode(lengthDecoder(11), raw, [cut]);
    assert.deepEqual([r.data, r.next, r.decoder.done, r.decoder.error], ['hello world', 11, true, undefined], `cut ${cut}`);
  }
  const byteByByte = decode(lengthDecoder(11), raw, Array.from({ length: raw.length }, (_, i) => i));
  assert.deepEqual([byteByByte.data, byteByByte.next], ['hello world', 11]);
  const empty = lengthDecoder(0);
  assert.equal(empty.done, true);
  assert.equal(empty.feed(Buffer.from('GET'), 0, 3, () => assert.fail('no data')), 0);
});

test('payload pieces are views of the buffer fed, not copies', () => {
  const buf = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
  const pieces: Buffer[] = [];
  chunkedDecoder(1024).feed(buf, 0, buf.length, (p) => pieces.push(p));
  assert.equal(pieces.length, 1);
  assert.equal(pieces[0]?.buffer, buf.buffer);
  assert.equal(pieces[0]?.byteOffset, buf.byteOffset + 3);
});

const CHUNKED = '5;name=value;q="x y"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0000000000000001\r\n!\r\n0;last\r\nX-Trailer: a\tb\r\nX-Empty:\r\n\r\n';
const CHUNKED_DATA = 'helloabcdefghijklmnopqrstuvwxyz!';

test('chunked: sizes, extensions skipped, data, trailers discarded, at every split point and byte by byte', () => {
  const raw = `${CHUNKED}GET /next HTTP/1.1\r\n\r\n`;
  for (let cut = 0; cut <= raw.length; cut++) {
    for (const cuts of [[cut], [cut, cut + 3]]) {
      const r = decode(chunkedDecoder(1024), raw, cuts);
      assert.deepEqual([r.data, r.next, r.decoder.done, r.decoder.error], [CHUNKED_DATA, CHUNKED.length, true, undefined], `cuts ${cuts}`);
    }
  }
  const byteByByte = decode(chunkedDecoder(1024), raw, Array.from({ length: raw.length }, (_, i) => i));
  assert.deepEqual([byteByByte.data, byteByByte.next], [CHUNKED_DATA, CHUNKED.length]);
  const partial = decode(chunkedDecoder(1024), CHUNKED.slice(0, 20));
  assert.deepEqual([partial.next, partial.decoder.done], [20, false]);
});

test('chunked: trailers and extensions are bounded; a size beyond 16 digits or 2^53 is refused without overflow', () => {
  const trailer = 'X-T: abcdef\r\n'; // 13 bytes
  assert.equal(decode(chunkedDecoder(13), `0\r\n${trailer}\r\n`).decoder.done, true);
  assert.match(decode(chunkedDecoder(12), `0\r\n${trailer}\r\n`).decoder.error ?? '', /trailers larger/);
  assert.equal(decode(chunkedDecoder(0), '0\r\n\r\n').decoder.done, true);
  assert.equal(decode(chunkedDecoder(64), `1;${'e'.repeat(4096)}\r\nx\r\n0\r\n\r\n`).data, 'x');
  assert.match(decode(chunkedDecoder(64), `1;${'e'.repeat(4097)}\r\nx\r\n0\r\n\r\n`).decoder.error ?? '', /extensions longer/);
  assert.equal(decode(chunkedDecoder(64), '1fffffffffffff\r\n').next, 16, 'the largest exact size is accepted');
  assert.match(decode(chunkedDecoder(64), '20000000000000\r\n').decoder.error ?? '', /2\^53/);
  const failed = decode(chunkedDecoder(64), 'g\r\n');
  assert.equal(failed.next, -1);
  assert.equal(failed.decoder.feed(Buffer.from('0\r\n\r\n'), 0, 5, () => {}), -1, 'a failed decoder stays failed');
});

test('the hostile corpus: 60+ complete requests, named by category, the smuggled path always /smuggled', () => {
  assert.ok(HOSTILE.length >= 60, `${HOSTILE.length} cases`);
  assert.equal(new Set(HOSTILE.map((c) => c.name)).size, HOSTILE.length, 'names are unique');
  for (const c of HOSTILE) {
    assert.match(c.name, /^[a-z0-9-]+\/./);
    if (c.raw.includes('smuggled')) assert.ok(!/smuggled/.test(c.raw.replaceAll('/smuggled', '')), c.name);
  }
  const oneOver = HOSTILE.find((c) => c.name === 'limits/head larger than the limit by one byte');
  assert.equal(oneOver?.raw.indexOf('\r\n\r\n'), LIMITS.maxHeadBytes + 1 - 4);
});

/** What each category's refusals are about: a case refused for an unrelated slip in its text
 * (a typo in the request line of a Transfer-Encoding case) would not prove its rule. */
const CATEGORY_REASON: Record<string, RegExp> = {
  'cl-te': /both Transfer-Encoding and Content-Length/,
  'duplicate-cl': /Content-Length/,
  'cl-syntax': /Content-Length|colon|folding|control/,
  te: /Transfer-Encoding|chunked|coding|colon|folding|control/,
  'line-end': /LF|CR/,
  header: /header|folding|colon|control/,
  'request-line': /method|target|version|CONNECT|\*/,
  host: /Host|authority/,
  limits: /limit/,
};

for (const c of HOSTILE) {
  test(`refuses ${c.name} (${c.expect})`, () => {
    const buf = Buffer.from(c.raw, 'latin1');
    const r = parseRequestHead(buf, 0, buf.length, LIMITS);
    if (!c.name.startsWith('chunked/')) {
      assert.equal(r.kind === 'error' ? r.status : r.kind, c.expect, JSON.stringify(r));
      assert.match(r.kind === 'error' ? r.reason : '', CATEGORY_REASON[c.name.split('/')[0] ?? ''] ?? /^$/);
      return;
    }
    // The head is fine; the chunked body is not, and nothing after the bad byte is passed on.
    assert.ok(r.kind === 'head' && r.head.chunked, JSON.stringify(r));
    let data = '';
    const decoder = chunkedDecoder(LIMITS.maxHeadBytes);
    assert.equal(decoder.feed(buf, r.head.size, buf.length, (p) => (data += p.toString('latin1'))), -1);
    assert.ok(decoder.error !== undefined && !data.includes('smuggled'), `${decoder.error} ${data}`);
  });
}

test('accepted near-misses of the corpus: what is strict but valid still parses', () => {
  const ok = [
    'POST / HTTP/1.1\r\nTransfer-Encoding:\tchunked\r\n\r\n',
    'POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED \r\n\r\n',
    'POST / HTTP/1.1\r\nContent-Length: 00\r\n\r\n',
    'GET /%7Efoo;p?q=a/b?c HTTP/1.1\r\nHost: h\r\n\r\n',
    'GET / HTTP/1.1\r\nX-Obs-Text: \x80\xff\r\nX-Quote: "a,b" (c)\r\n\r\n',
    "GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n",
  ];
  for (const raw of ok) head(raw);
});

test('arbitrary single-byte corruptions of a head never throw and never read past end', () => {
  const base = Buffer.from('POST /p?q HTTP/1.1\r\nHost: h:1\r\nContent-Length: 3\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nabc', 'latin1');
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const buf = Buffer.from(base);
    buf[next(buf.length - 3)] = next(256);
    const end = buf.length - next(4);
    const r = parseRequestHead(buf, 0, end, LIMITS);
    if (r.kind === 'head') assert.ok(r.head.size <= end);
  }
});
