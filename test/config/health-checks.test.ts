// Health-check configuration as real HAProxy configs write it: every form of `option httpchk`,
// `http-check`, `tcp-check`, the protocol checks and the server's check options, resolved into the
// ruleset HAProxy 2.6 would run — and the errors for what handoff cannot do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, compile, errors, expectOne, HTTP_DEFAULTS, warnings } from './compile.ts';
import type { CheckRule, HealthCheck } from '../../src/config/model.ts';

const CONNECT: CheckRule = { action: 'connect', implicit: true };
const OK_2XX_3XX: CheckRule = { action: 'expect', match: { type: 'status', ranges: [[200, 399]] }, negate: false, minRecv: -1 };
const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

function check(body: string): HealthCheck {
  const r = compile(`${HTTP_DEFAULTS}backend app\n${body}    server s1 127.0.0.1:9000 check\n`);
  assert.deepEqual(errors(r), []);
  return r.config.backends[0]!.healthCheck;
}

const send = (method: string, uri: string, version: string, headers: [string, string][] = [], body = ''): CheckRule => ({ action: 'http-send', method, uri, version, headers, body });

test('option httpchk in its four forms: OPTIONS / HTTP/1.0 by default, then URI, METH URI, METH URI VER', () => {
  assert.deepEqual(check('    option httpchk\n').rules, [CONNECT, send('OPTIONS', '/', 'HTTP/1.0'), OK_2XX_3XX]);
  assert.deepEqual(check('    option httpchk /ping\n').rules[1], send('OPTIONS', '/ping', 'HTTP/1.0'));
  assert.deepEqual(check('    option httpchk HEAD /ping\n').rules[1], send('HEAD', '/ping', 'HTTP/1.0'));
  assert.deepEqual(check('    option httpchk GET /ping HTTP/1.1\n').rules[1], send('GET', '/ping', 'HTTP/1.1'));
  assert.equal(check('    option httpchk\n').kind, 'http');
  // "httpchk option does not necessarily require an HTTP backend".
  const tcp = compile('defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend db\n    option httpchk GET /\n    server s1 127.0.0.1:9000 check\n');
  clean(tcp);
  assert.equal(tcp.config.backends[0]!.healthCheck.kind, 'http');
});

test('option httpchk with the 1.x inline headers sends them (with HAProxy\'s deprecation warning)', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app\n    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ example.com\\r\\nX-Check:\\ 1\n`);
  expectOne(r, 'warning', 7, /hiding headers or body at the end of the version string is deprecated/);
  assert.deepEqual(r.config.backends[0]!.healthCheck.rules[1], send('GET', '/health', 'HTTP/1.1', [['Host', 'example.com'], ['X-Check', '1']]));
  const withBody = compile(`${HTTP_DEFAULTS}backend app\n    option httpchk POST /q HTTP/1.0\\r\\nHost:\\ x\\r\\n\\r\\nping\n`);
  assert.deepEqual(withBody.config.backends[0]!.healthCheck.rules[1], send('POST', '/q', 'HTTP/1.0', [['Host', 'x']], 'ping'));
});

test('option httpchk errors: a bad version, a fifth word, a log-format header, and `no option httpchk` (HAProxy refuses it)', () => {
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    option httpchk GET / HTTP/2\n`), 'error', 7, /unsupported HTTP version 'HTTP\/2'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    option httpchk GET / HTTP/1.1 extra\n`), 'error', 7, /cannot handle unexpected argument 'extra'/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    option httpchk GET / HTTP/1.1\\r\\nHost:\\ %[src]\n`), 'error', 7, /log-format variables in health-check requests are not supported/);
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    no option httpchk\n`), 'error', 7, /'no option httpchk' is not supported/);
});

test('http-check send merges into option httpchk\'s request, whichever comes first; content-length is not taken from the config', () => {
  const after = check('    option httpchk GET /old HTTP/1.1\n    http-check send meth GET uri /h ver HTTP/1.1 hdr Host x hdr Content-Length 9 body abc\n');
  assert.deepEqual(after.rules, [CONNECT, send('GET', '/h', 'HTTP/1.1', [['Host', 'x']], 'abc'), OK_2XX_3XX]);
  const before = check('    http-check send hdr Host x\n    option httpchk HEAD /up\n');
  // HAProxy's merge: the option's method and URI win, its (empty) header list replaces the send's.
  assert.deepEqual(before.rules, [CONNECT, send('HEAD', '/up', 'HTTP/1.0'), OK_2XX_3XX]);
});

test('http-check send meth GET uri /h hdr Host x + http-check expect status 204: the ruleset', () => {
  const hc = check('    option httpchk\n    http-check send meth GET uri /h hdr Host x\n    http-check expect status 204\n');
  assert.deepEqual(hc.rules, [CONNECT, send('GET', '/h', 'HTTP/1.0', [['Host', 'x']]), { action: 'expect', match: { type: 'status', ranges: [[204, 204]] }, negate: false, minRecv: -1 }]);
});

test('http-check expect: status lists and ranges, !, rstatus, string, rstring, hdr and fhdr with -m, and the status options', () => {
  const rule = (line: string) => check(`    option httpchk\n    http-check expect ${line}\n`).rules[2];
  assert.deepEqual(rule('status 200,201,300-310'), { action: 'expect', match: { type: 'status', ranges: [[200, 200], [201, 201], [300, 310]] }, negate: false, minRecv: -1 });
  assert.equal((rule('! status 500') as { negate: boolean }).negate, true);
  assert.equal((rule('!rstatus ^5') as { negate: boolean }).negate, true);
  assert.deepEqual((rule('rstatus ^2') as { match: unknown }).match, { type: 'rstatus', regex: '^2' });
  assert.deepEqual((rule('string OK') as { match: unknown }).match, { type: 'string', hex: hex('OK') });
  assert.deepEqual((rule('rstring <!--tag:[0-9a-f]*--></html>') as { match: unknown }).match, { type: 'rstring', regex: '<!--tag:[0-9a-f]*--></html>' });
  assert.deepEqual((rule('hdr name set-cookie value -m beg sessid=') as { match: unknown }).match, {
    type: 'hdr', name: { method: 'str', text: 'set-cookie' }, value: { method: 'beg', text: 'sessid=' },
  });
  assert.deepEqual((rule('fhdr name -m sub cache') as { match: unknown }).match, { type: 'fhdr', name: { method: 'sub', text: 'cache' } });
  assert.deepEqual(rule('status 200 comment ok error-status L7OKC tout-status L4TOUT min-recv 5'), {
    action: 'expect', match: { type: 'status', ranges: [[200, 200]] }, negate: false, minRecv: 5, comment: 'ok', errorStatus: 'L7OKC', toutStatus: 'L4TOUT',
  });
  // Several expect rules run in order.
  assert.equal(check('    option httpchk\n    http-check expect status 200\n    http-check expect string OK\n').rules.length, 4);
});

test('http-check expect errors name HAProxy\'s problem at the line', () => {
  const at = (line: string) => compile(`${HTTP_DEFAULTS}backend app\n    option httpchk\n    http-check expect ${line}\n`);
  expectOne(at('status'), 'error', 8, /'status' expects a <pattern> as argument/);
  expectOne(at('status 2xx'), 'error', 8, /invalid character 'x' in the list of status codes/);
  expectOne(at('foo bar'), 'error', 8, /'http-check expect' only supports min-recv.*but got 'foo'/);
  expectOne(at('rstring ([a-'), 'error', 8, /regex '\(\[a-' is invalid/);
  expectOne(at('binary 2b'), 'error', 8, /only supports .* but got 'binary'/);
  expectOne(at('string-lf %[src]'), 'error', 8, /'string-lf' is not supported by handoff: log-format patterns/);
  expectOne(at('status 200 ok-status L7STS'), 'error', 8, /'ok-status' only supports L7OK, L7OKC, L6OK, L4OK/);
  expectOne(at('status 200 on-error %[res.hdr(x)]'), 'warning', 8, /log-format variables are not expanded/);
});

test('http-check ordering errors are HAProxy\'s: send needs a connect, expect a send, connect an expect', () => {
  const at = (lines: string) => compile(`${HTTP_DEFAULTS}backend app\n    option httpchk\n${lines}`);
  expectOne(at('    http-check send meth GET\n    http-check send meth HEAD\n'), 'error', 9, /unable to add http-check send rule at step 2 \(missing connect rule\)/);
  expectOne(at('    http-check connect\n    http-check connect\n'), 'error', 9, /unable to add http-check connect rule at step 2 \(missing expect rule\)/);
  expectOne(at('    http-check send uri-lf /%[src]\n'), 'error', 8, /uri-lf' is not supported by handoff/);
  expectOne(at('    http-check set-var(check.x) int(1)\n'), 'error', 8, /is not supported by handoff: check variables/);
  expectOne(at('    http-check send ver HTTP/2.0\n'), 'error', 8, /HTTP\/1.0 or HTTP\/1.1/);
  expectOne(at('    http-check connect ssl\n'), 'error', 8, /'http-check connect ssl' is not supported by handoff yet: TLS health checks/);
  expectOne(at('    http-check send-state\n'), 'warning', 8, /X-Haproxy-Server-State header is not sent/);
});

test('http-check connect [port N]: a sequence of two exchanges; the option\'s request goes after the first connect', () => {
  const hc = check('    option httpchk\n    http-check connect\n    http-check send meth GET uri / ver HTTP/1.1 hdr host a\n    http-check expect status 200-399\n    http-check connect port 8443\n    http-check send meth GET uri /b\n    http-check expect status 200\n');
  assert.deepEqual(hc.rules.map((r) => r.action), ['connect', 'http-send', 'expect', 'connect', 'http-send', 'expect']);
  assert.deepEqual(hc.rules[3], { action: 'connect', port: 8443 });
  assert.deepEqual(check('    option httpchk GET /x\n    http-check connect port 81\n').rules, [{ action: 'connect', port: 81 }, send('GET', '/x', 'HTTP/1.0'), OK_2XX_3XX]);
});

test('http-check disable-on-404 is a proxy option; inherited from defaults', () => {
  assert.equal(check('    option httpchk\n    http-check disable-on-404\n').disableOn404, true);
  const r = compile(`${HTTP_DEFAULTS}    option httpchk GET /h\n    http-check disable-on-404\nbackend app\n    server s1 127.0.0.1:9000 check\n`);
  clean(r);
  assert.equal(r.config.backends[0]!.healthCheck.disableOn404, true);
  assert.equal(r.config.backends[0]!.healthCheck.kind, 'http');
});

test('defaults: the whole ruleset is inherited; a backend\'s own http-check line replaces it (HAProxy then sends no request)', () => {
  const inherited = compile(`${HTTP_DEFAULTS}    option httpchk GET /health\n    http-check expect status 200\nbackend app\n    server s1 127.0.0.1:9000 check\n`);
  clean(inherited);
  assert.deepEqual(inherited.config.backends[0]!.healthCheck.rules.map((r) => r.action), ['connect', 'http-send', 'expect']);
  // HAProxy 2.6 measured: the backend's `http-check expect` starts its own ruleset; the defaults'
  // `option httpchk` request is not part of it and nothing is sent (the check times out).
  const own = compile(`${HTTP_DEFAULTS}    option httpchk GET /health\nbackend app\n    http-check expect status 200\n    server s1 127.0.0.1:9000 check\n`);
  clean(own);
  assert.deepEqual(own.config.backends[0]!.healthCheck.rules.map((r) => r.action), ['connect', 'expect']);
});

test('http-check and tcp-check rules without their option are warned and ignored, as HAProxy does', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app\n    http-check send meth GET uri /h\n    server s1 127.0.0.1:9000 check\n`);
  expectOne(r, 'warning', 7, /backend 'app' uses http-check rules without 'option httpchk', so the rules are ignored/);
  assert.equal(r.config.backends[0]!.healthCheck.kind, 'connect');
  expectOne(compile(`${HTTP_DEFAULTS}backend app\n    tcp-check send PING\\r\\n\n`), 'warning', 7, /uses tcp-check rules without 'option tcp-check'/);
});

test('option tcp-check with send, send-binary, expect string|rstring|binary|rbinary, ! and comment (the Redis PING/+PONG example)', () => {
  const hc = check('    option tcp-check\n    tcp-check comment PING\\ phase\n    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n    tcp-check send-binary 51554954 comment quit\n    tcp-check expect ! rstring ^-ERR\n    tcp-check expect binary 2b4f4b\n    tcp-check expect rbinary ^2B\n');
  assert.equal(hc.kind, 'tcp-check');
  assert.deepEqual(hc.rules, [
    CONNECT,
    { action: 'send', hex: hex('PING\r\n'), comment: 'PING phase' },
    { action: 'expect', match: { type: 'string', hex: hex('+PONG') }, negate: false, minRecv: -1 },
    { action: 'send', hex: '51554954', comment: 'quit' },
    { action: 'expect', match: { type: 'rstring', regex: '^-ERR' }, negate: true, minRecv: -1 },
    { action: 'expect', match: { type: 'binary', hex: '2b4f4b' }, negate: false, minRecv: -1 },
    { action: 'expect', match: { type: 'rbinary', regex: '^2B' }, negate: false, minRecv: -1 },
  ]);
  assert.deepEqual(check('    option tcp-check\n').rules, [CONNECT]);
});

test('tcp-check connect: the first step when present; port, addr, linger, default; AMQP on another port', () => {
  const hc = check('    option tcp-check\n    tcp-check connect port 5672 linger\n    tcp-check send-binary 414d515000000901\n    tcp-check expect binary 4155544800000000\n    tcp-check connect addr 10.0.0.9:110 default\n    tcp-check expect string +OK\\ POP3\\ ready\n');
  assert.deepEqual(hc.rules[0], { action: 'connect', port: 5672 });
  assert.deepEqual(hc.rules[3], { action: 'connect', addr: '10.0.0.9', port: 110 });
  const at = (lines: string) => compile(`${HTTP_DEFAULTS}backend app\n    option tcp-check\n${lines}`);
  expectOne(at('    tcp-check send PING\\r\\n\n    tcp-check connect\n'), 'error', 9, /first step MUST also be a 'connect'/);
  expectOne(at('    tcp-check connect port abc\n'), 'error', 8, /port expressions .* are not supported/);
  expectOne(at('    tcp-check connect port 70000\n'), 'error', 8, /expects a valid TCP port \(from range 1 to 65535\)/);
  assert.deepEqual(check('    option tcp-check\n    tcp-check connect send-proxy\n').rules[0], { action: 'connect', sendProxy: true });
  expectOne(at('    tcp-check send-binary zz\n'), 'error', 8, /'zz' invalid binary string/);
  expectOne(at('    tcp-check expect binary 2b50F\n'), 'error', 8, /an even number of hex digit is expected/);
  expectOne(at('    tcp-check send-lf %[src]\n'), 'error', 8, /'tcp-check send-lf' is not supported by handoff: log-format/);
  expectOne(at('    tcp-check expect status 200\n'), 'error', 8, /'tcp-check expect' only supports .* but got 'status'/);
  expectOne(at('    tcp-check bogus\n'), 'error', 8, /'tcp-check' only supports 'comment', 'connect'/);
});

test('the protocol checks are HAProxy\'s rulesets: redis, pgsql, mysql (post-41 and pre-41), smtpchk, ldap, ssl-hello', () => {
  const redis = check('    option redis-check\n');
  assert.deepEqual(redis.rules.slice(0, 2), [CONNECT, { action: 'send', hex: hex('*1\r\n$4\r\nPING\r\n') }]);
  assert.deepEqual((redis.rules[2] as { match: unknown }).match, { type: 'string', hex: hex('+PONG\r\n') });
  const pg = check('    option pgsql-check user haproxy\n');
  // length 22 (15 + 7), protocol 3.0, "user\0haproxy\0\0".
  assert.deepEqual(pg.rules[1], { action: 'send', hex: `00000016${'00030000'}${hex('user\0haproxy\0\0')}` });
  const my = check('    option mysql-check user haproxy\n');
  assert.equal((my.rules[1] as { hex: string }).hex.slice(0, 8), '29000001', 'post-41: 34 + 7 bytes, sequence 1');
  assert.equal((my.rules[1] as { hex: string }).hex.slice(-10), '0100000001', 'then COM_QUIT');
  const pre = check('    option mysql-check user haproxy pre-41\n');
  assert.equal((pre.rules[1] as { hex: string }).hex.slice(0, 8), '0e000001');
  assert.deepEqual(check('    option mysql-check\n').rules.map((r) => r.action), ['connect', 'expect'], 'no user: the handshake only');
  const smtp = check('    option smtpchk EHLO mail.example.com\n');
  assert.deepEqual(smtp.rules[3], { action: 'send', hex: hex('EHLO mail.example.com\r\n') });
  assert.deepEqual(check('    option smtpchk FOO bar\n').rules[3], { action: 'send', hex: hex('HELO localhost\r\n') });
  assert.deepEqual(check('    option ldap-check\n').rules[1], { action: 'send', hex: '300c020101600702010304008000' });
  const ssl = check('    option ssl-hello-chk\n').rules[1] as { hex: string };
  assert.equal(ssl.hex.slice(0, 10), '1603000079', 'an SSLv3 handshake record of 0x79 bytes');
  assert.equal(ssl.hex.length / 2, 5 + 0x79);
});

test('protocol check option errors are HAProxy\'s', () => {
  const at = (line: string) => compile(`${HTTP_DEFAULTS}backend app\n    ${line}\n`);
  expectOne(at('option pgsql-check'), 'error', 7, /'option pgsql-check' expects 'user <username>' as argument/);
  expectOne(at('option mysql-check user'), 'error', 7, /'option mysql-check user' expects <username> as argument/);
  expectOne(at('option mysql-check user bob post-50'), 'error', 7, /only supports 'post-41' and 'pre-41'/);
  expectOne(at('option ldap-check extra'), 'error', 7, /'option ldap-check' cannot handle unexpected argument 'extra'/);
  expectOne(at('option redis-check x'), 'error', 7, /cannot handle unexpected argument 'x'/);
  expectOne(at('option spop-check'), 'error', 7, /SPOP health checks/);
});

test('server check options: port and addr (the check goes there), on-marked-down/-up, no-check, default-server for all', () => {
  const r = compile(`${HTTP_DEFAULTS}backend app
    default-server check port 8081 inter 3s fastinter 500 downinter 10s on-marked-down shutdown-sessions
    server a 127.0.0.1:9000
    server b 127.0.0.1:9001 addr 10.0.0.2 port 9100 on-marked-up shutdown-backup-sessions
    server c 127.0.0.1:9002 no-check
    server d 127.0.0.1:9003 addr 10.0.0.3:7000
`);
  clean(r);
  const [a, b, c, d] = r.config.backends[0]!.servers;
  assert.deepEqual([a!.check, a!.checkPort, a!.checkAddr, a!.inter, a!.fastinter, a!.downinter, a!.onMarkedDown], [true, 8081, undefined, 3000, 500, 10_000, 'shutdown-sessions']);
  assert.deepEqual([b!.port, b!.checkPort, b!.checkAddr, b!.onMarkedUp], [9001, 9100, '10.0.0.2', 'shutdown-backup-sessions']);
  assert.equal(c!.check, false);
  assert.deepEqual([d!.checkAddr, d!.checkPort], ['10.0.0.3', 8081], "default-server's port wins over addr's");
  const plain = compile(`${HTTP_DEFAULTS}backend app\n    server d 127.0.0.1:9003 check addr 10.0.0.3:7000\n`);
  assert.equal(plain.config.backends[0]!.servers[0]!.checkPort, 7000);
});

test('server check option errors: bad port/addr/actions; agent-check is refused', () => {
  const at = (opts: string) => compile(`${HTTP_DEFAULTS}backend app\n    server s1 127.0.0.1:9000 check ${opts}\n`);
  expectOne(at('port 0'), 'error', 7, /'port' value 0 is out of range 1\.\.65535/);
  expectOne(at('port'), 'error', 7, /'port' expects an integer/);
  expectOne(at('addr bad_host!'), 'error', 7, /'addr': invalid server address/);
  expectOne(at('on-marked-down kill'), 'error', 7, /'on-marked-down' expects 'shutdown-sessions', got 'kill'/);
  expectOne(at('on-marked-up shutdown-sessions'), 'error', 7, /'on-marked-up' expects 'shutdown-backup-sessions'/);
  expectOne(at('agent-check agent-port 9999'), 'error', 7, /'agent-check' is not supported by handoff yet: agent checks/);
  assert.deepEqual(errors(at('check-ssl verify none')), [], 'check-ssl is supported');
  assert.deepEqual(errors(at('check-send-proxy')), [], 'check-send-proxy is supported');
  assert.deepEqual(errors(at('agent-port 9999')), [], 'agent-port alone changes nothing (HAProxy runs no agent without agent-check)');
  assert.match(warnings(at('agent-port 9999')).join('\n'), /has no effect without agent-check/);
});
