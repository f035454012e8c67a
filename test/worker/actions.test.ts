// The rule interpreter and what it changes, without a process: header and request-line rewrites as
// HAProxy does them, rule order and `allow`, redirect locations, variables, captures, forwardfor,
// errorfile parsing, and the crypt(3) schemes userlists use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { HttpRule, Template } from '../../src/config/model.ts';
import { parseTemplate } from '../../src/config/template.ts';
import { parseSample } from '../../src/config/sample.ts';
import { REWRITE_FAILED, runRules, type RuleExchange } from '../../src/worker/actions.ts';
import type { RequestHead } from '../../src/worker/http1/parse.ts';
import { deleteHeaders, expandReplacement, normalizeUri, replaceHeaders, setLinePart, type RequestLine } from '../../src/worker/rewrite.ts';
import { addForwardedFor } from '../../src/worker/forwarded.ts';
import { parsedResponse, replyResponse } from '../../src/worker/replies.ts';
import { cryptScheme, md5Crypt, shaCrypt, verifyCrypt } from '../../src/auth/crypt.ts';
import { makeFrontend } from '../helpers/worker-harness.ts';

const LOC = { file: 't.cfg', line: 1 };

function fmt(text: string): Template {
  const t = parseTemplate(text);
  if (!t.ok) throw new Error(t.error);
  return t.value;
}

function exchange(target: string, headers: string[] = ['Host', 'www.example:8080']): RuleExchange {
  const q = target.indexOf('?');
  const head = { method: 'GET', target, uri: target, path: q === -1 ? target : target.slice(0, q), headers, host: 'www.example:8080' } as unknown as RequestHead;
  return {
    conn: { clientIp: '10.1.2.3', clientPort: 5555, socket: {} as Socket },
    ssl: false,
    head,
    method: 'GET',
    path: head.path,
    upstreamHeaders: [...headers],
    status: 0,
    resHeaders: undefined,
    vars: undefined,
    nbsrv: () => 1,
    target,
    statusText: '',
    captures: undefined,
    silent: false,
    location: '',
  };
}

type RuleOf<T> = T extends unknown ? Omit<T, 'loc'> : never;
const rule = (r: RuleOf<HttpRule>): HttpRule => ({ ...r, loc: LOC }) as HttpRule;

test('replacements: \\N back-references, \\xHH bytes, the whole value replaced when the regex matches anywhere', () => {
  const m = /foo=([^;]*);(.*)/.exec('foo=bar; rest') as RegExpExecArray;
  assert.equal(expandReplacement('foo=\\1;ip=1.2.3.4;\\2', m), 'foo=bar;ip=1.2.3.4; rest');
  assert.equal(expandReplacement('\\x41\\\\\\z', m), 'A\\z');
  const h = ['User-Agent', 'curl/7.47.0', 'Accept', 'a, 192.168.10.1 , b'];
  assert.equal(replaceHeaders(h, 'user-agent', /curl/, 'foo', false), true);
  assert.equal(h[1], 'foo');
  assert.equal(replaceHeaders(h, 'Accept', /^192\.168\.(.*)$/, '172.16.\\1', true), true);
  assert.equal(h[3], 'a, 172.16.10.1 , b');
  assert.equal(replaceHeaders(h, 'Accept', /a/, 'x\r\ny', false), false);
});

test('del-header -m str|beg|end|sub|reg', () => {
  const base = ['X-Debug-A', '1', 'x-debug-b', '2', 'Accept', '3', 'X-Trace-Debug', '4'];
  const run = (name: string, m?: 'beg' | 'end' | 'sub' | 'reg'): string[] => {
    const h = [...base];
    deleteHeaders(h, name, m);
    return h.filter((_, i) => i % 2 === 0);
  };
  assert.deepEqual(run('accept'), ['X-Debug-A', 'x-debug-b', 'X-Trace-Debug']);
  assert.deepEqual(run('x-debug', 'beg'), ['Accept', 'X-Trace-Debug']);
  assert.deepEqual(run('DEBUG', 'end'), ['X-Debug-A', 'x-debug-b', 'Accept']);
  assert.deepEqual(run('debug', 'sub'), ['Accept']);
  assert.deepEqual(run('^X-.*-[AB]$', 'reg'), ['x-debug-b', 'Accept', 'X-Trace-Debug']);
});

test('request line: set-path keeps query and authority, set-query adds or replaces, set-pathq, set-uri, set-method', () => {
  const line = (target: string): RequestLine => ({ method: 'GET', target, uri: target, path: target.split('?')[0] as string });
  let l = line('http://h.example/a/b?q=1');
  assert.equal(setLinePart(l, 'set-path', '/x'), true);
  assert.deepEqual(l, { method: 'GET', target: 'http://h.example/x?q=1', uri: '/x?q=1', path: '/x' });
  l = line('/p');
  setLinePart(l, 'set-query', 'a=1');
  assert.equal(l.target, '/p?a=1');
  setLinePart(l, 'set-query', '');
  assert.equal(l.target, '/p?');
  l = line('/p');
  setLinePart(l, 'set-query', '');
  assert.equal(l.target, '/p');
  l = line('/p?x');
  setLinePart(l, 'set-pathq', '/n');
  assert.deepEqual([l.target, l.path], ['/n', '/n']);
  setLinePart(l, 'set-uri', '/u?v');
  assert.deepEqual([l.uri, l.path], ['/u?v', '/u']);
  assert.equal(setLinePart(l, 'set-path', '/a b'), false, 'a space cannot go into a request line');
  assert.equal(l.target, '/u?v');
  assert.equal(setLinePart(l, 'set-method', 'PURGE'), true);
  assert.equal(l.method, 'PURGE');
  assert.equal(setLinePart(l, 'set-method', 'BAD METHOD'), false);
  l = line('/a//b///c?x=%2f%aB');
  normalizeUri(l, 'path-merge-slashes');
  normalizeUri(l, 'percent-to-uppercase');
  assert.equal(l.target, '/a/b/c?x=%2F%AB');
});

test('rules run in order; allow ends the list; a final action is returned; a failed rewrite is reported', () => {
  const x = exchange('/a?b=1');
  const rules = [
    rule({ action: 'set-header', name: 'X-One', value: fmt('%[path]') }),
    rule({ action: 'set-path', value: fmt('/new%[path]') }),
    rule({ action: 'add-header', name: 'X-Two', value: fmt('%[path]') }),
    rule({ action: 'allow' }),
    rule({ action: 'deny', reply: { kind: 'default', status: 403 } }),
  ];
  assert.equal(runRules(rules, x, x.upstreamHeaders), undefined);
  assert.deepEqual(x.upstreamHeaders, ['Host', 'www.example:8080', 'X-One', '/a', 'X-Two', '/new/a']);
  assert.deepEqual([x.target, x.head.uri, x.path, x.head.target], ['/new/a?b=1', '/new/a?b=1', '/new/a', '/a?b=1']);
  const denied = runRules(rules.slice(4), x, x.upstreamHeaders);
  assert.equal(denied !== undefined && denied !== REWRITE_FAILED ? denied.action : denied, 'deny');
  assert.equal(runRules([rule({ action: 'set-header', name: 'X', value: fmt('a%[req.hdr(x-bad)]') })], exchange('/', ['X-Bad', 'ok']), []), undefined);
  // A value that would break the message (a decoded line feed) is a failed rewrite, never forwarded.
  const bad = exchange('/', ['X-In', 'a%0Ab']);
  assert.equal(runRules([rule({ action: 'set-header', name: 'X', value: fmt('%[req.hdr(x-in),url_dec]') })], bad, bad.upstreamHeaders), REWRITE_FAILED);
});

test('redirect locations: prefix with drop-query and append-slash, scheme without the port when it changes, ignore-empty', () => {
  const loc = (r: Extract<HttpRule, { action: 'redirect' }>['redirect'], target: string): string | undefined => {
    const x = exchange(target);
    const v = runRules([rule({ action: 'redirect', redirect: r })], x, x.upstreamHeaders);
    return v === undefined ? undefined : x.location;
  };
  assert.equal(loc({ kind: 'prefix', target: fmt('/p'), code: 302, dropQuery: true, appendSlash: true }, '/a?x=1'), '/p/a/');
  assert.equal(loc({ kind: 'prefix', target: fmt(''), code: 301, appendSlash: true }, '/a?x=1'), '/a?x=1/');
  assert.equal(loc({ kind: 'scheme', target: fmt('https'), code: 301 }, '/s?q'), 'https://www.example/s?q');
  assert.equal(loc({ kind: 'scheme', target: fmt('http'), code: 301 }, '/s'), 'http://www.example:8080/s');
  assert.equal(loc({ kind: 'location', target: fmt('%[req.hdr(x-none)]'), code: 302, ignoreEmpty: true }, '/'), undefined);
  assert.equal(loc({ kind: 'location', target: fmt('/to'), code: 302, appendSlash: true }, '/'), '/to/');
});

test('set-var with conditions, unset-var, capture slots truncated to their length, set-log-level silent', () => {
  const x = exchange('/abcdefgh');
  const s = (text: string) => {
    const p = parseSample(text);
    if (!p.ok) throw new Error(p.error);
    return p.value.sample;
  };
  runRules(
    [
      rule({ action: 'set-var', variable: { scope: 'txn', name: 'a' }, expr: s('str(one)'), ifs: [] }),
      rule({ action: 'set-var', variable: { scope: 'txn', name: 'a' }, expr: s('str(two)'), ifs: ['ifnotexists'] }),
      rule({ action: 'set-var-fmt', variable: { scope: 'txn', name: 'b' }, format: fmt('%[req.hdr(none)]'), ifs: ['ifnotempty'] }),
      rule({ action: 'set-var-fmt', variable: { scope: 'sess', name: 'c' }, format: fmt('%[path]!'), ifs: [] }),
      rule({ action: 'set-var', variable: { scope: 'req', name: 'd' }, expr: s('int(5)'), ifs: [] }),
      rule({ action: 'unset-var', variable: { scope: 'req', name: 'd' } }),
      rule({ action: 'capture', sample: s('path'), len: 4, slot: 1 }),
      rule({ action: 'set-log-level', level: 'silent' }),
    ],
    x,
    x.upstreamHeaders,
  );
  assert.deepEqual([...(x.vars ?? new Map()).entries()], [['txn.a', 'one']]);
  assert.equal(x.conn.vars?.get('sess.c'), '/abcdefgh!');
  assert.deepEqual(x.captures, ['', '/abc']);
  assert.equal(x.silent, true);
});

test('forwardfor: either proxy asks; the backend names the header; except skips a network; if-none only when both say so', () => {
  const none = { forwardFor: false };
  const run = (fe: Parameters<typeof addForwardedFor>[1], be: Parameters<typeof addForwardedFor>[2], ip = '10.0.0.1', h: string[] = []): string[] => {
    const headers = [...h];
    addForwardedFor(headers, fe, be, ip);
    return headers;
  };
  assert.deepEqual(run(none, none), []);
  assert.deepEqual(run({ forwardFor: true, forwardForHeader: 'X-Fe' }, { forwardFor: true, forwardForHeader: 'X-Be' }), ['X-Be', '10.0.0.1']);
  assert.deepEqual(run({ forwardFor: true, forwardForHeader: 'X-Fe' }, none), ['X-Fe', '10.0.0.1']);
  const except = { forwardFor: true, forwardForOptions: { except: { address: '127.0.0.0', prefix: 8, family: 'ipv4' as const } } };
  assert.deepEqual(run(except, none, '127.0.0.1'), []);
  assert.deepEqual(run(except, none, '128.0.0.1'), ['X-Forwarded-For', '128.0.0.1']);
  const ifNone = { forwardFor: true, forwardForOptions: { ifNone: true } };
  assert.deepEqual(run(ifNone, none, '1.1.1.1', ['x-forwarded-for', '9.9.9.9']), ['x-forwarded-for', '9.9.9.9']);
  assert.deepEqual(run(ifNone, { forwardFor: true }, '1.1.1.1', ['x-forwarded-for', '9.9.9.9']), ['x-forwarded-for', '9.9.9.9', 'X-Forwarded-For', '1.1.1.1']);
});

test('replies: payloads leave out empty headers and take a content type; an errorfile parses into its own status', () => {
  const fe = makeFrontend('fe', []);
  const x = exchange('/p');
  const r = replyResponse({ kind: 'payload', status: 403, contentType: 'text/plain', headers: [{ name: 'X-P', value: fmt('%[path]') }, { name: 'X-E', value: fmt('%[req.hdr(none)]') }], body: { kind: 'format', template: fmt('no %[path]') } }, x, undefined, fe);
  assert.deepEqual([r.status, r.reason, r.headers, r.body], [403, 'Forbidden', ['X-P', '/p', 'content-type', 'text/plain'], 'no /p']);
  const raw = replyResponse({ kind: 'errorfile', status: 503, file: { path: '/x', text: 'HTTP/1.1 302 Found\nLocation: /e\nContent-Length: 0\n\n' } }, x, undefined, fe);
  assert.deepEqual(parsedResponse(raw), { status: 302, reason: 'Found', headers: ['Location', '/e'], body: Buffer.alloc(0) });
  assert.equal(parsedResponse({ ...raw, raw: Buffer.from('not http') }), undefined);
});

test('crypt(3): SHA-512, SHA-256 (with rounds) and MD5 as glibc computes them; other schemes are named', () => {
  // Test vectors from Drepper's specification and glibc.
  assert.equal(shaCrypt('sha512', 'Hello world!', '$6$saltstring'), '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
  assert.equal(shaCrypt('sha256', 'Hello world!', '$5$saltstring'), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
  assert.equal(shaCrypt('sha256', 'Hello world!', '$5$rounds=10000$saltstringsaltstring'), '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA');
  assert.equal(md5Crypt('Hello world!', '$1$saltstri'), '$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1');
  assert.equal(verifyCrypt('Hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'), true);
  assert.equal(verifyCrypt('hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'), false);
  assert.deepEqual([cryptScheme('$2y$10$abc').ok, cryptScheme('$y$j9T$a$b'), cryptScheme('ab01234567890')], [false, { ok: false, scheme: 'yescrypt ($y$)' }, { ok: false, scheme: 'traditional DES crypt' }]);
  assert.equal(verifyCrypt('x', '$y$j9T$a$b'), false);
});
