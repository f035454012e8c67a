import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPLETE, NEED_MORE, PROTOCOL_ERROR, createParser, endOfInput, feed, resetParser, type FeedResult } from '../../src/load/parser.ts';

/** Feeds `bytes` split at every position in `cuts`, returning the last result. */
function feedSplit(text: string | Buffer, cuts: number[], noBody = false) {
  const p = createParser();
  resetParser(p, noBody);
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  let last: FeedResult = NEED_MORE;
  let from = 0;
  for (const cut of [...cuts, buf.length]) {
    if (cut <= from) continue;
    last = feed(p, buf.subarray(from, cut));
    from = cut;
  }
  return { p, last };
}

const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x/1\r\n\r\n5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: v\r\n\r\n';

test('chunked body split at every byte boundary: complete with the decoded length', () => {
  for (let cut = 1; cut < chunked.length; cut++) {
    const { p, last } = feedSplit(chunked, [cut]);
    assert.equal(last, COMPLETE, `cut at ${cut}`);
    assert.equal(p.bodyBytes, 31);
    assert.equal(p.server, 'x/1');
    assert.equal(p.keepAlive, true);
  }
});

test('content-length body fed one byte at a time completes exactly at the last byte', () => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789';
  const cuts = Array.from({ length: text.length }, (_, i) => i);
  const { p, last } = feedSplit(text, cuts);
  assert.equal(last, COMPLETE);
  assert.equal(p.bodyBytes, 10);
  assert.equal(p.totalBytes, text.length);
  const short = feedSplit(text.slice(0, -1), []);
  assert.equal(short.last, NEED_MORE);
  assert.equal(endOfInput(short.p), false, 'EOF before the last byte is a cut-short response');
});

test('no length and no chunking: the body runs until close and the connection is not reused', () => {
  const { p, last } = feedSplit('HTTP/1.0 200 OK\r\n\r\nabc', []);
  assert.equal(last, NEED_MORE);
  assert.equal(p.keepAlive, false);
  assert.equal(endOfInput(p), true);
  assert.equal(p.bodyBytes, 3);
});

test('connection persistence follows HTTP version and Connection tokens', () => {
  assert.equal(feedSplit('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', []).p.keepAlive, false);
  assert.equal(feedSplit('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', []).p.keepAlive, true);
  assert.equal(feedSplit('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', []).p.keepAlive, false);
});

test('1xx interim responses are skipped; HEAD, 204 and 304 have no body', () => {
  const r = feedSplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', [10, 30]);
  assert.equal(r.last, COMPLETE);
  assert.equal(r.p.statusCode, 201);
  assert.equal(r.p.bodyBytes, 2);
  assert.equal(feedSplit('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n', [], true).last, COMPLETE);
  assert.equal(feedSplit('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', []).last, COMPLETE);
  assert.equal(feedSplit('HTTP/1.1 304 Not Modified\r\n\r\n', []).last, COMPLETE);
});

test('malformed responses are protocol errors, not hangs', () => {
  for (const bad of [
    'HTTP/2 200 OK\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello',
    'HTTP/1.1 200 OK\r\n Folded: header\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY',
  ]) {
    assert.equal(feedSplit(bad, []).last, PROTOCOL_ERROR, JSON.stringify(bad));
  }
});

test('bytes after a complete response are counted as extra (connection not trustworthy)', () => {
  const { p, last } = feedSplit('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK', []);
  assert.equal(last, COMPLETE);
  assert.equal(p.extraBytes, 4);
});

test('a head larger than 64 KiB is rejected', () => {
  const big = 'HTTP/1.1 200 OK\r\nX-Big: ' + 'a'.repeat(70 * 1024);
  assert.equal(feedSplit(big, [1000, 30_000]).last, PROTOCOL_ERROR);
});
