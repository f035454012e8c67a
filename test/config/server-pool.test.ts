// `pool-max-conn` and `max-reuse` (HAProxy 2.6: -1 unlimited, 0 none) are honoured by the upstream
// pools; `pool-purge-delay` and `pool-low-conn` change nothing handoff does and are warned about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';

const backend = (opts: string): string => `${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000 ${opts}\n    server s2 127.0.0.1:9001\n`;

test('pool-max-conn and max-reuse: read into the server, -1 is no limit; bad values name the line', () => {
  const r = compile(backend('pool-max-conn 10 max-reuse 0'));
  assert.deepEqual(errors(r), []);
  const [s1, s2] = r.config?.backends[0]?.servers ?? [];
  assert.equal(s1?.poolMaxConn, 10);
  assert.equal(s1?.maxReuse, 0);
  assert.equal(s2?.poolMaxConn, undefined);
  const unlimited = compile(backend('pool-max-conn -1 max-reuse -1')).config?.backends[0]?.servers[0];
  assert.equal(unlimited?.poolMaxConn, undefined);
  assert.equal(unlimited?.maxReuse, undefined);
  expectOne(compile(backend('pool-max-conn lots')), 'error', 7, /'pool-max-conn'/);
  expectOne(compile(backend('max-reuse -2')), 'error', 7, /'max-reuse'/);
});

test('pool-purge-delay and pool-low-conn are ignored with a warning that says why', () => {
  const w = warnings(compile(backend('pool-purge-delay 5s pool-low-conn 2')));
  assert.equal(w.length, 2);
  assert.match(w[0] ?? '', /t\.cfg:7: warning: .*pool-purge-delay.* is ignored: an idle server connection closes after 4 s/);
  assert.match(w[1] ?? '', /t\.cfg:7: warning: .*pool-low-conn.* is ignored/);
});
