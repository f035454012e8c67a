// The server state file's keywords (src/config/keywords/server-state.ts) and HAProxy's proxy ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyIds } from '../../src/config/proxy-ids.ts';
import { clean, compile, expectOne, HTTP_DEFAULTS } from './compile.ts';

test('server-state-file, server-state-base, load-server-state-from-file (inherited from defaults) and server-state-file-name are read', () => {
  const r = compile(`global
    server-state-file global.state
    server-state-base /var/lib/handoff
${HTTP_DEFAULTS}    load-server-state-from-file global
frontend web
    bind :80
    default_backend a
backend a
    server s1 127.0.0.1:9000
backend b
    load-server-state-from-file local
    server-state-file-name b.state
    server s1 127.0.0.1:9000
backend c
    load-server-state-from-file none
    server-state-file-name use-backend-name
    server s1 127.0.0.1:9000
`);
  clean(r);
  assert.equal(r.config.global.serverStateFile, 'global.state');
  assert.equal(r.config.global.serverStateBase, '/var/lib/handoff');
  assert.deepEqual(r.config.backends.map((b) => [b.name, b.loadServerState, b.serverStateFileName]), [['a', 'global', undefined], ['b', 'local', 'b.state'], ['c', 'none', undefined]]);
  // HAProxy numbers proxies from 2 (its CLI proxy is 1), frontends and backends in one sequence.
  assert.deepEqual([...proxyIds(r.config)], [['web', 1], ['a', 2], ['b', 3], ['c', 4]]);
});

test("load-server-state-from-file takes global, local or none, as HAProxy says", () => {
  const r = compile(`${HTTP_DEFAULTS}backend a
    load-server-state-from-file always
    server s1 127.0.0.1:9000
`);
  expectOne(r, 'error', 7, /'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'always'/);
});

test('a listen section is one proxy id', () => {
  const r = compile(`${HTTP_DEFAULTS}listen both
    bind :80
    server s1 127.0.0.1:9000
backend after
    server s1 127.0.0.1:9000
`);
  assert.deepEqual([...proxyIds(r.config)], [['both', 1], ['after', 2]]);
});
