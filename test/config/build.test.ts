import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTPLOG_FORMAT, TCPLOG_FORMAT } from '../../src/config/logformat.ts';
import { clean, compile, errors, expectOne, HTTP_DEFAULTS, lines, warnings } from './compile.ts';

const BACKEND = `backend app
    server s1 127.0.0.1:9000
`;

test('a minimal http frontend and backend compile without diagnostics', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    default_backend app
${BACKEND}`);
  clean(r);
  const fe = r.config.frontends[0]!;
  assert.equal(fe.name, 'web');
  assert.equal(fe.mode, 'http');
  assert.deepEqual(fe.binds.map((b) => [b.key, b.host, b.port]), [['0.0.0.0:80', '0.0.0.0', 80]]);
  assert.equal(fe.defaultBackend, 'app');
  assert.deepEqual(fe.timeouts, { connect: 5000, client: 30000, server: 30000 });
  const be = r.config.backends[0]!;
  assert.deepEqual(be.servers.map((s) => [s.id, s.host, s.port, s.weight, s.inter, s.rise, s.fall]), [['app/s1', '127.0.0.1', 9000, 1, 2000, 2, 3]]);
});

test('bind keys normalise *, empty host and IPv6 (:::443 → [::]:443)', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind :81
    bind :::443 v4v6
    bind ::1:8443
    bind [fe80::1]:8444
    bind 127.0.0.1:8000-8002,:9000
    default_backend app
${BACKEND}`);
  clean(r);
  assert.deepEqual(r.config.frontends[0]!.binds.map((b) => b.key), [
    '0.0.0.0:81',
    '[::]:443',
    '[::1]:8443',
    '[fe80::1]:8444',
    '127.0.0.1:8000',
    '127.0.0.1:8001',
    '127.0.0.1:8002',
    '0.0.0.0:9000',
  ]);
});

test('unknown backend in default_backend is an error at its line', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    default_backend nope
${BACKEND}`);
  expectOne(r, 'error', 8, /default_backend 'nope' of frontend 'web': no such backend/);
});

test('unknown backend in use_backend is an error at its line', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl api path_beg /api
    use_backend api-servers if api
    default_backend app
${BACKEND}`);
  expectOne(r, 'error', 9, /use_backend 'api-servers'.*no such backend/);
});

test('a port out of range or a bind without port is an error at the bind line', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:70000\n    default_backend app\n${BACKEND}`), 'error', 7, /port 70000 out of range/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind 127.0.0.1\n    default_backend app\n${BACKEND}`), 'error', 7, /has no port/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind 300.1.1.1:80\n    default_backend app\n${BACKEND}`), 'error', 7, /invalid bind address/);
});

test('the same address bound in two proxies is an error at the second bind, naming the first', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend a
    bind *:80
    default_backend app
frontend b
    bind 0.0.0.0:80
    default_backend app
${BACKEND}`);
  expectOne(r, 'error', 10, /address 0\.0\.0\.0:80 is already bound by frontend 'a' at t\.cfg:7/);
});

test('ssl without crt is an error at the bind line', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:443 ssl\n    default_backend app\n${BACKEND}`), 'error', 7, /'ssl' on a bind line needs at least one 'crt FILE'/);
});

test('a frontend with no bind is a warning at its section line, in HAProxy words', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    default_backend app\n${BACKEND}`), 'warning', 6, /frontend 'web' has no 'bind' directive\. Please declare it as a backend if this was intended\./);
});

test('a server without port is an error in http mode', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    default_backend app\nbackend app\n    server s1 10.0.0.1 check\n`);
  expectOne(r, 'error', 10, /server 's1' has no port/);
});

test('invalid server addresses are errors', () => {
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1 10.0.0.1:99999\n`), 'error', 7, /port 99999 out of range/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1 bad_host!:80\n`), 'error', 7, /invalid server address/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1\n`), 'error', 7, /expects a name and an address/);
});

test('server weight outside 0..256 is an error', () => {
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:80 weight 300\n`), 'error', 7, /'weight'.*out of range 0\.\.256/);
  const ok = compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:80 weight 0\n    server s2 127.0.0.1:81 weight 256 backup disabled maxconn 50\n`);
  clean(ok);
  const [s1, s2] = ok.config.backends[0]!.servers;
  assert.equal(s1!.weight, 0);
  assert.deepEqual([s2!.weight, s2!.backup, s2!.disabled, s2!.maxconn], [256, true, true, 50]);
});

test('server check parameters and default-server', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app
    default-server inter 3s fall 5
    server s1 127.0.0.1:9000 check
    server s2 127.0.0.1:9001 check inter 500 rise 1
`);
  clean(r);
  const [s1, s2] = r.config.backends[0]!.servers;
  assert.deepEqual([s1!.check, s1!.inter, s1!.rise, s1!.fall], [true, 3000, 2, 5]);
  assert.deepEqual([s2!.inter, s2!.rise, s2!.fall], [500, 1, 5]);
});

test('an http frontend routing to a tcp backend is an error at the routing line', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    default_backend db
backend db
    mode tcp
    server s1 127.0.0.1:5432
`);
  expectOne(r, 'error', 8, /^http frontend 'web' \(t\.cfg:6\) tries to use incompatible tcp backend 'db' \(t\.cfg:9\) as its default backend \(see 'mode'\)\.$/);
});

test('a bad time value is an error naming the keyword and the value', () => {
  const r = compile(`defaults\n    mode http\n    timeout client 10x\n`);
  expectOne(r, 'error', 3, /'timeout client': invalid time '10x'/);
});

test('errorfile with a status code HAProxy does not support is an error', () => {
  expectOne(compile(`${HTTP_DEFAULTS}    errorfile 418 errors/418.http\n`), 'error', 6, /status code '418' cannot be customised/);
});

test('duplicate proxy names are errors; a frontend and a backend may share a name', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend app
    bind *:80
    default_backend app
${BACKEND}backend app
    server s2 127.0.0.1:9001
`);
  expectOne(r, 'error', 11, /backend 'app' has the same name as backend 'app' declared at t\.cfg:9/);
});

test('an unknown keyword is an error naming the line and section, with a suggestion as haproxy -c gives', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    foo bar\n    option frobnicate\n    defualt_backend app\n    optoin httplog\n    timeout conect 5s\n    default_backend app\n${BACKEND}`);
  assert.deepEqual(errors(r), [
    "t.cfg:8: error: unknown keyword 'foo' in 'frontend' section",
    "t.cfg:9: error: unknown option 'frobnicate'",
    "t.cfg:10: error: unknown keyword 'defualt_backend' in 'frontend' section; did you mean 'default_backend' maybe ?",
    "t.cfg:11: error: unknown keyword 'optoin' in 'frontend' section; did you mean 'option' maybe ?",
    "t.cfg:12: error: 'timeout' supports 'check', 'client', 'client-fin', 'connect', 'http-keep-alive', 'http-request', 'queue', 'server', 'server-fin', 'tarpit', 'tunnel' (got 'conect'); did you mean 'connect' maybe ?",
  ]);
});

test('unknown global keywords and server or bind options are errors with suggestions', () => {
  const r = compile(`global\n    nbthred 2\n    tune.nonsense 1\n${HTTP_DEFAULTS}frontend web\n    bind *:80 ssll\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000 chekc\n`);
  assert.deepEqual(errors(r), [
    "t.cfg:2: error: unknown keyword 'nbthred' in 'global' section; did you mean 'nbthread' maybe ?",
    "t.cfg:3: error: unknown keyword 'tune.nonsense' in 'global' section",
    "t.cfg:10: error: unknown bind option 'ssll'; did you mean 'ssl' maybe ?",
    "t.cfg:13: error: unknown server option 'chekc'; did you mean 'check' maybe ?",
  ]);
});

test('removed HAProxy keywords are read with their modern meaning and a warning naming it', () => {
  const r = compile(`defaults\n    mode http\n    contimeout 4s\n    clitimeout 5s\n    srvtimeout 6s\nbackend app\n    redispatch\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(warnings(r).map((w) => w.replace(/ \(2\.1 and earlier\).*reads it as/, ' … as')), [
    "t.cfg:3: warning: 'contimeout' was removed from HAProxy … as 'timeout connect', write that instead",
    "t.cfg:4: warning: 'clitimeout' was removed from HAProxy … as 'timeout client', write that instead",
    "t.cfg:5: warning: 'srvtimeout' was removed from HAProxy … as 'timeout server', write that instead",
    "t.cfg:7: warning: 'redispatch' was removed from HAProxy … as 'option redispatch', write that instead",
  ]);
  const be = r.config!.backends[0]!;
  assert.deepEqual([be.timeouts.connect, be.timeouts.server], [4000, 6000]);
  assert.equal(be.redispatch, true);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    reqrep ^Host:\\ a Host:\\ b\n    default_backend app\n${BACKEND}`), 'error', 8, /'reqrep' was removed.*use http-request replace-header/);
});

test('unsupported sections are skipped with one warning', () => {
  const r = compile(`peers mypeers\n    peer a 127.0.0.1:10000\n${HTTP_DEFAULTS}`);
  assert.deepEqual(lines(r), ["t.cfg:1: warning: section 'peers' 'mypeers' is not supported by handoff; its lines are ignored"]);
});

test('unimplemented keywords: a warning when ignoring them changes no traffic, else an error naming the feature', () => {
  const harmless = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    capture request header Host len 32
    option logasap
    default_backend app
backend app
    http-reuse safe
    server s1 127.0.0.1:9000 verify none
`);
  assert.deepEqual(errors(harmless), []);
  assert.deepEqual(harmless.diagnostics.map((d) => d.line), [8, 9, 12]);
  for (const [line, pattern] of [
    ['filter spoe engine e config spoe.conf', /'filter spoe engine e config spoe.conf' is not supported by handoff \(only 'filter compression'\)/],
    ['stick store-response req.cook(SESSID)', /'stick store-response req.cook\(SESSID\)': sample fetch 'req.cook' needs 'HTTP request headers'/],
    ['option originalto', /'option originalto' is not supported by handoff/],
    ['server s2 127.0.0.1:9001 send-proxy-v2-ssl', /server option 'send-proxy-v2-ssl' is not supported/],
    ['http-send-name-header X-Srv', /'http-send-name-header' is not supported by handoff/],
  ] as const) {
    expectOne(compile(`${HTTP_DEFAULTS}backend app\n    ${line}\n    server s1 127.0.0.1:9000\n`), 'error', 7, pattern);
  }
});

test('a keyword in the wrong section: bind in a backend is an error, balance in a frontend a warning', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    balance leastconn\n    default_backend app\nbackend app\n    bind *:81\n    server s1 127.0.0.1:9000\n`);
  assert.deepEqual(lines(r), [
    "t.cfg:8: warning: 'balance' has no effect in a frontend section (only in: defaults, backend, listen), ignored",
    "t.cfg:11: error: 'bind' is not allowed in a backend section (only in: frontend, listen)",
  ]);
});

test('a later defaults section only affects the proxies that follow it', () => {
  const r = compile(`defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 3s
    option forwardfor
backend first
    server s1 127.0.0.1:9000
defaults
    mode tcp
    timeout connect 4s
    timeout client 5s
    timeout server 6s
backend second
    server s1 127.0.0.1:9001
`);
  clean(r);
  const [first, second] = r.config.backends;
  assert.deepEqual([first!.mode, first!.timeouts.connect, first!.forwardFor], ['http', 1000, true]);
  // A new defaults section starts from built-in values: forwardfor is not carried over.
  assert.deepEqual([second!.mode, second!.timeouts.connect, second!.forwardFor], ['tcp', 4000, false]);
});

test('named defaults are selected with from', () => {
  const r = compile(`defaults base
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 3s
defaults other
    mode tcp
backend b from base
    server s1 127.0.0.1:9000
`);
  assert.deepEqual(errors(r), []);
  assert.equal(r.config.backends[0]!.mode, 'http');
});

test('missing timeouts warn and fall back to 5s/50s/50s', () => {
  const r = compile(`defaults\n    mode http\nfrontend web\n    bind *:80\n    default_backend app\n${BACKEND}`);
  assert.deepEqual(warnings(r), [
    "t.cfg:3: warning: missing timeouts for frontend 'web': 'timeout client' (using 50s); set them, e.g. in the defaults section",
    "t.cfg:6: warning: missing timeouts for backend 'app': 'timeout connect' (using 5s), 'timeout server' (using 50s); set them, e.g. in the defaults section",
  ]);
  assert.deepEqual(r.config.backends[0]!.timeouts, { connect: 5000, client: 50000, server: 50000 });
});

test('listen expands into a frontend and a backend of the same name, routing to itself', () => {
  const r = compile(`${HTTP_DEFAULTS}listen www 127.0.0.1:8080
    balance leastconn
    http-request set-header X-A 1
    server s1 127.0.0.1:9000
`);
  // HAProxy 2.x refuses the address on the listen line; handoff reads it as a bind, with a warning.
  assert.deepEqual(errors(r), []);
  assert.match(warnings(r).join('\n'), /t\.cfg:6: warning: an address on the 'listen' line was removed from HAProxy .*'bind 127\.0\.0\.1:8080'/);
  assert.ok(r.config !== undefined);
  assert.equal(r.config.frontends.length, 1);
  assert.equal(r.config.backends.length, 1);
  const fe = r.config.frontends[0]!;
  const be = r.config.backends[0]!;
  assert.deepEqual([fe.name, fe.defaultBackend, fe.binds[0]!.key], ['www', 'www', '127.0.0.1:8080']);
  assert.deepEqual([be.name, be.balance, be.servers.length], ['www', 'leastconn', 1]);
  // Rules run once, in the frontend half.
  assert.equal(fe.http.httpRequest.length, 1);
  assert.equal(be.http.httpRequest.length, 0);
});

test('listen stats produces a stats page with auth, realm, refresh and uri', () => {
  const r = compile(`${HTTP_DEFAULTS}listen stats
    bind 0.0.0.0:8998
    stats auth Admin:password
    stats enable
    stats realm Haproxy\\ Statistics
    stats refresh 20s
    stats uri /admin?stats
`);
  clean(r);
  assert.deepEqual(r.config.frontends[0]!.stats, {
    uri: '/admin?stats',
    realm: 'Haproxy Statistics',
    auth: [{ user: 'Admin', password: 'password' }],
    refresh: 20000,
  });
});

test('reqadd and rspadd become add-header rules split at the first colon, escaped space removed', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    reqadd X-Forwarded-Proto:\\ https
    rspadd Strict-Transport-Security:\\ max-age=15768000
    rspadd "X-Odd: a:b c"
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(warnings(r).map((w) => w.replace(/^t\.cfg:(\d+): warning: '(\w+)'.*'(.*)'.*$/, '$1 $2 $3')), ['8 reqadd http-request add-header', '9 rspadd http-response add-header', '10 rspadd http-response add-header']);
  const fe = r.config!.frontends[0]!;
  assert.deepEqual(fe.http.httpRequest.map((h) => [h.action, 'name' in h ? h.name : '', 'value' in h ? h.value : '', h.loc.line]), [['add-header', 'X-Forwarded-Proto', { parts: ['https'] }, 8]]);
  assert.deepEqual(fe.http.httpResponse.map((h) => ['name' in h ? h.name : '', 'value' in h ? h.value : '']), [
    ['Strict-Transport-Security', { parts: ['max-age=15768000'] }],
    ['X-Odd', { parts: ['a:b c'] }],
  ]);
});

test('reqadd with an unescaped space is an error that says to escape it', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    reqadd X-Forwarded-Proto: https\n    default_backend app\n${BACKEND}`);
  expectOne(r, 'error', 8, /escape its spaces/);
});

test('http-request / http-response header rules with conditions', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl is_api path_beg /api /v2
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request del-header X-Debug unless is_api
    http-response add-header X-Frame-Options SAMEORIGIN
    default_backend app
${BACKEND}`);
  clean(r);
  const fe = r.config.frontends[0]!;
  assert.deepEqual(fe.http.httpRequest[0], {
    action: 'set-header',
    name: 'X-Forwarded-Proto',
    value: { parts: ['https'] },
    cond: { unless: false, anyOf: [[{ negate: false, anyOf: [{ sample: { fetch: 'ssl_fc', args: [], convs: [], type: 'bool' }, match: 'bool', patterns: [] }] }]] },
    loc: { file: 't.cfg', line: 9 },
  });
  assert.deepEqual(fe.http.httpRequest[1]!.cond, {
    unless: true,
    anyOf: [[{ negate: false, acl: 'is_api', anyOf: [{ sample: { fetch: 'path', args: [], convs: [], type: 'str' }, match: 'beg', patterns: ['/api', '/v2'] }] }]],
  });
  assert.deepEqual(fe.http.httpResponse.map((h) => [h.action, 'name' in h ? h.name : '', 'value' in h ? h.value : '']), [['add-header', 'X-Frame-Options', { parts: ['SAMEORIGIN'] }]]);
});

test('redirect scheme https code 301 if !{ ssl_fc } negates the anonymous ACL', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    redirect scheme https code 301 if !{ ssl_fc }
    http-request redirect location /maintenance.html if { path /old }
    redirect prefix https://example.com
    default_backend app
${BACKEND}`);
  clean(r);
  const http = r.config.frontends[0]!.http;
  // `redirect` rules, and the http-request one in its own list (it runs with the other http-request rules).
  assert.deepEqual(http.redirects.map(({ cond, ...r }) => [r, cond === undefined ? 'no cond' : cond.unless ? 'unless' : 'if']), [
    [{ kind: 'scheme', target: { parts: ['https'] }, code: 301, loc: { file: 't.cfg', line: 8 } }, 'if'],
    [{ kind: 'prefix', target: { parts: ['https://example.com'] }, code: 302, loc: { file: 't.cfg', line: 10 } }, 'no cond'],
  ]);
  assert.deepEqual(http.httpRequest.map(({ cond: _, ...r }) => r), [
    { action: 'redirect', redirect: { kind: 'location', target: { parts: ['/maintenance.html'] }, code: 302 }, loc: { file: 't.cfg', line: 9 } },
  ]);
});

test('conditions: AND groups separated by || / or, negation, named ACLs defined twice, hdr(host) and method', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl host_a hdr(host) -i a.example.com
    acl static path_end .css
    acl static path_end .js
    acl admin path_beg /admin
    acl post method POST
    use_backend app if host_a !admin || static or post
    default_backend app
${BACKEND}`);
  clean(r);
  const hdr = { fetch: 'hdr', args: ['host'], convs: [], type: 'str' };
  const path = { fetch: 'path', args: [], convs: [], type: 'str' };
  assert.deepEqual(r.config.frontends[0]!.useBackends[0]!.cond!.anyOf, [
    [
      { negate: false, acl: 'host_a', anyOf: [{ sample: hdr, match: 'str', patterns: ['a.example.com'], ignoreCase: true }] },
      { negate: true, acl: 'admin', anyOf: [{ sample: path, match: 'beg', patterns: ['/admin'] }] },
    ],
    [{ negate: false, acl: 'static', anyOf: [{ sample: path, match: 'end', patterns: ['.css'] }, { sample: path, match: 'end', patterns: ['.js'] }] }],
    [{ negate: false, acl: 'post', anyOf: [{ sample: { fetch: 'method', args: [], convs: [], type: 'meth' }, match: 'str', patterns: ['POST'] }] }],
  ]);
});

test('an ACL used before its declaration or an unsupported fetch is an error', () => {
  expectOne(
    compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    use_backend app if later\n    acl later path /x\n    default_backend app\n${BACKEND}`),
    'error',
    8,
    /no such ACL: 'later'/,
  );
  expectOne(
    compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    acl busy sc0_http_fail_rate gt 10\n    default_backend app\n${BACKEND}`),
    'error',
    8,
    /acl 'busy': sample fetch 'sc0_http_fail_rate' is not supported by handoff/,
  );
});

test('an access control handoff cannot enforce (silent-drop) is an error rather than an ignored rule', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    http-request silent-drop if { path_beg /admin }\n    default_backend app\n${BACKEND}`), 'error', 8, /'http-request silent-drop' is not supported by handoff/);
});

test('TLS defaults are TLSv1.2..TLSv1.3; no-tlsv* and ssl-min-ver/ssl-max-ver/force-tlsv* set the range', () => {
  const cases: [string, string, string][] = [
    ['', 'TLSv1.2', 'TLSv1.3'],
    ['ssl-min-ver TLSv1.0', 'TLSv1', 'TLSv1.3'],
    ['no-tlsv13', 'TLSv1.2', 'TLSv1.2'],
    ['no-tlsv12', 'TLSv1.3', 'TLSv1.3'],
    ['ssl-max-ver TLSv1.2', 'TLSv1.2', 'TLSv1.2'],
    ['force-tlsv13', 'TLSv1.3', 'TLSv1.3'],
    ['no-sslv3 no-tlsv10 no-tlsv11 no-tls-tickets', 'TLSv1.2', 'TLSv1.3'],
  ];
  for (const [opts, min, max] of cases) {
    const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:443 ssl crt site.pem ${opts}\n    default_backend app\n${BACKEND}`);
    assert.deepEqual(errors(r), [], opts);
    const tls = r.config.frontends[0]!.binds[0]!.tls!;
    assert.deepEqual([tls.minVersion, tls.maxVersion], [min, max], opts);
  }
});

test('ssl-default-bind-options and ciphers apply to every ssl bind; bind options override them', () => {
  const r = compile(`global
    ssl-default-bind-options no-sslv3 ssl-min-ver TLSv1.1 no-tls-tickets
    ssl-default-bind-ciphers ECDH+AESGCM:!aNULL
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256
    crt-base /etc/ssl/private
${HTTP_DEFAULTS}frontend web
    bind *:443 ssl crt site.pem crt /abs/other.pem alpn h2,http/1.1
    bind *:8443 ssl crt site.pem ssl-min-ver TLSv1.3 ciphers AES256-SHA
    default_backend app
${BACKEND}`);
  assert.deepEqual(lines(r), ["t.cfg:12: warning: 'alpn h2,http/1.1': HTTP/2 is not implemented by handoff yet; this bind negotiates http/1.1 only"]);
  assert.ok(r.config !== undefined);
  const [a, b] = r.config.frontends[0]!.binds;
  assert.deepEqual(a!.tls, {
    certificates: [
      { path: '/etc/ssl/private/site.pem', pem: '' },
      { path: '/abs/other.pem', pem: '' },
    ],
    minVersion: 'TLSv1.1',
    maxVersion: 'TLSv1.3',
    ciphers: 'ECDH+AESGCM:!aNULL',
    ciphersuites: 'TLS_AES_128_GCM_SHA256',
    alpn: ['h2', 'http/1.1'],
    noTlsTickets: true,
  });
  assert.deepEqual([b!.tls!.minVersion, b!.tls!.ciphers], ['TLSv1.3', 'AES256-SHA']);
});

test('no-tlsv1x is ignored with a warning once ssl-min-ver is set, as in HAProxy', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:443 ssl crt a.pem ssl-min-ver TLSv1.0 no-tlsv10 no-tlsv11\n    default_backend app\n${BACKEND}`);
  expectOne(r, 'warning', 7, /no-tlsv1x options are ignored when ssl-min-ver/);
  assert.deepEqual([r.config.frontends[0]!.binds[0]!.tls!.minVersion, r.config.frontends[0]!.binds[0]!.tls!.maxVersion], ['TLSv1', 'TLSv1.3']);
});

test('TLS options that disable every version are an error at the bind', () => {
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:443 ssl crt a.pem no-tlsv12 no-tlsv13\n    default_backend app\n${BACKEND}`), 'error', 7, /no protocol version enabled/);
});

test('relative crt paths resolve against the config directory when crt-base is unset', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:443 ssl crt certs/site.pem\n    default_backend app\n${BACKEND}`);
  assert.equal(r.config.frontends[0]!.binds[0]!.tls!.certificates[0]!.path, '/etc/handoff/certs/site.pem');
});

test('log targets: udp default port 514, unix socket, stdout; log global inherits; no log disables', () => {
  const r = compile(`global
    log 127.0.0.1 local0
    log 10.0.0.5:1514 local1 notice
    log /dev/log local2
    log stdout local3 info
${HTTP_DEFAULTS}    log global
frontend a
    bind *:80
    default_backend app
frontend b
    bind *:81
    no log
    default_backend app
frontend c
    bind *:82
    no log
    log stderr daemon
    default_backend app
${BACKEND}`);
  clean(r);
  assert.deepEqual(r.config.global.logTargets, [
    { kind: 'udp', host: '127.0.0.1', port: 514, facility: 'local0' },
    { kind: 'udp', host: '10.0.0.5', port: 1514, facility: 'local1', level: 'notice' },
    { kind: 'unix', path: '/dev/log', facility: 'local2' },
    { kind: 'stdout', facility: 'local3', level: 'info' },
  ]);
  const [a, b, c] = r.config.frontends;
  assert.equal(a!.logTargets.length, 4);
  assert.deepEqual(b!.logTargets, []);
  assert.equal(b!.logFormat, null);
  assert.deepEqual(c!.logTargets, [{ kind: 'stderr', facility: 'daemon' }]);
});

test('log format: httplog, tcplog, explicit log-format wins, null without targets', () => {
  const fe = (extra: string) =>
    compile(`${HTTP_DEFAULTS}    log stdout local0\nfrontend web\n    bind *:80\n${extra}    default_backend app\n${BACKEND}`).config.frontends[0]!.logFormat;
  assert.equal(fe('    option httplog\n'), HTTPLOG_FORMAT);
  assert.equal(fe('    option tcplog\n'), TCPLOG_FORMAT);
  assert.equal(fe(''), TCPLOG_FORMAT);
  assert.equal(fe('    option httplog\n    log-format "%ci %ST"\n'), '%ci %ST');
  assert.equal(fe('    log-format "%ci %ST"\n    option httplog\n'), '%ci %ST');
  const silent = compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    option httplog\n    default_backend app\n${BACKEND}`);
  assert.equal(silent.config.frontends[0]!.logFormat, null);
});

test('an unknown log-format variable is a warning', () => {
  const r = compile(`${HTTP_DEFAULTS}    log-format %ci:%cp\\ %Zz\\ %{+Q}r\\ %[src]\\ %%\n`);
  expectOne(r, 'warning', 6, /unknown log-format variable '%Zz'/);
});

test('global keywords produce the model; nbthread sets workers; warnings for chroot and daemon', () => {
  const r = compile(`global
    maxconn 2048
    nbthread 4
    hard-stop-after 30s
    pidfile /run/handoff.pid
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
    stats timeout 30s
    chroot /var/lib/haproxy
    user haproxy
    group haproxy
    daemon
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.diagnostics.map((d) => d.line), [8, 11]);
  assert.deepEqual([r.config.global.user, r.config.global.group], ['haproxy', 'haproxy']);
  const g = r.config.global;
  assert.deepEqual([g.maxconn, g.workers, g.hardStopAfter, g.pidfile, g.statsTimeout, g.daemon], [2048, 4, 30000, '/run/handoff.pid', 30000, true]);
  assert.deepEqual(g.statsSockets[0], { path: '/run/haproxy/admin.sock', mode: 0o660, level: 'admin', exposeFdListeners: true, loc: { file: 't.cfg', line: 6 } });
});

test('options: forwardfor header, redispatch, httpchk, connection modes (last wins)', () => {
  const r = compile(`${HTTP_DEFAULTS}    option http-keep-alive
    option http-server-close
backend app
    option forwardfor header X-Real-IP
    option redispatch
    option httpchk GET /health
    server s1 127.0.0.1:9000 check
backend other
    option httpclose
    no option forwardfor
    server s1 127.0.0.1:9001
`);
  clean(r);
  const [app, other] = r.config.backends;
  assert.deepEqual([app!.forwardFor, app!.forwardForHeader, app!.redispatch, app!.httpServerClose], [true, 'X-Real-IP', true, true]);
  assert.deepEqual(app!.healthCheck, {
    kind: 'http',
    rules: [
      { action: 'connect', implicit: true },
      { action: 'http-send', method: 'GET', uri: '/health', version: 'HTTP/1.0', headers: [], body: '' },
      { action: 'expect', match: { type: 'status', ranges: [[200, 399]] }, negate: false, minRecv: -1 },
    ],
    disableOn404: false,
  });
  assert.deepEqual([other!.forwardFor, other!.httpServerClose], [false, false]);
});

test('balance algorithms and an unknown algorithm', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random']) {
    const r = compile(`${HTTP_DEFAULTS}backend app\n    balance ${algo}\n`);
    clean(r);
    assert.equal(r.config.backends[0]!.balance, algo);
  }
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    balance fastest\n`), 'error', 7, /unknown balance algorithm 'fastest'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    balance rdp-cookie\n`), 'error', 7, /'balance rdp-cookie' is not supported by handoff yet/);
});

test('workersOverride-free build leaves global.workers undefined', () => {
  assert.equal(compile(HTTP_DEFAULTS).config.global.workers, undefined);
});

test('a keyword before any section is an error', () => {
  expectOne(compile('maxconn 10\n'), 'error', 1, /unknown keyword 'maxconn' out of section/);
});

test('ACL flag -i marks a predicate case-insensitive (the default CentOS config uses path_beg -i)', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl url_static path_beg -i /static /images
    acl url_static path_end -i .jpg .css
    use_backend app if url_static
    default_backend app
${BACKEND}`);
  clean(r);
  const path = { fetch: 'path', args: [], convs: [], type: 'str' };
  assert.deepEqual(r.config.frontends[0]!.useBackends[0]!.cond!.anyOf, [
    [
      {
        negate: false,
        acl: 'url_static',
        anyOf: [
          { sample: path, match: 'beg', patterns: ['/static', '/images'], ignoreCase: true },
          { sample: path, match: 'end', patterns: ['.jpg', '.css'], ignoreCase: true },
        ],
      },
    ],
  ]);
});

test('a wildcard and a specific address on the same port warn that the second bind will fail', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend a
    bind *:80
    default_backend app
frontend b
    bind 127.0.0.1:80
    bind 127.0.0.1:81
    default_backend app
${BACKEND}`);
  expectOne(r, 'warning', 10, /address 127\.0\.0\.1:80 overlaps 0\.0\.0\.0:80 bound by frontend 'a' at t\.cfg:7/);
});

test('truncated and garbled lines of real configurations never throw', async () => {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../deploy/seed-haproxy.cfg', import.meta.url), 'utf8');
  const noise = ['', '!', '{', '}', '||', 'if', ':', '*', '99999', 'ssl', 'crt', 'from', '"', '\\', 'no', '[::]:', '%['];
  const src = text.split('\n');
  let count = 0;
  for (let li = 0; li < src.length; li++) {
    const words = src[li]!.trim().split(/\s+/);
    for (let cut = 0; cut <= words.length; cut++) {
      const copy = [...src];
      copy[li] = `  ${[...words.slice(0, cut), noise[(li + cut) % noise.length]].join(' ')}`;
      compile(copy.join('\n'));
      count++;
    }
  }
  assert.ok(count > 200);
});

test('TLS termination on a tcp-mode frontend is an error at the bind line', () => {
  const r = compile(`defaults
    mode tcp
    timeout connect 5s
    timeout client 50s
    timeout server 50s
frontend www
    bind 127.0.0.1:8443 ssl crt cert.pem
    default_backend app
backend app
    server s1 127.0.0.1:9000
`);
  assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.line === 7 && /tcp mode: handoff terminates TLS only in http mode/.test(d.message)), JSON.stringify(r.diagnostics));
});
