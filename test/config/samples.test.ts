// The sample engine's configuration side: fetches, converters, ACL flags and match methods,
// integer operators and ranges, IPv4/IPv6 networks, templates, conditions, and the pattern and
// map files read at load, each with the error a mistake gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCondition, parsePredicate } from '../../src/config/condition.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Predicate } from '../../src/config/model.ts';
import { parseIntPatterns, parseIpPattern } from '../../src/config/patterns.ts';
import { parseSample } from '../../src/config/sample.ts';
import { parseTemplate } from '../../src/config/template.ts';
import { compile, errors, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';

const BACKEND = `backend app
    server s1 127.0.0.1:9000
`;

function pred(words: string): Predicate {
  const r = parsePredicate(words.split(' '));
  assert.ok(r.ok, `${words}: ${r.ok ? '' : r.error}`);
  assert.equal(r.value.predicates.length, 1);
  return r.value.predicates[0] as Predicate;
}

function predError(words: string): string {
  const r = parsePredicate(words.split(' '));
  assert.ok(!r.ok, `${words} should be refused`);
  return r.error;
}

test('every fetch family parses to its canonical fetch, type and default match', () => {
  const cases: [string, string, string, string][] = [
    ['hdr(host) a', 'hdr', 'str', 'str'],
    ['req.hdr(host) a', 'req.hdr', 'str', 'str'],
    ['req.fhdr(user-agent) a', 'req.fhdr', 'str', 'str'],
    ['hdr_cnt(x) 1', 'hdr_cnt', 'int', 'int'],
    ['req.hdr_cnt(x) 1', 'req.hdr_cnt', 'int', 'int'],
    ['hdr_val(content-length) gt 0', 'hdr_val', 'int', 'int'],
    ['hdr_ip(x-forwarded-for) 10.0.0.0/8', 'hdr_ip', 'ip', 'ip'],
    ['path /a', 'path', 'str', 'str'],
    ['url /a', 'url', 'str', 'str'],
    ['query a=1', 'query', 'str', 'str'],
    ['base a/b', 'base', 'str', 'str'],
    ['url_param(id) 1', 'url_param', 'str', 'str'],
    ['urlp(id) 1', 'url_param', 'str', 'str'],
    ['urlp_val(id) 1', 'urlp_val', 'int', 'int'],
    ['src 127.0.0.1', 'src', 'ip', 'ip'],
    ['dst 127.0.0.1', 'dst', 'ip', 'ip'],
    ['src_port 1024:', 'src_port', 'int', 'int'],
    ['dst_port 80', 'dst_port', 'int', 'int'],
    ['ssl_fc', 'ssl_fc', 'bool', 'bool'],
    ['ssl_fc_sni a.example', 'ssl_fc_sni', 'str', 'str'],
    ['ssl_fc_has_crt', 'ssl_fc_has_crt', 'bool', 'bool'],
    ['nbsrv(app) lt 2', 'nbsrv', 'int', 'int'],
    ['method GET', 'method', 'meth', 'str'],
    ['status 200', 'status', 'int', 'int'],
    ['res.hdr(server) a', 'res.hdr', 'str', 'str'],
    ['res.hdr_cnt(set-cookie) 0', 'res.hdr_cnt', 'int', 'int'],
    ['str(abc) abc', 'str', 'str', 'str'],
    ['int(5) 5', 'int', 'int', 'int'],
    ['var(txn.x) a', 'var', 'str', 'str'],
    ['always_true', 'always_true', 'bool', 'bool'],
    ['always_false', 'always_false', 'bool', 'bool'],
    ['req.cook(sid) a', 'req.cook', 'str', 'str'],
    ['cook(sid) a', 'req.cook', 'str', 'str'],
    ['req.ver 1.1', 'req.ver', 'str', 'str'],
  ];
  for (const [words, fetch, type, match] of cases) {
    const p = pred(words);
    assert.deepEqual([p.sample.fetch, p.sample.type, p.match], [fetch, type, match], words);
  }
});

test('ACL derivatives imply their match; a converter after one makes the type decide (7.1.3)', () => {
  for (const [word, fetch, match] of [
    ['hdr_beg(host)', 'hdr', 'beg'], ['hdr_end(host)', 'hdr', 'end'], ['hdr_sub(host)', 'hdr', 'sub'], ['hdr_reg(host)', 'hdr', 'reg'],
    ['hdr_dom(host)', 'hdr', 'dom'], ['hdr_dir(x)', 'hdr', 'dir'], ['hdr_len(x)', 'hdr', 'len'],
    ['path_beg', 'path', 'beg'], ['path_end', 'path', 'end'], ['path_reg', 'path', 'reg'], ['path_sub', 'path', 'sub'], ['path_dir', 'path', 'dir'],
    ['path_dom', 'path', 'dom'], ['path_len', 'path', 'len'], ['url_beg', 'url', 'beg'], ['url_end', 'url', 'end'], ['url_sub', 'url', 'sub'],
    ['url_reg', 'url', 'reg'], ['base_beg', 'base', 'beg'], ['base_sub', 'base', 'sub'], ['urlp_beg(a)', 'url_param', 'beg'],
    ['cook_sub(a)', 'req.cook', 'sub'], ['shdr_beg(server)', 'res.hdr', 'beg'], ['ssl_fc_sni_end', 'ssl_fc_sni', 'end'],
  ] as const) {
    const p = pred(`${word} 1`);
    assert.deepEqual([p.sample.fetch, p.match], [fetch, match], word);
  }
  assert.equal(pred('hdr_beg(host),lower www.').match, 'str');
  assert.equal(pred('hdr_beg(host) -m sub www').match, 'sub');
  assert.match(predError('req.hdr_beg(host) x'), /unknown sample fetch 'req\.hdr_beg'/);
  const t = parseTemplate('%[hdr_beg(host)]');
  assert.ok(!t.ok);
  assert.match(t.error, /'hdr_beg' is an ACL keyword, not a sample fetch/);
});

test('match methods, flags -i -m -n -u -M --, and which methods a type refuses', () => {
  for (const m of ['found', 'bool', 'int', 'ip', 'str', 'beg', 'end', 'sub', 'reg', 'dom', 'dir', 'len']) {
    assert.equal(pred(`req.hdr(x) -m ${m} ${m === 'ip' ? '10.0.0.1' : m === 'int' || m === 'len' ? '3' : 'a'}`).match, m);
  }
  assert.equal(pred('path -i /A').ignoreCase, true);
  assert.deepEqual(pred('path -n -u 7 /a').patterns, ['7', '/a'].slice(0, 2));
  assert.deepEqual(pred('path -- -i').patterns, ['-i']);
  assert.deepEqual(pred('path /a -i').patterns, ['/a', '-i']);
  assert.match(predError('ssl_fc -m ip 1.2.3.4'), /matching method 'ip' cannot be used with fetch 'ssl_fc'/);
  assert.match(predError('path -m bin 41'), /'-m bin' .* not supported/);
  assert.match(predError('path -m nope x'), /'-m' expects a match method/);
  assert.match(predError('path -x a'), /unknown ACL flag '-x'/);
  assert.match(predError('path -f a.lst -m beg x'), /'-m' must come before '-f'/);
  // -i applies to what follows it: a file before it stays case-sensitive.
  const r = parsePredicate(['hdr(user-agent)', '-f', 'exact.lst', '-i', '-f', 'generic.lst', 'test']);
  assert.ok(r.ok);
  assert.deepEqual(r.value.predicates.map((p) => [p.ignoreCase === true, p.files?.map((f) => f.path), p.patterns]), [
    [false, ['exact.lst'], []],
    [true, ['generic.lst'], ['test']],
  ]);
  const m = parsePredicate(['src', '-M', '-f', 'hosts.map']);
  assert.ok(m.ok);
  assert.equal(m.value.predicates[0]?.files?.[0]?.map, true);
});

test('no pattern: a warning that the ACL never matches, unless --, found or bool', () => {
  const r = parsePredicate(['path,lower']);
  assert.ok(r.ok);
  assert.match(r.value.warnings[0] ?? '', /never matches/);
  for (const w of [['path', '--'], ['req.hdr(x)', '-m', 'found'], ['ssl_fc'], ['dst_port', '-m', 'bool']]) {
    const q = parsePredicate(w);
    assert.ok(q.ok);
    assert.deepEqual(q.value.warnings, [], w.join(' '));
  }
});

test('integer operators apply to the values after them; ranges; errors', () => {
  const r = parseIntPatterns(['1024:65535', ':1023', '8080:', 'lt', '5', '10', 'ge', '7', 'eq', '3']);
  assert.ok(r.ok);
  assert.deepEqual(r.value, [
    { min: 1024, max: 65535 },
    { min: -Infinity, max: 1023 },
    { min: 8080, max: Infinity },
    { min: -Infinity, max: 4 },
    { min: -Infinity, max: 9 },
    { min: 7, max: Infinity },
    { min: 3, max: 3 },
  ]);
  assert.deepEqual(parseIntPatterns(['gt']), { ok: true, value: [] });
  assert.match(predError('dst_port 80:70'), /'80:70' is not a valid number range/);
  assert.match(predError('dst_port http'), /'http' is not a valid number/);
  assert.match(predError('dst_port gt 1:2'), /cannot apply to a range/);
});

test('IPv4 and IPv6 networks, HAProxy abbreviated IPv4, dotted masks; errors', () => {
  assert.deepEqual(parseIpPattern('10.12/8'), { ok: true, value: { v6: false, words: [0x0a000000], bits: 8 } });
  assert.deepEqual(parseIpPattern('192.168.1.7/255.255.255.0'), { ok: true, value: { v6: false, words: [0xc0a80100], bits: 24 } });
  assert.deepEqual(parseIpPattern('127.0.0.1'), { ok: true, value: { v6: false, words: [0x7f000001], bits: 32 } });
  assert.deepEqual(parseIpPattern('2001:db8::1/32'), { ok: true, value: { v6: true, words: [0x20010db8, 0, 0, 0], bits: 32 } });
  assert.deepEqual(parseIpPattern('::ffff:10.0.0.1'), { ok: true, value: { v6: true, words: [0, 0, 0xffff, 0x0a000001], bits: 128 } });
  for (const bad of ['1.2.3.4/33', '256.0.0.1', 'foo.invalid', '2001:db8::/ffff::', '1::2::3', '2001:db8::/129']) {
    assert.match(predError(`src ${bad}`), /is not a valid IPv4 or IPv6 address/, bad);
  }
});

test('regexes are compiled at parse; an invalid one is an error', () => {
  assert.equal(pred('path_reg ^/api/v[0-9]+/').match, 'reg');
  assert.match(predError('path_reg ('), /regex '\(' is invalid/);
  const r = parseSample("hdr(x),regsub('(',y)");
  assert.ok(!r.ok);
  assert.match(r.error, /converter 'regsub': regex '\(' is invalid/);
});

test('converters: the supported ones, their arguments and input types', () => {
  for (const expr of [
    'req.hdr(host),lower', 'path,upper', 'req.hdr(host),map(/etc/hosts.map)', 'req.hdr(host),map_str(/m,def)', 'path,map_beg(/m)',
    'path,map_end(/m)', 'path,map_sub(/m)', 'req.hdr(host),map_dom(/m)', 'path,map_reg(/m)', 'path,map_regm(/m)', 'src,map_ip(/m,none)',
    'dst_port,map_int(/m)', 'src,map_ip_int(/m,0)', 'path,word(2,/)', 'path,field(-1,/,2)', 'path,regsub(^/,,g)', 'dst_port,bool',
    'dst_port,not', 'ssl_fc,iif(https,http)', 'src,ipmask(24)', 'src,ipmask(255.255.0.0,64)', 'dst_port,add(1)', 'dst_port,mul(txn.f)',
    'req.hdr(host),host_only', 'req.hdr(host),port_only', 'path,length', 'query,url_dec', 'path,ltrim(/)',
  ]) {
    const r = parseSample(expr);
    assert.ok(r.ok, `${expr}: ${r.ok ? '' : r.error}`);
  }
  assert.equal((parseSample('src,map_ip_int(/m,0)') as { value: { sample: { type: string } } }).value.sample.type, 'int');
  assert.equal((parseSample('dst_port,bool') as { value: { sample: { type: string } } }).value.sample.type, 'bool');
  const refused: [string, RegExp][] = [
    ['path,nope', /unknown converter 'nope'/],
    ['path,sha1', /converter 'sha1' is not supported by handoff/],
    ['path,word(x,/)', /argument 1 must be an integer/],
    ['path,word(2)', /expects at least 2 arguments/],
    ['path,lower(1)', /expects at most 0 arguments/],
    ['path,map', /expects a map file/],
    ['ssl_fc,ipmask(24)', /cannot take a boolean input/],
    ['src,ipmask(33)', /invalid IPv4 mask/],
    ['path,regsub(a,b,x)', /flags must be made of 'g' and 'i'/],
    ['path,add(foo)', /neither an integer nor a variable/],
    ['var(proc.x)', /process-wide variables/],
    ['var(x)', /invalid variable name 'x'/],
    ['path(1)', /expects at most 0 arguments/],
    ['int(x)', /must be an integer/],
    ['nbsrv', /expects 1 argument/],
    ['path extra', /unexpected ' extra'/],
    ['hdr(host', /missing closing '\)'/],
    ['sc0_conn_rate', /sample fetch 'sc0_conn_rate' is not supported by handoff/],
    ['src_conn_cur', /sample fetch 'src_conn_cur' is not supported by handoff/],
    ['be_nope', /unknown sample fetch 'be_nope'/],
    ['req.payload(0)', /expects 2 arguments/],
  ];
  for (const [expr, re] of refused) {
    const r = parseSample(expr);
    assert.ok(!r.ok, expr);
    assert.match(r.error, re, expr);
  }
});

test('templates: %[sample], %ci %cp %fi %fp %H, %%; unknown variables and flags are errors', () => {
  const t = parseTemplate('%[req.hdr(host),lower]:%cp %% %ci-%fi:%fp %H');
  assert.ok(t.ok);
  assert.deepEqual(
    t.value.parts.map((p) => (typeof p === 'string' ? p : p.fetch)),
    ['req.hdr', ':', 'src_port', ' % ', 'src', '-', 'dst', ':', 'dst_port', ' ', 'hostname'],
  );
  assert.deepEqual(parseTemplate('plain'), { ok: true, value: { parts: ['plain'] } });
  assert.deepEqual(parseTemplate(''), { ok: true, value: { parts: [''] } });
  for (const [text, re] of [
    ['%[src', /missing '\]'/],
    ['%ID', /log-format variable '%ID' is not supported here/],
    ['%{+E}[src]', /flags '%\{…\}' are not supported/],
    ['100%', /'%' must be followed by/],
    ['%[nope]', /unknown sample fetch 'nope'/],
  ] as const) {
    const r = parseTemplate(text);
    assert.ok(!r.ok, text);
    assert.match(r.error, re, text);
  }
});

test('conditions: predefined ACLs, the refused ones, and a request fetch in a response rule never matches', () => {
  const c = parseCondition('if', ['LOCALHOST', 'METH_GET', 'HTTP_1.1', 'HTTP_URL_ABS', 'HTTP_CONTENT', 'TRUE', '!FALSE', 'HTTP', 'HTTP_URL_SLASH', 'HTTP_URL_STAR'], {});
  assert.ok(c.ok);
  assert.equal(c.value.cond.anyOf[0]?.length, 10);
  const meth = c.value.cond.anyOf[0]?.[1]?.anyOf[0];
  assert.deepEqual(meth?.patterns, ['GET', 'HEAD']);
  const content = parseCondition('if', ['REQ_CONTENT', 'WAIT_END'], {});
  assert.ok(content.ok);
  assert.deepEqual(content.value.cond.anyOf[0]?.map((t) => t.anyOf[0]?.sample.fetch), ['req.len', 'wait_end']);
  for (const name of ['RDP_COOKIE']) {
    const r = parseCondition('if', [name], {});
    assert.ok(!r.ok);
    assert.match(r.error, new RegExp(`predefined ACL '${name}' .* not supported`));
  }
  const resp = parseCondition('if', ['{', 'path_beg', '/a', '}'], {}, 'response');
  assert.ok(resp.ok);
  assert.match(resp.value.warnings[0] ?? '', /anonymous acl will never match in response rules: sample fetch 'path' needs 'HTTP request headers'/);
  assert.equal(resp.value.cond.anyOf[0]?.[0]?.anyOf[0]?.sample.fetch, 'always_false');
  const req = parseCondition('if', ['{', 'status', '200', '}'], {}, 'request');
  assert.ok(req.ok);
  assert.match(req.value.warnings[0] ?? '', /never match in request rules: sample fetch 'status' needs 'HTTP response'/);
  // hdr() follows the rule's side: no warning on either.
  for (const where of ['request', 'response'] as const) {
    const h = parseCondition('if', ['{', 'hdr(x)', 'a', '}'], {}, where);
    assert.ok(h.ok);
    assert.deepEqual(h.value.warnings, []);
  }
});

test('an error in an ACL is reported once, at the acl line, not at each rule using it', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl bad path_reg (
    use_backend app if bad
    http-request set-header X-A 1 if bad
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(r), ["t.cfg:8: error: acl 'bad': regex '(' is invalid (/(/: Unterminated group)"]);
});

test('several acl lines of one name OR together; anonymous ACLs and || groups', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    acl internal src 10.0.0.0/8
    acl internal src 192.168.0.0/16 ::1
    use_backend app if internal { dst_port 80 } || { hdr(x-tenant) -m found }
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(r), []);
  const anyOf = r.config.frontends[0]!.useBackends[0]!.cond!.anyOf;
  assert.equal(anyOf.length, 2);
  assert.deepEqual(anyOf[0]!.map((t) => [t.acl, t.anyOf.map((p) => p.patterns)]), [
    ['internal', [['10.0.0.0/8'], ['192.168.0.0/16', '::1']]],
    [undefined, [['80']]],
  ]);
});

test('use_backend %[…] is a template; its fetches are checked; a tcp frontend reads only the connection', () => {
  const ok = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    use_backend %[req.hdr(host),lower,map(/etc/haproxy/hosts.map,app)]
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(ok), []);
  const be = ok.config.frontends[0]!.useBackends[0]!.backend;
  assert.equal(typeof be, 'object');
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    use_backend %[status]\n    default_backend app\n${BACKEND}`), 'error', 8, /'use_backend': sample fetch 'status' needs 'HTTP response'/);
  const tcp = `defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n`;
  const good = compile(`${tcp}frontend t\n    bind *:80\n    use_backend app if { src 127.0.0.1 } { dst_port 80 } !{ src_port 1:1023 }\n    default_backend app\n${BACKEND}`);
  assert.deepEqual(errors(good), []);
  expectOne(
    compile(`${tcp}frontend t\n    bind *:80\n    use_backend app if { path_beg /a }\n    default_backend app\n${BACKEND}`),
    'error',
    8,
    /use_backend in frontend 't': sample fetch 'path' needs HTTP data, which a tcp-mode frontend does not parse/,
  );
});

test('header values are templates; a fetch the response does not have is an error there', () => {
  const r = compile(`${HTTP_DEFAULTS}frontend web
    bind *:80
    http-request set-header X-Client %[src]
    http-response set-header X-Status %[status]
    default_backend app
${BACKEND}`);
  assert.deepEqual(errors(r), []);
  assert.deepEqual(warnings(r), []);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    http-response set-header X-P %[path]\n    default_backend app\n${BACKEND}`), 'error', 8, /sample fetch 'path' needs 'HTTP request headers', which is not available in response rules/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    http-request add-header X-S %[status]\n    default_backend app\n${BACKEND}`), 'error', 8, /sample fetch 'status' needs 'HTTP response'/);
  expectOne(compile(`${HTTP_DEFAULTS}frontend web\n    bind *:80\n    http-request set-header X-A %[src,nope]\n    default_backend app\n${BACKEND}`), 'error', 8, /unknown converter 'nope'/);
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-samples-'));
}

const CFG = (body: string): string => `${HTTP_DEFAULTS}frontend web
    bind 127.0.0.1:8080
${body}    default_backend app
${BACKEND}`;

test('pattern files (-f) are read at load: comments, blanks, leading spaces; a missing file is an error at the acl line', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'allow.lst'), '# allowed\n\n   127.0.0.1\n10.0.0.0/8\t\n::1\n');
  fs.writeFileSync(path.join(dir, 'h.cfg'), CFG('    acl allowed src -f allow.lst\n    use_backend app if allowed\n'));
  const r = await loadConfig(path.join(dir, 'h.cfg'));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const file = r.config!.frontends[0]!.useBackends[0]!.cond!.anyOf[0]![0]!.anyOf[0]!.files![0]!;
  assert.equal(file.path, path.join(dir, 'allow.lst'));
  assert.deepEqual(file.patterns, [{ text: '127.0.0.1', line: 3 }, { text: '10.0.0.0/8', line: 4 }, { text: '::1', line: 5 }]);

  fs.writeFileSync(path.join(dir, 'm.cfg'), CFG('    acl allowed src -f missing.lst\n    use_backend app if allowed\n'));
  const missing = await loadConfig(path.join(dir, 'm.cfg'));
  assert.deepEqual(
    missing.diagnostics.filter((d) => d.severity === 'error').map((d) => `${path.basename(d.file)}:${d.line}: ${d.message}`),
    [`m.cfg:8: cannot read pattern file '${path.join(dir, 'missing.lst')}': no such file`],
  );
});

test('-M reads a map file as the ACL patterns (its keys)', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'hosts.map'), 'a.example app\nb.example other\n');
  fs.writeFileSync(path.join(dir, 'h.cfg'), CFG('    acl known req.hdr(host) -M -f hosts.map\n    use_backend app if known\n'));
  const r = await loadConfig(path.join(dir, 'h.cfg'));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const file = r.config!.frontends[0]!.useBackends[0]!.cond!.anyOf[0]![0]!.anyOf[0]!.files![0]!;
  assert.deepEqual(file.patterns, [{ text: 'a.example', line: 1 }, { text: 'b.example', line: 2 }]);
});

test('a bad line of a pattern file is an error at PATTERNFILE:LINE', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'allow.lst'), '127.0.0.1\nnot-an-ip\n');
  fs.writeFileSync(path.join(dir, 'ports.lst'), '80\n8000:7000\n');
  fs.writeFileSync(path.join(dir, 'h.cfg'), CFG('    acl allowed src -f allow.lst\n    acl p dst_port -f ports.lst\n    use_backend app if allowed p\n'));
  const r = await loadConfig(path.join(dir, 'h.cfg'));
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${path.basename(d.file)}:${d.line}: ${d.message.replace(dir + '/', '')}`),
    ["allow.lst:2: 'not-an-ip' is not a valid IPv4 or IPv6 address (used at h.cfg:8)", "ports.lst:2: '8000:7000' is not a valid number range (used at h.cfg:9)"],
  );
});

test('map files are read at load (KEY VALUE, comments, trailing blanks); map_ip/map_*_int keys and values are checked', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'hosts.map'), '# host backend\n  a.example   app  \nb.example\tother\n');
  fs.writeFileSync(path.join(dir, 'nets.map'), '10.0.0.0/8 1\nbogus 2\n');
  fs.writeFileSync(path.join(dir, 'ok.cfg'), CFG('    use_backend %[req.hdr(host),lower,map(hosts.map,app)]\n'));
  const ok = await loadConfig(path.join(dir, 'ok.cfg'));
  assert.deepEqual(ok.diagnostics.filter((d) => d.severity === 'error'), []);
  const t = ok.config!.frontends[0]!.useBackends[0]!.backend;
  assert.ok(typeof t !== 'string');
  const sample = t.parts[0];
  assert.ok(typeof sample !== 'string' && sample !== undefined);
  assert.deepEqual(sample.convs[1]?.map?.entries, [['a.example', 'app'], ['b.example', 'other']]);

  fs.writeFileSync(path.join(dir, 'bad.cfg'), CFG('    acl net src,map_ip_int(nets.map,0) gt 0\n    use_backend app if net\n    use_backend %[req.hdr(host),map(none.map)]\n'));
  const bad = await loadConfig(path.join(dir, 'bad.cfg'));
  assert.deepEqual(
    bad.diagnostics.filter((d) => d.severity === 'error').map((d) => `${path.basename(d.file)}:${d.line}: ${d.message.replace(dir + '/', '')}`),
    ["nets.map:2: 'bogus' is not a valid IPv4 or IPv6 address (used at bad.cfg:8)", "bad.cfg:10: cannot read map file 'none.map': no such file"],
  );
});

test('http_auth needs a userlist that exists', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'a.cfg'), `userlist admins
    user alice insecure-password s3cret
${CFG('    acl ok http_auth(admins)\n    acl nope http_auth(ghosts)\n    use_backend app if ok nope\n')}`);
  const r = await loadConfig(path.join(dir, 'a.cfg'));
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${path.basename(d.file)}:${d.line}: ${d.message}`),
    ["a.cfg:11: sample fetch 'http_auth': no userlist named 'ghosts'"],
  );
});
