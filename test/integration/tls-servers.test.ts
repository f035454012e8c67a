// TLS to servers through the real binary and, where installed, HAProxy 2.6 with the same
// configuration: `verify required ca-file` accepts the CA's server and refuses another CA's (503),
// the SNI sent is checked against the certificate (or `verifyhost` without SNI), `crt` presents a
// client certificate, `sni req.hdr(host)` follows the request, sessions are resumed unless
// `no-ssl-reuse`, and health checks of an `ssl` server run over TLS (`no-check-ssl`: in clear).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, sleep, startHandoff, stopAll, tempDir, type Handoff } from '../helpers/proxy.ts';
import { createPki } from '../helpers/pki.ts';
import { get, startEcho, tunnelEcho, type EchoServer, type Outcome } from '../helpers/tls-echo.ts';
import { haproxyMissing, startHaproxy } from '../helpers/haproxy-cli.ts';

let proxy: Handoff | undefined;
const servers: EchoServer[] = [];
after(async () => {
  await stopAll([proxy]);
  for (const s of servers) await s.close();
});

const dir = tempDir('handoff-tls-servers-');
const good = createPki(dir, 'good');
const evil = createPki(dir, 'evil');
const goodPem = good.issue('backend', { dns: ['backend.test'] });
const evilPem = evil.issue('impostor', { dns: ['backend.test'] });
const clientPem = good.issue('proxy-client', { cn: 'handoff', client: true });
const revokedPem = good.issue('revoked', { dns: ['backend.test'] });
const crl = good.crl(['revoked']);

function config(port: number, goodPort: number, evilPort: number, revokedPort: number): string {
  const v = `ssl verify required ca-file ${good.caFile}`;
  const routes = ['wrong', 'mismatch', 'vhost', 'vhostbad', 'none', 'hostsni', 'reuse', 'noreuse', 'checked', 'clearcheck', 'revoked', 'crlok', 'wrongcheck'];
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
${routes.map((r) => `    use_backend ${r} if { path /${r} }`).join('\n')}
    default_backend right
backend right
    server s1 127.0.0.1:${goodPort} ${v} sni str(backend.test) crt ${clientPem}
backend wrong
    server s1 127.0.0.1:${evilPort} ${v} sni str(backend.test)
backend mismatch
    server s1 127.0.0.1:${goodPort} ${v} sni str(other.test)
backend vhost
    server s1 127.0.0.1:${goodPort} ${v} verifyhost backend.test
backend vhostbad
    server s1 127.0.0.1:${goodPort} ${v} verifyhost other.test
backend none
    server s1 127.0.0.1:${evilPort} ssl verify none
backend hostsni
    server s1 127.0.0.1:${goodPort} ${v} sni req.hdr(host)
backend reuse
    option http-server-close
    server s1 127.0.0.1:${goodPort} ${v}
backend noreuse
    option http-server-close
    server s1 127.0.0.1:${goodPort} ${v} no-ssl-reuse
backend revoked
    server s1 127.0.0.1:${revokedPort} ${v} crl-file ${crl}
backend crlok
    server s1 127.0.0.1:${goodPort} ${v} crl-file ${crl}
backend wrongcheck
    server s1 127.0.0.1:${evilPort} ${v} check inter 200 rise 1 fall 1
backend checked
    option httpchk GET /
    server s1 127.0.0.1:${goodPort} ${v} check inter 200 rise 1 fall 1
backend clearcheck
    option httpchk GET /
    server s1 127.0.0.1:${goodPort} ${v} check no-check-ssl inter 200 rise 1 fall 1
`;
}

function summary(o: Outcome): unknown {
  if ('error' in o) return `error ${o.error}`;
  if (o.status !== 200) return o.status;
  return { server: o.body.server, sni: o.body.sni, peer: o.body.peer };
}

async function resumed(port: number, p: string): Promise<boolean> {
  let last = false;
  for (let i = 0; i < 3; i++) {
    const o = await get(port, { tls: false, path: p });
    last = !('error' in o) && o.body.resumed === true;
  }
  return last;
}

async function outcomes(port: number): Promise<Record<string, unknown>> {
  const one = async (p: string): Promise<unknown> => summary(await get(port, { tls: false, path: p }));
  // Checks every 200 ms, fall 1: a second is plenty for a verdict.
  await sleep(1200);
  return {
    right: await one('/'),
    wrong: await one('/wrong'),
    mismatch: await one('/mismatch'),
    vhost: await one('/vhost'),
    vhostbad: await one('/vhostbad'),
    none: await one('/none'),
    hostsni: summary(await new Promise<Outcome>((resolve) => void get(port, { tls: false, path: '/hostsni' }).then(resolve))),
    reuse: await resumed(port, '/reuse'),
    noreuse: await resumed(port, '/noreuse'),
    checked: await one('/checked'),
    clearcheck: await one('/clearcheck'),
    revoked: await one('/revoked'),
    wrongcheck: await one('/wrongcheck'),
    crlok: await one('/crlok'),
    tunnel: await tunnelEcho(port, '/ws'),
    tunnelWrong: await tunnelEcho(port, '/wrong'),
  };
}

const EXPECTED = {
  right: { server: 'good', sni: 'backend.test', peer: 'handoff' },
  wrong: 503,
  mismatch: 503,
  vhost: { server: 'good', sni: null, peer: null },
  vhostbad: 503,
  none: { server: 'evil', sni: null, peer: null },
  // The Host header is 127.0.0.1:PORT: an address is never sent as SNI.
  hostsni: 503,
  reuse: true,
  noreuse: false,
  checked: { server: 'good', sni: null, peer: null },
  clearcheck: 503,
  revoked: 503,
  wrongcheck: 503,
  crlok: { server: 'good', sni: null, peer: null },
  // An Upgrade to an ssl server is a TLS tunnel, verified like any connection.
  tunnel: 'ping',
  tunnelWrong: 'status 503',
};

async function start(): Promise<[number, number, number]> {
  if (servers.length === 0) servers.push(await startEcho('good', goodPem), await startEcho('evil', evilPem), await startEcho('revoked', revokedPem));
  return [(servers[0] as EchoServer).port, (servers[1] as EchoServer).port, (servers[2] as EchoServer).port];
}

test('TLS to servers: verify, SNI and verifyhost names, crt, session reuse, TLS checks (handoff)', { timeout: 60_000 }, async () => {
  const [g, e, r] = await start();
  const port = await freePort();
  proxy = await startHandoff(dir, config(port, g, e, r));
  assert.deepEqual(await outcomes(port), EXPECTED);
  // HAProxy's words for a TLS check against a certificate of another CA.
  assert.match(proxy.output(), /server wrongcheck\/s1 is DOWN \(Layer6 invalid response, info: "SSL handshake failure"\)/);
});

test('TLS to servers: HAProxy 2.6 gives the same outcomes on the same configuration', { timeout: 60_000 }, async (t) => {
  const missing = haproxyMissing();
  if (missing !== undefined) return t.skip(missing);
  const [g, e, r] = await start();
  const port = await freePort();
  const socket = path.join(dir, 'haproxy.sock');
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, config(port, g, e, r).replace('global\n', `global\n    stats socket ${socket}\n`));
  const h = await startHaproxy(cfg, socket);
  assert.ok(h !== null);
  try {
    assert.deepEqual(await outcomes(port), EXPECTED);
    assert.match(h.output(), /Server wrongcheck\/s1 is DOWN, reason: Layer6 invalid response, info: "SSL handshake failure"/);
  } finally {
    await h.stop();
  }
});
