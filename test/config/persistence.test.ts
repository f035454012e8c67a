// The persistence and hash-balancing keywords: what they read into the model, and HAProxy 2.6's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, HTTP_DEFAULTS } from './compile.ts';

const backend = (lines: string): ReturnType<typeof compile> => compile(`${HTTP_DEFAULTS}backend app\n${lines}\n    server s1 127.0.0.1:9000 cookie a\n`);

test('cookie reads its mode, flags and attributes; server cookie and default-server cookie', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app
    cookie SRV insert indirect nocache postonly httponly secure domain .a.example domain .b.example maxidle 30m maxlife 8h attr SameSite=Lax
    default-server cookie dflt
    server s1 127.0.0.1:9000 cookie a
    server s2 127.0.0.1:9001
`);
  assert.deepEqual(errors(r), []);
  const be = r.config?.backends[0];
  assert.deepEqual(be?.cookie, {
    name: 'SRV', mode: 'insert', indirect: true, nocache: true, postonly: true, preserve: false, httponly: true, secure: true,
    domains: ['.a.example', '.b.example'], maxidle: 1800, maxlife: 28_800, attrs: ['SameSite=Lax'],
  });
  assert.deepEqual(be?.servers.map((s) => s.cookie), ['a', 'dflt']);
  assert.equal(backend('    cookie SRV').config?.backends[0]?.cookie?.mode, 'passive');
  assert.equal(backend('    cookie SRV maxidle 20').config?.backends[0]?.cookie?.maxidle, 20, 'a bare number is seconds');
});

test("cookie: HAProxy's incompatibilities and refusals are errors", () => {
  const cases: [string, RegExp][] = [
    ['cookie SRV insert rewrite', /'rewrite', 'insert' and 'prefix' modes are incompatible/],
    ['cookie SRV rewrite indirect', /'rewrite' and 'indirect' modes are incompatible/],
    ['cookie SRV prefix preserve', /'preserve' requires at least 'insert' or 'indirect'/],
    ['cookie SRV insert dynamic', /'cookie … dynamic' is not supported/],
    ['cookie SRV insert domain', /'domain' expects <domain>/],
    ['cookie SRV insert bogus', /'cookie' supports .* options \(got 'bogus'\)/],
    ['cookie', /'cookie' expects <cookie_name>/],
    ['force-persist', /'force-persist' requires a rule/],
    ['balance url_param', /requires a URL parameter name/],
    ['balance uri len x', /'balance uri len' expects a positive integer/],
    ['balance random(0)', /at least 1/],
    ['hash-type consistent md5', /unknown hash function 'md5'/],
    ['hash-type ring', /'hash-type' expects 'map-based' or 'consistent'/],
    ['balance hash', /'balance hash' expects a sample expression/],
    ['balance hash res.hdr(x)', /not available in request rules/],
    ['hash-balance-factor 100', /must be 0 or greater than 100/],
    ['balance rdp-cookie', /'balance rdp-cookie' is not supported by handoff yet/],
  ];
  for (const [line, pattern] of cases) {
    const errs = errors(backend(`    ${line}`));
    assert.ok(errs.some((e) => pattern.test(e)), `${line}: ${errs.join(' | ')}`);
  }
});

test('force-persist / ignore-persist rules, option persist, balance arguments and hash-type', () => {
  const r = backend(`    cookie SRV insert
    option persist
    force-persist if { src 10.0.0.0/8 }
    ignore-persist if { path_beg /static }
    balance uri depth 2 len 40 whole path-only
    hash-type consistent wt6 avalanche`);
  assert.deepEqual(errors(r), []);
  const be = r.config?.backends[0];
  assert.equal(be?.persist, true);
  assert.deepEqual(be?.persistRules?.map((p) => p.kind), ['force', 'ignore']);
  assert.equal(be?.balance, 'uri');
  assert.deepEqual(be?.balanceOptions, { uriDepth: 2, uriLen: 40, uriWhole: true, uriPathOnly: true });
  assert.deepEqual(be?.hashType, { method: 'consistent', fn: 'wt6', avalanche: true });
  assert.deepEqual(backend('    hash-type consistent').config?.backends[0]?.hashType, { method: 'consistent', fn: 'sdbm', avalanche: true }, 'consistent alone: sdbm + avalanche');
  assert.deepEqual(backend('    balance hdr(Host) use_domain_only').config?.backends[0]?.balanceOptions, { header: 'host', domainOnly: true });
  assert.deepEqual(backend('    balance random').config?.backends[0]?.balanceOptions, { draws: 2 }, 'random is random(2), as HAProxy');
  assert.deepEqual(backend('    balance random(5)').config?.backends[0]?.balanceOptions, { draws: 5 });
  assert.equal(backend('    hash-balance-factor 150').config?.backends[0]?.hashBalanceFactor, 150);
  const h = backend('    balance hash req.cook(sid),lower').config?.backends[0];
  assert.equal(h?.balance, 'hash');
  assert.equal(h?.balanceOptions.expr?.fetch, 'req.cook');
});

test("a tcp backend ignores cookie and falls back to round robin from a layer-7 hash, with HAProxy's warnings", () => {
  const r = compile(`${HTTP_DEFAULTS}backend db\n    mode tcp\n    cookie SRV insert\n    balance hdr(host)\n    server s1 127.0.0.1:5432 cookie a\n`);
  assert.deepEqual(errors(r), []);
  const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
  assert.ok(warnings.includes("cookie will be ignored for backend 'db' (needs 'mode http')."), warnings.join(' | '));
  assert.ok(warnings.includes("Layer 7 hash not possible for backend 'db' (needs 'mode http'). Falling back to round robin."), warnings.join(' | '));
  assert.equal(r.config?.backends[0]?.cookie, undefined);
  assert.equal(r.config?.backends[0]?.balance, 'roundrobin');
});
