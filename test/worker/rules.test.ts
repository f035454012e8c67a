import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, noRules, startWorker, type WorkerHandle, type RawTcpHandle } from '../helpers/worker-harness.ts';
import { get, startUpstream, type Upstream } from './upstreams.ts';
import type { Condition } from '../../src/config/model.ts';
import { parseCondition } from '../../src/config/condition.ts';

const LOC = { file: 'test.cfg', line: 1 };
/** A condition as the config parser builds it. */
function cond(words: string): Condition {
  const r = parseCondition('if', words.split(' '), {});
  if (!r.ok) throw new Error(r.error);
  return r.value.cond;
}
const notSsl = cond('!{ ssl_fc }');
const apiPath = cond('{ path_beg /api }');

let up: Upstream;
let api: Upstream;
let w: WorkerHandle;
let handle: RawTcpHandle;
let port: number;

before(async () => {
  up = await startUpstream('web');
  api = await startUpstream('api');
  ({ handle, port } = bindHandle());
  const fe = makeFrontend('fe', [makeBind('k', port)], {
    defaultBackend: 'web',
    useBackends: [{ backend: 'api', cond: apiPath }],
    forwardFor: true,
    http: noRules({
      httpRequest: [
        { action: 'add-header', name: 'X-Forwarded-Proto', value: { parts: ['http'] }, cond: notSsl, loc: LOC },
        { action: 'set-header', name: 'X-Replaced', value: { parts: ['new'] }, loc: LOC },
        { action: 'del-header', name: 'X-Secret', value: { parts: [''] }, loc: LOC },
      ],
      httpResponse: [{ action: 'set-header', name: 'X-Served-By', value: { parts: ['handoff'] }, loc: LOC }],
      redirects: [{ kind: 'scheme', target: { parts: ['https'] }, code: 301, cond: cond('{ path_beg /secure } !{ ssl_fc }'), loc: LOC }],
    }),
  });
  w = await startWorker({
    config: makeConfig([fe], [makeBackend('web', [up.port]), makeBackend('api', [api.port])]),
    handles: new Map([['k', handle]]),
  });
});

after(async () => {
  w.kill();
  handle.close();
  await up.close();
  await api.close();
});

test('request rules add X-Forwarded-Proto, replace and delete headers; X-Forwarded-For carries the client IP', async () => {
  const r = await get(port, '/headers', { headers: { 'X-Replaced': 'old', 'X-Secret': 's', 'X-Forwarded-For': '10.0.0.1' } });
  assert.equal(r.status, 200);
  const h = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-replaced'], 'new');
  assert.equal(h['x-secret'], undefined);
  assert.equal(h['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
  assert.equal(r.headers['x-served-by'], 'handoff');
});

test('use_backend with path_beg routes /api to its backend', async () => {
  const r = await get(port, '/api/x');
  assert.equal(r.body, 'api');
  const d = await get(port, '/other');
  assert.equal(d.body, 'web');
});

test('redirect scheme https code 301 if !{ ssl_fc } sends Location https://host/path', async () => {
  const r = await get(port, '/secure/page?q=1', { headers: { Host: 'example.com:8080' } });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'https://example.com/secure/page?q=1');
});
