// The stats page's keywords: `stats admin if|unless COND`, `stats scope`, `hide-version`,
// `show-legends`, `show-node`, `show-desc`, `show-modules`, with HAProxy's messages for bad lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, compile, errors, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';

test('stats admin, scope and the display keywords reach the model; each enables the page', () => {
  const r = compile(`${HTTP_DEFAULTS}listen stats
    bind 127.0.0.1:8404
    stats uri /stats
    stats admin if LOCALHOST
    stats admin unless { src 10.0.0.0/8 }
    stats scope .
    stats scope app
    stats hide-version
    stats show-legends
    stats show-node edge-1
    stats show-desc primary load balancer

frontend only
    bind 127.0.0.1:8405
    stats show-node
    default_backend app

backend app
    server a 127.0.0.1:8080
`);
  clean(r);
  const page = r.config.frontends[0]!.stats!;
  assert.equal(page.admin?.length, 2);
  assert.equal(page.admin?.[1]?.unless, true);
  assert.deepEqual(page.scope, ['stats', 'app']);
  assert.deepEqual([page.hideVersion, page.showLegends, page.showNode, page.showDesc], [true, true, 'edge-1', 'primary load balancer']);
  const only = r.config.frontends[1]!.stats!;
  assert.deepEqual([only.uri, only.showNode], ['/haproxy?stats', '']);
});

test("stats scope . in defaults is each proxy's own name", () => {
  const r = compile(`defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    stats scope .

frontend a
    bind :8404
    default_backend b

listen c
    bind :8405
    server s 127.0.0.1:80

backend b
    server s 127.0.0.1:80
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.frontends.map((f) => [f.name, f.stats?.scope]), [['a', ['a']], ['c', ['c']]]);
});

test("stats admin without a condition, or in defaults, is an error in HAProxy's words", () => {
  expectOne(compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats admin\n`), 'error', 8, /'stats admin' requires either 'if' or 'unless' followed by a condition/);
  expectOne(compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats admin TRUE\n`), 'error', 8, /'stats admin' requires either 'if' or 'unless'/);
  expectOne(compile(`defaults\n    mode http\n    stats admin if TRUE\n`), 'error', 3, /'stats admin' not allowed in 'defaults' section/);
  assert.match(errors(compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats admin if nosuchacl\n`)).join('\n'), /:8: error: .*nosuchacl/);
});

test('stats scope needs a name, show-node a valid node name; show-desc without text and show-modules warn', () => {
  expectOne(compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats scope\n`), 'error', 8, /'stats scope' needs a proxy name/);
  expectOne(compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats show-node bad/name\n`), 'error', 8, /'stats show-node' invalid node name/);
  const w = compile(`${HTTP_DEFAULTS}listen s\n    bind :8404\n    stats show-desc\n    stats show-modules\n`);
  assert.deepEqual(errors(w), []);
  const ws = warnings(w).join('\n');
  assert.match(ws, /:8: warning: 'show-desc' requires a parameter or 'desc' to be set in the global section/);
  assert.match(ws, /:9: warning: 'stats show-modules' is ignored: handoff has no extra stats modules to show/);
});
