// Cookie persistence, request and response sides, without sockets: HAProxy 2.6's rules for which
// server a cookie names, what the server sees, and what the client is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CookiePersistence } from '../../src/config/model.ts';
import { persistRequest, persistResponse, withCookieFlags, type PersistentServer } from '../../src/worker/persistence.ts';
import { decodeCookieDate, encodeCookieDate } from '../../src/worker/cookie-dates.ts';

interface S extends PersistentServer {
  name: string;
  running: boolean;
}
const s1: S = { name: 's1', server: { cookie: 'c1' }, running: true };
const s2: S = { name: 's2', server: { cookie: 'c2' }, running: true };
const bare: S = { name: 's3', server: {}, running: true };

function cookie(extra: Partial<CookiePersistence>): CookiePersistence {
  return {
    name: 'SRV', mode: 'insert', indirect: false, nocache: false, postonly: false, preserve: false, httponly: false, secure: false,
    domains: [], maxidle: 0, maxlife: 0, attrs: [], ...extra,
  };
}
const NOW = 1_800_000_000;

test('insert indirect: the cookie chooses its server and is removed before the server sees it', () => {
  const c = cookie({ indirect: true });
  const headers = ['Host', 'x', 'Cookie', 'a=1; SRV=c2; b=2'];
  const st = persistRequest(c, [s1, s2], false, headers, NOW);
  assert.equal(st.direct, s2);
  assert.equal(st.client, 'V');
  assert.deepEqual(headers, ['Host', 'x', 'Cookie', 'a=1; b=2']);
  const only = ['Cookie', 'SRV=c1'];
  assert.equal(persistRequest(c, [s1, s2], false, only, NOW).direct, s1);
  assert.deepEqual(only, [], 'a Cookie header left empty is removed');
  const res: string[] = ['content-type', 'text/plain'];
  persistResponse(c, st, s2, 'GET', 200, res, NOW);
  assert.deepEqual(res, ['content-type', 'text/plain'], 'no Set-Cookie for a client that has the right one');
  assert.equal(withCookieFlags('----', st), '--VN');
});

test('insert: a new client gets NAME=VALUE; path=/ and the attributes, private when cacheable with nocache', () => {
  const c = cookie({ nocache: true, httponly: true, secure: true, domains: ['.a.example', '.b.example'], attrs: ['SameSite=Lax'] });
  const st = persistRequest(c, [s1, s2], false, [], NOW);
  assert.equal(st.client, 'N');
  const res = ['etag', '"x"'];
  persistResponse(c, st, s1, 'GET', 200, res, NOW);
  assert.deepEqual(res, ['etag', '"x"', 'set-cookie', 'SRV=c1; path=/; domain=.a.example; domain=.b.example; HttpOnly; Secure; SameSite=Lax', 'cache-control', 'private']);
  assert.equal(withCookieFlags('----', st), '--NI');
  const plain: string[] = [];
  persistResponse(c, persistRequest(c, [s1], false, [], NOW), s1, 'GET', 200, plain, NOW);
  assert.equal(plain.includes('cache-control'), false, 'no freshness or validator: HAProxy 2.6.12 adds no Cache-Control');
  const cookieless: string[] = [];
  persistResponse(c, persistRequest(c, [bare], false, [], NOW), bare, 'POST', 200, cookieless, NOW);
  assert.match(cookieless[1] as string, /^SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=\//, 'a server without cookie clears it');
});

test('a stopped server: its cookie is ignored (D) unless option persist; a draining one still takes it', () => {
  const c = cookie({ indirect: true });
  const down: S = { ...s2, running: false };
  const st = persistRequest(c, [s1, down], false, ['Cookie', 'SRV=c2'], NOW);
  assert.equal(st.direct, undefined);
  assert.equal(st.client, 'D');
  const res: string[] = [];
  persistResponse(c, st, s1, 'GET', 200, res, NOW);
  assert.equal(res[1], 'SRV=c1; path=/', 'balanced elsewhere, the client is given the new server');
  assert.equal(withCookieFlags('----', st), '--DI');
  const persisted = persistRequest(c, [s1, down], true, ['Cookie', 'SRV=c2'], NOW);
  assert.equal(persisted.direct, down);
  assert.equal(persisted.client, 'D');
  // After a redispatch the response comes from another server: the client learns it.
  const after: string[] = [];
  persistResponse(c, persisted, s1, 'GET', 200, after, NOW);
  assert.equal(after[1], 'SRV=c1; path=/');
  assert.equal(persistRequest(c, [s1, s2], false, ['Cookie', 'SRV=nope'], NOW).client, 'I');
});

test('prefix: the server cookie is prefixed on the way out and stripped on the way in', () => {
  const c = cookie({ name: 'JSESSIONID', mode: 'prefix' });
  const res = ['Set-Cookie', 'JSESSIONID=abc123; Path=/'];
  persistResponse(c, persistRequest(c, [s1, s2], false, [], NOW), s2, 'GET', 200, res, NOW);
  assert.deepEqual(res, ['Set-Cookie', 'JSESSIONID=c2~abc123; Path=/']);
  const req = ['Cookie', 'JSESSIONID=c2~abc123; x=1'];
  const st = persistRequest(c, [s1, s2], false, req, NOW);
  assert.equal(st.direct, s2);
  assert.deepEqual(req, ['Cookie', 'JSESSIONID=abc123; x=1']);
});

test('rewrite: the server sets the cookie, its value is replaced by the server cookie', () => {
  const c = cookie({ mode: 'rewrite' });
  const res = ['Set-Cookie', 'SRV=anything; Path=/app'];
  persistResponse(c, persistRequest(c, [s1, s2], false, [], NOW), s1, 'GET', 200, res, NOW);
  assert.deepEqual(res, ['Set-Cookie', 'SRV=c1; Path=/app']);
  const req = ['Cookie', 'SRV=c1'];
  assert.equal(persistRequest(c, [s1, s2], false, req, NOW).direct, s1);
  assert.deepEqual(req, ['Cookie', 'SRV=c1'], 'rewrite leaves the request cookie to the server');
});

test('maxidle/maxlife: dates ride in the cookie; an idle or old cookie is ignored', () => {
  assert.equal(encodeCookieDate(NOW).length, 5);
  assert.equal(decodeCookieDate(encodeCookieDate(NOW)), Math.ceil(NOW / 4) * 4);
  const c = cookie({ maxidle: 1800, maxlife: 28_800 });
  const res: string[] = [];
  persistResponse(c, persistRequest(c, [s1], false, [], NOW), s1, 'GET', 200, res, NOW);
  const d = encodeCookieDate(NOW);
  assert.equal(res[1], `SRV=c1|${d}|${d}; path=/`);
  const fresh = persistRequest(c, [s1], false, ['Cookie', `SRV=c1|${d}|${d}`], NOW + 60);
  assert.equal(fresh.direct, s1);
  const idle = persistRequest(c, [s1], false, ['Cookie', `SRV=c1|${d}|${d}`], NOW + 2000);
  assert.equal(idle.direct, undefined);
  assert.equal(idle.client, 'E');
  const old = persistRequest(c, [s1], false, ['Cookie', `SRV=c1|${encodeCookieDate(NOW + 28_000)}|${d}`], NOW + 29_000);
  assert.equal(old.client, 'O');
});

test('ignore-persist: the cookie chooses nothing (U) and nothing is set; force-persist: a stopped server takes it', () => {
  const c = cookie({ indirect: true });
  const req = ['Cookie', 'SRV=c2; a=1'];
  const st = persistRequest(c, [s1, s2], 'ignore', req, NOW);
  assert.equal(st.direct, undefined);
  assert.equal(st.client, 'U');
  assert.deepEqual(req, ['Cookie', 'a=1'], 'still stripped before the server');
  const res: string[] = [];
  persistResponse(c, st, s1, 'GET', 200, res, NOW);
  assert.deepEqual(res, []);
  const maint: S = { ...s2, running: false };
  const forced = persistRequest(c, [s1, maint], 'force', ['Cookie', 'SRV=c2'], NOW);
  assert.equal(forced.direct, maint);
  assert.equal(forced.forced, true);
});
