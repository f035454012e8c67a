// `resolvers` sections, the DNS options of `server`, and `server-template` (HAProxy 2.6 semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, compile, expectOne, HTTP_DEFAULTS } from './compile.ts';

const FRONT = `frontend f
    bind :80
    default_backend app
`;

test('a resolvers section is read with HAProxy 2.6 defaults for the lines it leaves out', () => {
  const r = compile(`resolvers dns
    nameserver ns1 127.0.0.1:5353
    nameserver ns2 [::1]:53
    resolve_retries 5
    timeout retry 2s
    hold valid 3s
    hold obsolete 20s
    accepted_payload_size 8192
${HTTP_DEFAULTS}${FRONT}backend app
    server s1 app.example:80 resolvers dns
`);
  clean(r);
  const d = r.config.resolvers?.dns;
  assert.deepEqual(d?.nameservers, [{ name: 'ns1', host: '127.0.0.1', port: 5353 }, { name: 'ns2', host: '::1', port: 53 }]);
  assert.equal(d?.resolveRetries, 5);
  assert.equal(d?.timeoutResolve, 1000);
  assert.equal(d?.timeoutRetry, 2000);
  assert.deepEqual(d?.hold, { valid: 3000, nx: 30_000, timeout: 30_000, refused: 30_000, other: 30_000, obsolete: 20_000 });
  assert.equal(d?.acceptedPayloadSize, 8192);
});

test('server resolvers, resolve-prefer, resolve-net and init-addr (also from default-server); init-addr defaults to last,libc', () => {
  const r = compile(`resolvers dns
    nameserver ns1 127.0.0.1:53
${HTTP_DEFAULTS}${FRONT}backend app
    default-server init-addr none resolve-prefer ipv4
    server s1 app.example:80 resolvers dns resolve-net 10.0.0.0/8
    server s2 app.example:80 resolvers dns init-addr last,libc,10.1.2.3
backend other
    server s3 app.example:80 resolvers dns
`);
  clean(r);
  const [s1, s2] = r.config.backends[0]?.servers ?? [];
  assert.deepEqual(s1?.dns, { resolvers: 'dns', fqdn: 'app.example', prefer: 'ipv4', nets: ['10.0.0.0/8'], initAddr: [{ kind: 'none' }] });
  assert.deepEqual(s2?.dns?.initAddr, [{ kind: 'last' }, { kind: 'libc' }, { kind: 'ip', ip: '10.1.2.3' }]);
  assert.deepEqual(r.config.backends[1]?.servers[0]?.dns, { resolvers: 'dns', fqdn: 'app.example', prefer: 'ipv6', initAddr: [{ kind: 'last' }, { kind: 'libc' }] });
});

test('server-template on an SRV record makes N slots named PREFIX1..N; on a host:port, N servers on that name', () => {
  const r = compile(`resolvers dns
    nameserver ns1 127.0.0.1:53
${HTTP_DEFAULTS}${FRONT}backend app
    server-template srv 3 _http._tcp.app.example resolvers dns init-addr none check
    server-template web 2-3 web.example:8080 resolvers dns
`);
  clean(r);
  const servers = r.config.backends[0]?.servers ?? [];
  assert.deepEqual(servers.map((s) => [s.name, s.host, s.port, s.dns?.srv === true, s.check]), [
    ['srv1', '_http._tcp.app.example', 0, true, true],
    ['srv2', '_http._tcp.app.example', 0, true, true],
    ['srv3', '_http._tcp.app.example', 0, true, true],
    ['web2', 'web.example', 8080, false, false],
    ['web3', 'web.example', 8080, false, false],
  ]);
});

test("a server naming an unknown resolvers section is an error at its line; 'default' is HAProxy's implicit one", () => {
  clean(compile(`${HTTP_DEFAULTS}${FRONT}backend app
    server s1 app.example:80 resolvers default init-addr none
`));
  expectOne(compile(`${HTTP_DEFAULTS}${FRONT}backend app
    server s1 app.example:80 resolvers nope
`), 'error', 10, /no resolvers section named 'nope'/);
});

test('an SRV template without resolvers, tcp@ nameservers, unknown hold statuses are errors; a section without nameserver a warning (HAProxy 2.6)', () => {
  expectOne(compile(`${HTTP_DEFAULTS}${FRONT}backend app
    server-template srv 2 _http._tcp.app.example
`), 'error', 10, /needs 'resolvers NAME'/);
  expectOne(compile(`resolvers dns
    hold valid 1s
${HTTP_DEFAULTS}`), 'warning', 1, /resolvers 'dns' has no nameservers configured!/);
  expectOne(compile(`resolvers dns
    nameserver ns1 tcp@127.0.0.1:53
    parse-resolv-conf
${HTTP_DEFAULTS}`), 'error', 2, /DNS over TCP is not supported/);
  expectOne(compile(`resolvers dns
    parse-resolv-conf
    hold sometimes 1s
${HTTP_DEFAULTS}`), 'error', 3, /'hold' expects valid, nx/);
});

test('resolve-opts allow-dup-ip, ignore-weight, prevent-dup-ip; an unknown option is an error', () => {
  const r = compile(`resolvers dns
    nameserver ns1 127.0.0.1:53
${HTTP_DEFAULTS}${FRONT}backend app
    server-template s 2 app.example:80 resolvers dns resolve-opts allow-dup-ip,ignore-weight
    server t app.example:80 resolvers dns resolve-opts allow-dup-ip,prevent-dup-ip
`);
  clean(r);
  const [s1, , t] = r.config.backends[0]?.servers ?? [];
  assert.equal(s1?.dns?.allowDupIp, true);
  assert.equal(s1?.dns?.ignoreWeight, true);
  assert.equal(t?.dns?.allowDupIp, undefined);
  expectOne(compile(`resolvers dns
    nameserver ns1 127.0.0.1:53
${HTTP_DEFAULTS}${FRONT}backend app
    server s app.example:80 resolvers dns resolve-opts sometimes
`), 'error', 12, /'resolve-opts' expects allow-dup-ip, prevent-dup-ip or ignore-weight/);
});
