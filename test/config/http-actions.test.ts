// HTTP rules, userlists, http-errors and the options around them: parse → model, and the errors
// for what handoff refuses (configuration.txt 4.2, 3.4, 3.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, errors, expectOne, HTTP_DEFAULTS, lines, warnings } from './compile.ts';
import type { HttpReply, HttpRule } from '../../src/config/model.ts';

const BACKEND = `backend app
    server s1 127.0.0.1:9000
`;

/** A frontend with these lines (from line 8) and a backend. */
function fe(body: string, extra = ''): ReturnType<typeof compile> {
  return compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n${body}\n    default_backend app\n${BACKEND}${extra}`);
}

/** The frontend's rules of one list, without their conditions (checked elsewhere). */
function rules(r: ReturnType<typeof compile>, list: 'httpRequest' | 'httpResponse' | 'httpAfterResponse' = 'httpRequest'): Omit<HttpRule, 'cond'>[] {
  assert.deepEqual(errors(r), []);
  return r.config.frontends[0]!.http[list].map(({ cond: _c, loc: _l, ...rule }) => rule as Omit<HttpRule, 'cond'>);
}

const t = (text: string): { parts: string[] } => ({ parts: [text] });

test('allow, deny, deny_status, tarpit and return parse into replies with HAProxy defaults', () => {
  const r = fe(`    http-request allow if { path /ok }
    http-request deny
    http-request deny deny_status 429
    http-request tarpit
    http-request return status 200 content-type text/plain string ok
    http-request return
    http-request deny status 403 content-type text/html string no hdr X-Why %[path]`);
  assert.deepEqual(rules(r), [
    { action: 'allow' },
    { action: 'deny', reply: { kind: 'default', status: 403 } },
    { action: 'deny', reply: { kind: 'default', status: 429 } },
    { action: 'tarpit', reply: { kind: 'default', status: 500 } },
    { action: 'return', reply: { kind: 'payload', status: 200, headers: [], body: { kind: 'raw', text: 'ok' }, contentType: 'text/plain' } },
    { action: 'return', reply: { kind: 'payload', status: 200, headers: [], body: { kind: 'none' } } },
    {
      action: 'deny',
      reply: { kind: 'payload', status: 403, headers: [{ name: 'X-Why', value: { parts: [{ fetch: 'path', args: [], convs: [], type: 'str' }] } }], body: { kind: 'raw', text: 'no' }, contentType: 'text/html' },
    },
  ]);
});

test('reply errors: a payload without content-type, a status out of range, two sources, a status without a default page', () => {
  expectOne(fe('    http-request return string ok'), 'error', 8, /a content type must be defined/);
  expectOne(fe('    http-request return status 99'), 'error', 8, /between 200 and 599/);
  expectOne(fe('    http-request return content-type a/b string x lf-string y'), 'error', 8, /already given by 'string'/);
  expectOne(fe('    http-request deny deny_status 418'), 'error', 8, /status code '418' has no default error page/);
  expectOne(fe('    http-request return status 204 content-type text/plain string x'), 'error', 8, /no body is expected for 204/);
  expectOne(fe('    http-request return content-type text/plain'), 'warning', 8, /content-type 'text\/plain' is ignored/);
});

test('return errorfiles NAME takes the http-errors section file for the status; an unknown section is an error', () => {
  const ok = fe('    http-request return status 503 errorfiles site', 'http-errors site\n    errorfile 503 /etc/handoff/503.http\n');
  assert.deepEqual(errors(ok), []);
  const reply = (ok.config.frontends[0]!.http.httpRequest[0] as { reply: HttpReply }).reply;
  assert.deepEqual(reply, { kind: 'errorfile', status: 503, file: { path: '/etc/handoff/503.http', text: '' } });
  assert.ok(ok.errorfileRefs.some((f) => f.path === '/etc/handoff/503.http' && f.target === (reply as { file: Record<string, string> }).file));
  expectOne(fe('    http-request return status 503 errorfiles nope'), 'error', 8, /unknown http-errors section 'nope'/);
  const missing = fe('    http-request deny status 403 errorfiles site', 'http-errors site\n    errorfile 503 /e/503.http\n');
  assert.match(warnings(missing).join('\n'), /status '403' .*not declared in http-errors section 'site'/);
});

test('return file F and lf-file F are read at load; errorfile F names a full response', () => {
  const r = fe(`    http-request return content-type text/plain file body.txt
    http-request return status 503 errorfile errors/503.http`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.payloadRefs.map((p) => [p.path, p.body.kind, p.loc.line]), [['/etc/handoff/body.txt', 'raw', 8]]);
  assert.ok(r.errorfileRefs.some((f) => f.path === '/etc/handoff/errors/503.http' && f.code === 'text'));
});

test('auth, reject, set-log-level, capture, redirect options', () => {
  const r = fe(`    http-request auth realm Secure
    http-request auth
    http-request reject if { path /x }
    http-request set-log-level silent
    http-request capture req.hdr(host) len 10
    http-request capture path len 5
    http-request redirect code 301 prefix / drop-query append-slash set-cookie SEEN=1
    http-request redirect location /a clear-cookie ID= ignore-empty`);
  assert.deepEqual(rules(r), [
    { action: 'auth', realm: 'Secure' },
    { action: 'auth' },
    { action: 'reject' },
    { action: 'set-log-level', level: 'silent' },
    { action: 'capture', sample: { fetch: 'req.hdr', args: ['host'], convs: [], type: 'str' }, len: 10, slot: 0 },
    { action: 'capture', sample: { fetch: 'path', args: [], convs: [], type: 'str' }, len: 5, slot: 1 },
    { action: 'redirect', redirect: { kind: 'prefix', target: t(''), code: 301, dropQuery: true, appendSlash: true, cookie: 'SEEN=1; path=/;' } },
    { action: 'redirect', redirect: { kind: 'location', target: t('/a'), code: 302, cookie: 'ID=; path=/; Max-Age=0;', ignoreEmpty: true } },
  ]);
});

test('request-line rewrites, header rewrites and variables', () => {
  const r = fe(`    http-request set-path /new%[path]
    http-request set-pathq /a?b
    http-request set-query x=1
    http-request set-uri /u
    http-request set-method POST
    http-request replace-path (.*) /p\\1
    http-request replace-pathq ^/a(.*) /b\\1
    http-request replace-uri ^http://(.*) https://\\1
    http-request replace-header User-Agent curl foo
    http-request replace-value X-F ^192\\.168\\.(.*)$ 172.16.\\1
    http-request del-header X-Debug -m beg
    http-request set-var(txn.user,ifnotempty) req.hdr(x-user)
    http-request set-var-fmt(sess.tag) %[src]
    http-request unset-var(req.tmp)
    http-request normalize-uri path-merge-slashes`);
  const got = rules(r);
  assert.deepEqual(got.map((x) => x.action), [
    'set-path', 'set-pathq', 'set-query', 'set-uri', 'set-method', 'replace-path', 'replace-pathq', 'replace-uri',
    'replace-header', 'replace-value', 'del-header', 'set-var', 'set-var-fmt', 'unset-var', 'normalize-uri',
  ]);
  assert.deepEqual(got[1], { action: 'set-pathq', value: t('/a?b') });
  assert.deepEqual(got[5], { action: 'replace-path', regex: '(.*)', replace: t('/p\\1') });
  assert.deepEqual(got[8], { action: 'replace-header', name: 'User-Agent', regex: 'curl', replace: t('foo') });
  assert.deepEqual(got[10], { action: 'del-header', name: 'X-Debug', value: t(''), match: 'beg' });
  assert.deepEqual(got[11], { action: 'set-var', variable: { scope: 'txn', name: 'user' }, expr: { fetch: 'req.hdr', args: ['x-user'], convs: [], type: 'str' }, ifs: ['ifnotempty'] });
  assert.deepEqual(got[13], { action: 'unset-var', variable: { scope: 'req', name: 'tmp' } });
  assert.deepEqual(got[14], { action: 'normalize-uri', normalizer: 'path-merge-slashes' });
});

test('http-response and http-after-response actions; sides are checked', () => {
  const r = fe(`    http-response set-status 503 reason "Slow Down"
    http-response set-status 431
    http-response deny
    http-response redirect location /elsewhere
    http-response replace-value Cache-control ^public$ private
    http-after-response set-header X-A 1
    http-after-response set-status 200
    http-after-response allow`);
  assert.deepEqual(rules(r, 'httpResponse'), [
    { action: 'set-status', status: 503, reason: 'Slow Down' },
    { action: 'set-status', status: 431 },
    { action: 'deny', reply: { kind: 'default', status: 502 } },
    { action: 'redirect', redirect: { kind: 'location', target: t('/elsewhere'), code: 302 } },
    { action: 'replace-value', name: 'Cache-control', regex: '^public$', replace: t('private') },
  ]);
  assert.deepEqual(rules(r, 'httpAfterResponse'), [{ action: 'set-header', name: 'X-A', value: t('1') }, { action: 'set-status', status: 200 }, { action: 'allow' }]);
  expectOne(fe('    http-response redirect prefix /x'), 'error', 8, /only supports redirect type 'location'/);
  expectOne(fe('    http-response set-path /x'), 'error', 8, /'set-path' is not a valid 'http-response' action/);
  expectOne(fe('    http-after-response deny'), 'error', 8, /'deny' is not a valid 'http-after-response' action/);
  expectOne(fe('    http-request set-status 200'), 'error', 8, /'set-status' is not a valid 'http-request' action/);
});

test('what handoff cannot do is an error naming it; what changes nothing is a warning', () => {
  for (const [line, pattern] of [
    ['http-request sc-add-gpc(0,0) 1', /'http-request sc-add-gpc\(0,0\)' is not supported by handoff: stick counters/],
    ['http-request set-src hdr(x-forwarded-for)', /rewriting the client address/],
    ['http-request use-service lua.hello', /'http-request use-service lua.hello' is not supported by handoff: Lua/],
    ['http-request use-service', /'use-service' expects a service name/],
    ['http-request use-service foo', /'foo' unknown service name/],
    ['http-request cache-use c', /a response cache/],
    ['http-request do-resolve(txn.ip,dns) hdr(host)', /DNS resolvers/],
    ['http-request normalize-uri path-strip-dotdot', /'normalize-uri path-strip-dotdot' is not supported by handoff/],
    ['http-response capture res.hdr(x) id 0', /capture slots/],
    ['http-request capture path id 0', /is not supported by handoff; use 'http-request capture SAMPLE len N'/],
    ['http-request frobnicate', /unknown 'http-request' action 'frobnicate'/],
    ['http-request set-var(proc.x) str(1)', /process-wide variables/],
    ['http-request set-var(txn.x,ifbogus) str(1)', /unknown condition 'ifbogus'/],
    ['http-request replace-path ([ /x', /regex '\(\[' is invalid/],
  ] as const) {
    const r = fe(`    ${line}`);
    assert.equal(errors(r).length, 1, `${line}: ${lines(r).join('\n')}`);
    assert.match(errors(r)[0]!, pattern, line);
  }
  const w = fe('    http-request strict-mode off\n    http-request wait-for-body time 1s\n    http-request set-log-level err');
  assert.deepEqual(errors(w), []);
  assert.equal(warnings(w).length, 3);
});

test('redirect keyword: options in any order, log-format only in http-request rules; in a backend, kept', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    redirect code 301 prefix / drop-query append-slash
    default_backend app
backend app
    redirect scheme https if !{ ssl_fc }
    server s1 127.0.0.1:9000
`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.frontends[0]!.http.redirects.map(({ loc: _, ...x }) => x), [{ kind: 'prefix', target: t(''), code: 301, dropQuery: true, appendSlash: true }]);
  assert.equal(r.config.backends[0]!.http.redirects[0]!.kind, 'scheme');
  // The `redirect` keyword's target is literal: a %[ stays as written.
  const lit = fe('    redirect location /x%[path]');
  assert.deepEqual(lit.config.frontends[0]!.http.redirects[0]!.target, t('/x%[path]'));
  expectOne(fe('    redirect code 305 location /x'), 'error', 8, /unsupported HTTP code '305'/);
  expectOne(fe('    redirect drop-query'), 'error', 8, /redirection type is expected/);
});

test('userlist: users, groups both ways, insecure and hashed passwords; an unverifiable hash is an error naming its scheme', () => {
  const r = compile(`userlist L1
    group G1 users tiger,scott
    group G2
    user tiger password $6$k6y3o.eP$PBB.tfeKmQRT5Xl/drYaLsOKR8cBcdOOeaq7JYq7eJWgGHSNlC/M/GdNHKlBiA17WQ1tWOULAGr76LPTfQgB5.
    user scott insecure-password elgato groups G2
    user xdb insecure-password hello
${HTTP_DEFAULTS}frontend web
    bind *:80
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(r), []);
  const ul = r.config.userlists!.L1!;
  assert.deepEqual(ul.groups, ['G1', 'G2']);
  assert.deepEqual(ul.users.map((u) => [u.name, u.password?.kind, u.groups]), [['tiger', 'hash', ['G1']], ['scott', 'insecure', ['G2', 'G1']], ['xdb', 'insecure', []]]);
  const bad = compile(`userlist L\n    user a password $2b$12$abcdefghijklmnopqrstuv\n    user b password $y$j9T$salt$hash\n${HTTP_DEFAULTS}`);
  assert.match(errors(bad)[0]!, /t\.cfg:2: error: user 'a': the password hash is bcrypt \(\$2b\$\), which handoff cannot verify/);
  assert.match(errors(bad)[1]!, /t\.cfg:3: error: .*yescrypt/);
  const groups = compile(`userlist L\n    group G users nobody\n    user a insecure-password x groups H\n${HTTP_DEFAULTS}`);
  assert.deepEqual(errors(groups).map((e) => e.replace(/^t\.cfg:(\d+): error: /, '$1 ')), ["3 userlist 'L': no such group 'H' specified in user 'a'", "2 userlist 'L': no such user 'nobody' specified in group 'G'"]);
  expectOne(compile(`userlist L\n    frob x\n${HTTP_DEFAULTS}`), 'error', 2, /unknown keyword 'frob' in 'userlist' section/);
});

test('http-errors sections and errorfiles / errorloc in proxies: the last line for a code wins', () => {
  const r = compile(`http-errors site
    errorfile 503 /e/site-503.http
    errorfile 404 /e/site-404.http
${HTTP_DEFAULTS}    errorfile 503 /e/default-503.http
frontend web
    bind *:80
    errorfiles site 503
    errorloc 403 https://example.com/forbidden
    errorloc303 502 /oops
    default_backend app
backend app
    errorfile 404 /e/be-404.http
    errorfiles site
    server s1 127.0.0.1:9000
`);
  assert.deepEqual(errors(r), []);
  const fe0 = r.config.frontends[0]!;
  assert.equal(fe0.errorfiles['403'], 'HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: https://example.com/forbidden\r\n\r\n');
  assert.match(fe0.errorfiles['502']!, /^HTTP\/1\.1 303 See Other\r\n[^]*Location: \/oops\r\n/);
  const reads = r.errorfileRefs.map((ref) => [ref.target === fe0.errorfiles ? 'fe' : ref.target === r.config.backends[0]!.errorfiles ? 'be' : '?', ref.code, ref.path]);
  assert.deepEqual(reads.filter(([w]) => w !== '?').sort(), [['be', '404', '/e/site-404.http'], ['be', '503', '/e/site-503.http'], ['fe', '503', '/e/site-503.http']].sort());
  expectOne(fe('    errorfiles nope'), 'error', 8, /unknown http-errors section 'nope' in frontend 'web'/);
  expectOne(compile(`http-errors a\n    errorfile 999 /x\n${HTTP_DEFAULTS}`), 'error', 2, /status code '999' cannot be customised/);
  expectOne(compile(`http-errors a\nhttp-errors a\n${HTTP_DEFAULTS}`), 'error', 2, /http-errors section 'a' already exists \(declared at t\.cfg:1\)/);
});

test('monitor-uri, monitor fail, forwardfor except/if-none and timeout tarpit reach the model; abortonclose is accepted', () => {
  const r = compile(`${HTTP_DEFAULTS}    option forwardfor except 127.0.0.0/8 if-none
    timeout tarpit 2s
frontend web
    bind *:80
    monitor-uri /alive
    monitor fail if { nbsrv(app) lt 1 }
    default_backend app
backend app
    option abortonclose
    option forwardfor header X-Client except ::1
    server s1 127.0.0.1:9000
`);
  assert.deepEqual(errors(r), []);
  const f = r.config.frontends[0]!;
  const b = r.config.backends[0]!;
  assert.equal(f.monitor?.uri, '/alive');
  assert.equal(f.monitor?.fail.length, 1);
  assert.deepEqual(f.forwardForOptions, { except: { address: '127.0.0.0', prefix: 8, family: 'ipv4' }, ifNone: true });
  assert.deepEqual([b.forwardForHeader, b.forwardForOptions?.except?.family, b.forwardForOptions?.except?.prefix], ['X-Client', 'ipv6', 128]);
  assert.equal(f.timeouts.tarpit, 2000);
  expectOne(fe('    option forwardfor except 300.1.1.1'), 'error', 8, /expects a network/);
  expectOne(fe('    monitor fail'), 'error', 8, /expects 'if' or 'unless'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend b\n    monitor-uri /x\n    server s 127.0.0.1:1\n`), 'warning', 7, /'monitor-uri' has no effect in a backend section/);
});

test('a tcp frontend drops its HTTP rules and monitor-uri with a warning each', () => {
  const r = compile(`defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend f
    bind *:80
    monitor-uri /x
    http-request deny
    http-after-response set-header a b
    default_backend b
backend b
    server s 127.0.0.1:1
`);
  assert.deepEqual(errors(r), []);
  assert.equal(warnings(r).length, 3);
  assert.deepEqual(r.config.frontends[0]!.http.httpRequest, []);
  assert.equal(r.config.frontends[0]!.monitor, undefined);
});

test('http-request use-service prometheus-exporter parses; an extra word after it is HAProxy\'s error', () => {
  const r = fe('    http-request use-service prometheus-exporter if { path /metrics }');
  assert.deepEqual(rules(r), [{ action: 'use-service', service: 'prometheus-exporter' }]);
  expectOne(fe('    http-request use-service prometheus-exporter extra'), 'error', 8, /expects either 'if' or 'unless' followed by a condition but found 'extra'/);
  expectOne(fe('    http-response use-service prometheus-exporter'), 'error', 8, /'use-service' is not a valid 'http-response' action/);
});
