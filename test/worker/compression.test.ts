// Which algorithm a request gets and which responses are compressed, as HAProxy 2.6's compression
// filter decides (src/worker/compression.ts); the integration test checks the same through the
// binary and against HAProxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressedHeaders, compressible, negotiate, qValue, requestAlgo, typesOf } from '../../src/worker/compression.ts';
import type { Compression, CompressionAlgo } from '../../src/config/model.ts';

const ae = (v: string): string[] => ['Accept-Encoding', v];
/** As `compression algo gzip deflate` stores it: the last one written first. */
const GZ_DEFLATE: CompressionAlgo[] = ['deflate', 'gzip'];

function comp(algos: CompressionAlgo[], types: string[] = []): Compression {
  return { algos, types, offload: false, level: 1 };
}

test('q-values: highest wins, the first on a tie, q=0 never', () => {
  assert.equal(qValue('gzip'), 1000);
  assert.equal(qValue('gzip;q=0.5'), 500);
  assert.equal(qValue('gzip ; level=1; q=0.25'), 250);
  assert.equal(qValue('gzip;q=1.5'), 1000);
  assert.equal(requestAlgo(GZ_DEFLATE, ae('gzip;q=0.5, deflate;q=0.8'), 1)?.algo, 'deflate');
  assert.equal(requestAlgo(GZ_DEFLATE, ae('gzip;q=0.5, deflate;q=0.5'), 1)?.algo, 'gzip');
  assert.equal(requestAlgo(GZ_DEFLATE, ae('gzip;q=0'), 1), undefined);
  assert.equal(requestAlgo(GZ_DEFLATE, [...ae('br'), ...ae('GZIP')], 1)?.algo, 'gzip');
});

test('`*` takes the first of the list; identity applies without a header; HTTP/1.0 gets nothing', () => {
  assert.equal(requestAlgo(GZ_DEFLATE, ae('*'), 1)?.algo, 'deflate');
  assert.equal(requestAlgo(['gzip'], [], 1), undefined);
  assert.deepEqual(requestAlgo(['identity', 'gzip'], ae('br'), 1), { algo: 'identity', named: false });
  assert.deepEqual(requestAlgo(['gzip', 'identity'], ae('gzip'), 1), { algo: 'gzip', named: true });
  assert.equal(requestAlgo(['gzip'], ae('gzip'), 0), undefined);
  assert.equal(requestAlgo(['raw-deflate'], ae('deflate'), 1)?.algo, 'raw-deflate');
});

test('old Mozilla/4 agents are not compressed, MSIE 7 is', () => {
  const ua = (v: string): string[] => [...ae('gzip'), 'User-Agent', v];
  assert.equal(requestAlgo(['gzip'], ua('Mozilla/4.0 (compatible; X)'), 1), undefined);
  assert.equal(requestAlgo(['gzip'], ua('Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)'), 1)?.algo, 'gzip');
  assert.equal(requestAlgo(['gzip'], ua('Mozilla/5.0 (X11)'), 1)?.algo, 'gzip');
});

test("the backend's algorithms and types win over the frontend's", () => {
  assert.equal(negotiate(comp(['gzip']), comp(['deflate']), ae('gzip, deflate'), 1)?.algo, 'deflate');
  assert.equal(negotiate(comp(['gzip']), undefined, ae('gzip, deflate'), 1)?.algo, 'gzip');
  assert.deepEqual(typesOf(comp(['gzip'], ['text/']), comp([], ['application/json'])), ['application/json']);
  assert.deepEqual(typesOf(comp(['gzip'], ['text/']), comp([])), ['text/']);
});

test('compressible responses: status, method, framing, encoding, no-transform, ETag, type', () => {
  const ok = (headers: string[], status = 200, method = 'GET', types: string[] = []): boolean => compressible({ status, method, headers }, types);
  const base = ['Content-Type', 'text/html', 'Content-Length', '100'];
  assert.equal(ok(base), true);
  for (const s of [201, 202, 203]) assert.equal(ok(base, s), true, String(s));
  for (const s of [204, 206, 304, 404, 500]) assert.equal(ok(base, s), false, String(s));
  assert.equal(ok(base, 200, 'HEAD'), false);
  assert.equal(ok(['Content-Type', 'text/html']), false, 'no length, not chunked');
  assert.equal(ok(['Content-Type', 'text/html', 'Transfer-Encoding', 'chunked']), true);
  assert.equal(ok(['Content-Type', 'text/html', 'Content-Length', '0']), false);
  assert.equal(ok([...base, 'Content-Encoding', 'br']), false);
  assert.equal(ok([...base, 'Cache-Control', 'max-age=1, No-Transform']), false);
  assert.equal(ok([...base, 'ETag', 'abc']), false, 'invalid ETag');
  assert.equal(ok([...base, 'ETag', '"a"', 'ETag', '"b"']), false, 'two ETags');
  assert.equal(ok([...base, 'ETag', 'W/"a"']), true);
  assert.equal(ok(['Content-Type', 'multipart/mixed', 'Content-Length', '5']), false);
  assert.equal(ok(base, 200, 'GET', ['text/plain']), false);
  assert.equal(ok(base, 200, 'GET', ['text/']), true, 'a type is a prefix');
  assert.equal(ok(['Content-Length', '5'], 200, 'GET', ['text/']), false, 'a type list needs a Content-Type');
  assert.equal(ok(['Content-Length', '5']), true);
});

test('compressed headers: no Content-Length, Content-Encoding, weak ETag, Vary', () => {
  const h = ['Content-Length', '100', 'ETag', '"x"', 'Content-Type', 'text/html'];
  compressedHeaders(h, 'raw-deflate');
  assert.deepEqual(h, ['ETag', 'W/"x"', 'Content-Type', 'text/html', 'content-encoding', 'deflate', 'vary', 'Accept-Encoding']);
  const i = ['Content-Length', '1'];
  compressedHeaders(i, 'identity');
  assert.deepEqual(i, ['vary', 'Accept-Encoding']);
});
