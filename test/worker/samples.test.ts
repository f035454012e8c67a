// The sample engine at run time: fetches against a request (and a response), converters, every
// match method, IP networks across families, templates, and conditions, checked against what
// HAProxy 2.6 answers for the same expressions (probed with `http-request return lf-string`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { parseCondition } from '../../src/config/condition.ts';
import type { Condition, MapFile } from '../../src/config/model.ts';
import { parseTemplate } from '../../src/config/template.ts';
import type { RequestHead } from '../../src/worker/http1/parse.ts';
import { evaluate, routeBackend } from '../../src/worker/rules.ts';
import { renderTemplate, setVar, type SampleContext } from '../../src/worker/sample.ts';

interface Req {
  method?: string;
  target?: string;
  headers?: [string, string][];
  minor?: number;
  clientIp?: string;
  clientPort?: number;
  localAddress?: string;
  localPort?: number;
  ssl?: boolean;
  sni?: string;
  status?: number;
  resHeaders?: [string, string][];
}

function ctx(r: Req = {}): SampleContext {
  const target = r.target ?? '/';
  const uri = target.startsWith('/') || target === '*' ? target : target.replace(/^[a-z]+:\/\/[^/]*/i, '') || '/';
  const q = uri.indexOf('?');
  const headers = (r.headers ?? []).flat();
  const head = { method: r.method ?? 'GET', target, uri, path: q === -1 ? uri : uri.slice(0, q), minor: r.minor ?? 1, headers, host: '', contentLength: -1, chunked: false, connection: [], upgrade: undefined, expectContinue: false, size: 0 } as RequestHead;
  const socket = { localAddress: r.localAddress ?? '127.0.0.1', localPort: r.localPort ?? 8080, servername: r.sni, getPeerCertificate: () => ({}) } as unknown as Socket;
  return {
    conn: { clientIp: r.clientIp ?? '127.0.0.1', clientPort: r.clientPort ?? 40000, socket },
    ssl: r.ssl === true,
    head,
    method: head.method,
    path: head.path,
    upstreamHeaders: [...headers],
    status: r.status ?? 0,
    resHeaders: r.resHeaders === undefined ? undefined : r.resHeaders.flat(),
    vars: undefined,
    nbsrv: (be) => (be === 'app' ? 2 : 0),
  };
}

function cond(text: string, maps: Record<string, [string, string][]> = {}, where: 'request' | 'response' = 'request'): Condition {
  const r = parseCondition('if', text.split(' '), {}, where);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error}`);
  fillMaps(r.value.cond, maps);
  return r.value.cond;
}

/** What load.ts does with map files: their entries, here given inline. */
function fillMaps(value: unknown, maps: Record<string, [string, string][]>): void {
  if (Array.isArray(value)) return value.forEach((v) => fillMaps(v, maps));
  if (typeof value !== 'object' || value === null) return;
  const o = value as Record<string, unknown>;
  if (typeof o.map === 'object' && o.map !== null) {
    const m = o.map as MapFile;
    m.entries = maps[m.path] ?? [];
  }
  for (const v of Object.values(o)) fillMaps(v, maps);
}

function matches(acl: string, r: Req, maps: Record<string, [string, string][]> = {}): boolean {
  return evaluate(cond(`{ ${acl} }`, maps, r.resHeaders === undefined ? 'request' : 'response'), ctx(r));
}

function render(text: string, r: Req = {}, maps: Record<string, [string, string][]> = {}): string {
  const t = parseTemplate(text);
  assert.ok(t.ok, `${text}: ${t.ok ? '' : t.error}`);
  fillMaps(t.value, maps);
  return renderTemplate(t.value, ctx(r));
}

const XL: Req = { headers: [['X-L', 'a, b'], ['x-l', 'c'], ['Host', 'www.example.com:80'], ['X-N', '7'], ['X-V', '12abc'], ['X-Ip', '10.1.2.3:80']], target: '/png/logo/x?a=1&b=2;a=3' };

test('header fetches: comma-separated values for hdr, whole lines for fhdr, occurrences, counts, values, IPs', () => {
  assert.equal(matches('hdr(x-l) b', XL), true);
  assert.equal(matches('req.fhdr(x-l) b', XL), false);
  assert.equal(matches('req.fhdr(x-l) a,\\ b', XL), false);
  assert.equal(matches('hdr(x-l,1) a', XL), true);
  assert.equal(matches('hdr(x-l,1) c', XL), false);
  assert.equal(matches('hdr(x-l,-1) c', XL), true);
  assert.equal(matches('hdr_cnt(x-l) 3', XL), true);
  assert.equal(matches('req.fhdr_cnt(x-l) 2', XL), true);
  assert.equal(matches('hdr_cnt(x-none) 0', XL), true);
  assert.equal(matches('hdr_val(x-n) lt 5 10', XL), true);
  assert.equal(matches('hdr_val(x-n) lt 5 ge 8', XL), false);
  assert.equal(matches('hdr_ip(x-ip) 10.0.0.0/8', XL), true);
  assert.equal(matches('hdr_beg(x-l) c', XL), true);
  assert.equal(matches('hdr_dom(host) example', XL), true);
  // hdr(host) is the header's value: the port stays (HAProxy matches it as sent).
  assert.equal(matches('hdr(host) www.example.com', XL), false);
  assert.equal(matches('hdr(host),host_only www.example.com', XL), true);
  assert.equal(matches('req.hdr(x-none) -m found', XL), false);
  assert.equal(matches('req.hdr(x-n) -m found', XL), true);
  assert.equal(render('%[req.hdr(x-l)]|%[req.fhdr(x-l,1)]|%[hdr_cnt(x-l)]|%[req.fhdr_cnt(x-l)]|%[req.hdr_val(x-v)]|[%[req.hdr(nope)]]', XL), 'c|a, b|3|2|12|[]');
  assert.equal(render('%[req.hdr_cnt]', XL), '7');
});

test('URL fetches: path, url, query, base, url_param over every occurrence, path_dir, absolute-form targets', () => {
  assert.equal(render('%[path]|%[url]|%[query]|%[base]|%[urlp(a)]|%[url_param]|%[pathq]', XL), '/png/logo/x|/png/logo/x?a=1&b=2;a=3|a=1&b=2;a=3|www.example.com:80/png/logo/x|1|1|/png/logo/x?a=1&b=2;a=3');
  assert.equal(matches('urlp(a) 3', XL), true);
  assert.equal(matches('urlp(b) 3', XL), false);
  assert.equal(matches('urlp_val(a) gt 2', XL), true);
  assert.equal(matches('path_dir png/logo', XL), true);
  assert.equal(matches('path_dir png', XL), true);
  assert.equal(matches('path_dir pn', XL), false);
  assert.equal(matches('query -m found', { target: '/a' }), false);
  assert.equal(render('[%[query]]', { target: '/a?' }), '[]');
  assert.equal(matches('query -m found', { target: '/a?' }), true);
  const abs: Req = { target: 'http://h.example:81/abs?z', headers: [] };
  assert.equal(render('%[url]|%[path]|%[url_port]|%[base]', abs), 'http://h.example:81/abs?z|/abs|81|/abs');
  assert.equal(evaluate(cond('HTTP_URL_ABS'), ctx(abs)), true);
  assert.equal(evaluate(cond('HTTP_URL_ABS'), ctx(XL)), false);
  assert.equal(evaluate(cond('HTTP_URL_SLASH'), ctx(XL)), true);
  assert.equal(evaluate(cond('HTTP_URL_STAR'), ctx({ target: '*', method: 'OPTIONS' })), true);
});

test('string matches: str beg end sub reg dom dir len, -i, and methods compared as written', () => {
  const r: Req = { target: '/Images/Logo.PNG', headers: [['Host', 'www1.dc-eu.example.com:80']] };
  assert.equal(matches('path /Images/Logo.PNG', r), true);
  assert.equal(matches('path /images/logo.png', r), false);
  assert.equal(matches('path -i /images/logo.png', r), true);
  assert.equal(matches('path_beg -i /img /images', r), true);
  assert.equal(matches('path_end .png', r), false);
  assert.equal(matches('path_end -i .png', r), true);
  assert.equal(matches('path_sub Logo', r), true);
  assert.equal(matches('path_reg ^/Images/[A-Z]', r), true);
  assert.equal(matches('path_reg -i ^/images/l', r), true);
  assert.equal(matches('path_len 16', r), true);
  assert.equal(matches('path_len 1:15', r), false);
  for (const [p, want] of [['www1', true], ['.www1', true], ['dc-eu', true], ['example.com:80', true], [':www1:', true], ['eu', false], ['dc', false]] as const) {
    assert.equal(matches(`hdr_dom(host) ${p}`, r), want, p);
  }
  assert.equal(matches('method get', { method: 'GET' }), false);
  assert.equal(matches('method GET', { method: 'GET' }), true);
  assert.equal(matches('method -i get', { method: 'GET' }), true);
  assert.equal(evaluate(cond('METH_GET'), ctx({ method: 'HEAD' })), true);
  assert.equal(evaluate(cond('METH_POST'), ctx({ method: 'GET' })), false);
  assert.equal(evaluate(cond('HTTP_1.1'), ctx({ minor: 1 })), true);
  assert.equal(evaluate(cond('HTTP_1.0'), ctx({ minor: 1 })), false);
  assert.equal(evaluate(cond('HTTP_CONTENT'), ctx({ headers: [['Content-Length', '5']] })), true);
  assert.equal(evaluate(cond('HTTP_CONTENT'), ctx({ headers: [['Content-Length', '0']] })), false);
});

test('IP matching: IPv4 networks, IPv6 networks, IPv4 clients against IPv6 patterns and back (7.1.6)', () => {
  assert.equal(matches('src 127.0.0.1', {}), true);
  assert.equal(matches('src 10.0.0.0/8 192.168.0.0/16', { clientIp: '192.168.3.4' }), true);
  assert.equal(matches('src 10.0.0.0/8', { clientIp: '11.0.0.1' }), false);
  assert.equal(matches('src 10.12/16', { clientIp: '10.12.200.1' }), true);
  assert.equal(matches('src 2001:db8::/32', { clientIp: '2001:db8:1::5' }), true);
  assert.equal(matches('src 2001:db8::/32', { clientIp: '2001:db9::5' }), false);
  assert.equal(matches('src ::ffff:127.0.0.1', {}), true);
  assert.equal(matches('src 127.0.0.0/8', { clientIp: '::ffff:127.0.0.9' }), true);
  assert.equal(matches('src 127.0.0.0/8', { clientIp: '2002:7f00:1::' }), true);
  assert.equal(evaluate(cond('LOCALHOST'), ctx({ clientIp: '::1' })), true);
  assert.equal(evaluate(cond('LOCALHOST'), ctx({ clientIp: '10.0.0.1' })), false);
  assert.equal(matches('dst 127.0.0.1', { localAddress: '::ffff:127.0.0.1' }), true);
  assert.equal(matches('src -m str 127.0.0.1', {}), true);
  assert.equal(matches('hdr(x) -m ip 10.0.0.0/8', { headers: [['X', '10.2.3.4']] }), true);
});

test('integer matches: ports, ranges, operators, booleans as 0/1, -m bool on integers', () => {
  assert.equal(matches('dst_port 8080', {}), true);
  assert.equal(matches('dst_port 80 443', {}), false);
  assert.equal(matches('dst_port 1024:', {}), true);
  assert.equal(matches('dst_port :1023', {}), false);
  assert.equal(matches('src_port ge 40000', {}), true);
  assert.equal(matches('src_port gt 40000', {}), false);
  assert.equal(matches('ssl_fc -m int 0', {}), true);
  assert.equal(matches('ssl_fc', { ssl: true }), true);
  assert.equal(matches('ssl_fc', {}), false);
  assert.equal(matches('dst_port -m bool', {}), true);
  assert.equal(matches('int(0) -m bool', {}), false);
  assert.equal(matches('hdr(x-n) -m int 7', XL), true);
  assert.equal(matches('nbsrv(app) lt 2', {}), false);
  assert.equal(matches('nbsrv(none) lt 2', {}), true);
});

test('converters: lower upper word field regsub bool not iif host_only port_only ipmask arithmetic url_dec', () => {
  assert.equal(render('%[str(f1_f2_f3__f5),word(3,_,2)]|%[str(f1_f2_f3__f5),word(4,_)]|%[str(f1_f2_f3__f5),word(-2,_,3)]|%[str(f1_f2_f3__f5),word(2,_,0)]'), 'f3__f5|f5|f1_f2_f3|f2_f3__f5');
  assert.equal(render('%[str(f1_f2_f3__f5),field(5,_)]|%[str(f1_f2_f3__f5),field(2,_,0)]|%[str(f1_f2_f3__f5),field(2,_,2)]|%[str(f1_f2_f3__f5),field(-2,_,3)]|%[str(f1_f2_f3__f5),field(-3,_,0)]'), 'f5|f2_f3__f5|f2_f3|f2_f3_|f1_f2_f3');
  // As HAProxy 2.6 answers: backslashes stay in the regex, quotes group, `\1` is the first group.
  assert.equal(render("%[str(a.b.c),regsub(\\.,_,g)]|%[str(a.b.c),regsub('\\.',_)]|%[str(abc),regsub('(b)','<\\1>')]|%[str(ab),regsub(b,')')]"), 'a_b_c|a_b.c|a<b>c|a)');
  assert.equal(render('%[str(Ab.C:80),host_only]|%[str(abc),port_only]|%[str([::1]:81),port_only]|%[str(AbC),lower]|%[str(AbC),upper]'), 'ab.c|0|81|abc|ABC');
  assert.equal(render('%[src,ipmask(24)]|%[ssl_fc]|%[ssl_fc,iif(https,http)]|%[dst_port,bool]|%[int(0),not]|%[str(abc),bool]'), '127.0.0.0|0|http|1|1|0');
  assert.equal(render('%[dst_port,add(1)]|%[dst_port,sub(80)]|%[int(7),mul(3)]|%[int(7),div(2)]|%[int(7),mod(4)]|%[int(6),and(3)]|%[int(7),div(0)]'), '8081|8000|21|3|3|2|9223372036854775807');
  assert.equal(render('[%[str(//a//),ltrim(/)]][%[str(//a//),rtrim(/)]]'), '[a//][//a]');
  assert.equal(render('%[str(a%20b+c),url_dec]|%[str(a%20b+c),url_dec(1)]|%[str(/p?a+b),url_dec]|%[str(abc),length]'), 'a b+c|a b c|/p?a b|3');
});

test('map converters: str (exact), beg, sub, dom, reg, regm, ip (most specific), int; default value and absent key', () => {
  const maps: Record<string, [string, string][]> = {
    '/h.map': [['a.example', 'be_a'], ['b.example', 'be_b']],
    '/p.map': [['/a', 'short'], ['/api', 'api'], ['/static', 'static']],
    '/n.map': [['10.0.0.0/8', 'wide'], ['10.1.0.0/16', 'narrow'], ['::1', 'v6']],
    '/i.map': [['1:1023', 'low'], ['8080', 'alt']],
    '/r.map': [['^/u/([0-9]+)$', 'user-\\1']],
  };
  const host = (h: string): Req => ({ headers: [['Host', h]], target: '/api/x' });
  assert.equal(render('%[req.hdr(host),lower,map(/h.map,be_default)]', host('A.Example'), maps), 'be_a');
  assert.equal(render('%[req.hdr(host),lower,map(/h.map,be_default)]', host('c.example'), maps), 'be_default');
  assert.equal(render('[%[req.hdr(host),map(/h.map)]]', host('c.example'), maps), '[]');
  // The longest prefix, not the first line (HAProxy keeps prefixes in a tree).
  assert.equal(render('%[path,map_beg(/p.map)]', host('x'), maps), 'api');
  assert.equal(render('%[path,map_beg(/p.map)]', { target: '/ab' }, maps), 'short');
  assert.equal(render('%[path,map_sub(/p.map)]', { target: '/x/static/y' }, maps), 'static');
  assert.equal(render('%[req.hdr(host),map_dom(/h.map)]', host('www.b.example'), maps), 'be_b');
  assert.equal(render('%[src,map_ip(/n.map)]', { clientIp: '10.1.2.3' }, maps), 'narrow');
  assert.equal(render('%[src,map_ip(/n.map)]', { clientIp: '10.9.2.3' }, maps), 'wide');
  assert.equal(render('%[src,map_ip(/n.map,none)]', { clientIp: '::1' }, maps), 'v6');
  assert.equal(render('%[dst_port,map_int(/i.map,x)]', {}, maps), 'alt');
  assert.equal(render('%[dst_port,map_int(/i.map,x)]', { localPort: 80 }, maps), 'low');
  assert.equal(render('%[path,map_reg(/r.map)]|%[path,map_regm(/r.map)]', { target: '/u/42' }, maps), 'user-\\1|user-42');
  assert.equal(matches('req.hdr(host),map(/h.map) be_b', host('b.example'), maps), true);
});

test('response side: status and res.hdr are there in response rules only; hdr() reads the side it runs on', () => {
  const res: Req = { headers: [['X-Side', 'request']], status: 503, resHeaders: [['X-Side', 'response'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']] };
  assert.equal(matches('status 500:599', res), true);
  assert.equal(matches('status 200', res), false);
  assert.equal(matches('res.hdr_cnt(set-cookie) 2', res), true);
  assert.equal(matches('hdr(x-side) response', res), true);
  // In response rules a request fetch never matches (HAProxy warns the same).
  assert.equal(matches('req.hdr(x-side) request', res), false);
  const req: Req = { headers: [['X-Side', 'request']] };
  assert.equal(matches('hdr(x-side) request', req), true);
  assert.equal(matches('status -m found', req), false);
  assert.equal(matches('res.hdr(x-side) -m found', req), false);
  assert.equal(render('%[status] %[res.hdr(x-side)] %[hdr(x-side)]', res), '503 response response');
});

test('conditions: AND, OR, negation of an absent sample, unless, named ACLs defined twice', () => {
  assert.equal(evaluate(cond('{ path_beg /a } { method GET }'), ctx({ target: '/a', method: 'GET' })), true);
  assert.equal(evaluate(cond('{ path_beg /a } { method POST }'), ctx({ target: '/a', method: 'GET' })), false);
  assert.equal(evaluate(cond('{ path_beg /b } || { method GET }'), ctx({ target: '/a' })), true);
  assert.equal(evaluate(cond('!{ hdr(x-missing) foo }'), ctx()), true);
  const unless = parseCondition('unless', ['{', 'src', '10.0.0.0/8', '}'], {});
  assert.ok(unless.ok);
  assert.equal(evaluate(unless.value.cond, ctx()), true);
  const named = parseCondition('if', ['static'], {
    static: [
      { sample: { fetch: 'path', args: [], convs: [], type: 'str' }, match: 'end', patterns: ['.css'] },
      { sample: { fetch: 'path', args: [], convs: [], type: 'str' }, match: 'end', patterns: ['.js'] },
    ],
  });
  assert.ok(named.ok);
  assert.equal(evaluate(named.value.cond, ctx({ target: '/x.js' })), true);
  assert.equal(evaluate(named.value.cond, ctx({ target: '/x.png' })), false);
});

test('cookies, variables, TLS fetches, templates with %ci %cp %fi %fp', () => {
  const r: Req = { headers: [['Cookie', 'a=1; sid=xyz'], ['Cookie', 'sid=last']], ssl: true, sni: 'shop.example' };
  assert.equal(render('%[req.cook(sid)]|%[req.cook]|%[req.cook_cnt(sid)]', r), 'last|1|2');
  assert.equal(matches('req.cook(sid) xyz', r), true);
  assert.equal(matches('ssl_fc_sni shop.example', r), true);
  assert.equal(matches('ssl_fc_sni_end .example', r), true);
  assert.equal(matches('ssl_fc_has_crt', r), false);
  const c = ctx();
  const t = parseTemplate('%[var(txn.tenant)]/%[var(sess.who)]');
  assert.ok(t.ok);
  assert.equal(renderTemplate(t.value, c), '/');
  setVar(c, 'txn.tenant', 'acme');
  setVar(c, 'sess.who', 42);
  assert.equal(renderTemplate(t.value, c), 'acme/42');
  assert.equal(render('%ci:%cp %fi:%fp %%', { clientIp: '10.0.0.9', clientPort: 5555 }), '10.0.0.9:5555 127.0.0.1:8080 %');
});

test('http_auth and http_auth_group against a userlist (insecure passwords)', () => {
  const list = { name: 'L', users: [{ name: 'alice', password: { kind: 'insecure' as const, value: 's3cret' }, groups: ['admin'] }, { name: 'bob', password: { kind: 'insecure' as const, value: 'pw' }, groups: [] }], groups: ['admin'], loc: { file: 't', line: 1 } };
  const withList = (text: string): Condition => {
    const c = cond(text);
    for (const g of c.anyOf) for (const t of g) for (const p of t.anyOf) if (p.sample.userlist !== undefined) p.sample.userlist = list;
    return c;
  };
  const basic = (u: string, p: string): Req => ({ headers: [['Authorization', `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`]] });
  assert.equal(evaluate(withList('{ http_auth(L) }'), ctx(basic('alice', 's3cret'))), true);
  assert.equal(evaluate(withList('{ http_auth(L) }'), ctx(basic('alice', 'nope'))), false);
  assert.equal(evaluate(withList('{ http_auth(L) }'), ctx()), false);
  assert.equal(evaluate(withList('{ http_auth_group(L) admin }'), ctx(basic('alice', 's3cret'))), true);
  assert.equal(evaluate(withList('{ http_auth_group(L) admin }'), ctx(basic('bob', 'pw'))), false);
});

test('routeBackend: the first use_backend that holds, a dynamic name, an unknown dynamic name falls to default_backend, one of another mode is returned', () => {
  const backends = new Map([['be_a', { backend: { mode: 'http' as const } }], ['be_default', { backend: { mode: 'http' as const } }], ['be_tcp', { backend: { mode: 'tcp' as const } }]]);
  const dyn = parseTemplate('%[req.hdr(x-be)]');
  assert.ok(dyn.ok);
  const fe = { mode: 'http' as const, defaultBackend: 'be_default', useBackends: [{ backend: dyn.value }, { backend: 'be_a', cond: cond('TRUE') }] };
  const route = (h?: string): unknown => routeBackend(fe as never, backends, ctx({ headers: h === undefined ? [] : [['X-Be', h]] }));
  assert.equal(route('be_a'), backends.get('be_a'));
  assert.equal(route('nope'), backends.get('be_default'));
  assert.equal(route(), backends.get('be_default'));
  // HAProxy closes the request (IR) rather than fall to default_backend: chooseBackend does, given the tcp backend.
  assert.equal(route('be_tcp'), backends.get('be_tcp'));
});

test('a compiled condition is compiled once and stays cheap: 200k evaluations of a header and a path match', () => {
  const c = cond('{ hdr_beg(host) -i www. } { path_beg /api }');
  const x = ctx({ headers: [['Host', 'WWW.example.com']], target: '/api/v1' });
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 200_000; i++) if (evaluate(c, x)) n++;
  assert.equal(n, 200_000);
  assert.ok(performance.now() - t0 < 2000, `200k evaluations took ${Math.round(performance.now() - t0)} ms`);
});
