// `compression algo|type|offload`, `filter compression` and `tune.comp.maxlevel` as HAProxy 2.6
// reads them: lists grow in front, a defaults section's algorithms and types are inherited but
// not `offload` (a warning there), the backend half of a listen gets the same settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';

test('algorithms and types: the last written first, defaults inherited and extended', () => {
  const r = compile(`global\n    tune.comp.maxlevel 5\n${HTTP_DEFAULTS}    compression algo gzip\n    compression type text/html\nfrontend web\n    bind *:80\n    compression algo deflate raw-deflate\n    compression type text/plain\n    compression offload\n    filter compression\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config?.frontends[0]?.compression, { algos: ['raw-deflate', 'deflate', 'gzip'], types: ['text/plain', 'text/html'], offload: true, level: 5 });
  assert.deepEqual(r.config?.backends[0]?.compression, { algos: ['gzip'], types: ['text/html'], offload: false, level: 5 });
});

test('offload in defaults is ignored with a warning; bad algorithms and words are errors', () => {
  const w = compile(`${HTTP_DEFAULTS}    compression offload\nfrontend web\n    bind *:80\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(warnings(w), ["t.cfg:6: warning: 'compression offload' ignored in 'defaults' section"]);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    compression algo brotli\n    server s1 127.0.0.1:9000\n`), 'error', 7, /'brotli' is not a supported algorithm \(supported: identity, gzip, deflate, raw-deflate\)/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    compression level 9\n    server s1 127.0.0.1:9000\n`), 'error', 7, /'compression' expects 'algo', 'type' or 'offload'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    compression type\n    server s1 127.0.0.1:9000\n`), 'error', 7, /'compression type' expects at least one MIME type/);
  expectOne(compile(`global\n    tune.comp.maxlevel 10\n${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000\n`), 'error', 2, /'tune.comp.maxlevel' expects a level between 1 and 9/);
});
