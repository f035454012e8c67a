// Config features the worker honours beyond the first version: ACL -i, case-insensitive method,
// `option forwardfor header NAME`, `option http-server-close`, `no-tls-tickets`, ALPN we speak,
// and a drain that meets a connection whose TLS handshake is not done yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../helpers/worker-harness.ts';
import { get, startUpstream, type Upstream } from './upstreams.ts';
import { testCert } from '../helpers/tls.ts';
import type { Bind, Condition, TlsBind } from '../../src/config/model.ts';
import { servedAlpn } from '../../src/config/tls-context.ts';
import { parseCondition } from '../../src/config/condition.ts';

let web: Upstream;
let api: Upstream;
let pem: string;
let ca: string;

before(async () => {
  web = await startUpstream('web');
  api = await startUpstream('api');
  const c = await testCert();
  pem = c.cert + c.key;
  ca = c.cert;
});
after(async () => {
  await web.close();
  await api.close();
});

/** `{ ACL }` as the config parser builds it. */
function cond(acl: string): Condition {
  const r = parseCondition('if', ['{', ...acl.split(' '), '}'], {});
  if (!r.ok) throw new Error(r.error);
  return r.value.cond;
}

test('ACL -i matches path_beg case-insensitively; without -i the case matters', async () => {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('fe', [makeBind('k', port)], {
    defaultBackend: 'web',
    useBackends: [
      { backend: 'api', cond: cond('path_beg -i /API') },
      { backend: 'api', cond: cond('path_end .JSON') },
    ],
  });
  const w = await startWorker({ config: makeConfig([fe], [makeBackend('web', [web.port]), makeBackend('api', [api.port])]), handles: new Map([['k', handle]]) });
  try {
    assert.equal((await get(port, '/api/x')).body, 'api');
    assert.equal((await get(port, '/Api/x')).body, 'api');
    assert.equal((await get(port, '/data.json')).body, 'web', 'path_end without -i is case-sensitive');
    assert.equal((await get(port, '/data.JSON')).body, 'api');
  } finally {
    w.kill();
    handle.close();
  }
});

test('the method ACL compares method names as written, -i folds case (as HAProxy 2.6 answers)', async () => {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('fe', [makeBind('k', port)], {
    defaultBackend: 'web',
    useBackends: [
      { backend: 'api', cond: cond('method post') },
      { backend: 'api', cond: cond('method -i put') },
    ],
  });
  const w = await startWorker({ config: makeConfig([fe], [makeBackend('web', [web.port]), makeBackend('api', [api.port])]), handles: new Map([['k', handle]]) });
  try {
    assert.equal((await get(port, '/', { method: 'POST', body: 'x' })).body, 'web');
    assert.equal((await get(port, '/', { method: 'PUT', body: 'x' })).body, 'api');
    assert.equal((await get(port, '/')).body, 'web');
  } finally {
    w.kill();
    handle.close();
  }
});

test('option forwardfor header NAME sends the client address in that header (frontend, then backend)', async () => {
  const { handle, port } = bindHandle();
  const { handle: h2, port: port2 } = bindHandle();
  const feA = makeFrontend('a', [makeBind('a', port)], { defaultBackend: 'web', forwardFor: true, forwardForHeader: 'X-Client-IP' });
  const feB = makeFrontend('b', [makeBind('b', port2)], { defaultBackend: 'api' });
  const config = makeConfig([feA, feB], [makeBackend('web', [web.port]), makeBackend('api', [api.port], { forwardFor: true, forwardForHeader: 'X-Real-IP' })]);
  const w = await startWorker({ config, handles: new Map([['a', handle], ['b', h2]]) });
  try {
    const a = (JSON.parse((await get(port, '/headers')).body) as { headers: Record<string, string> }).headers;
    assert.equal(a['x-client-ip'], '127.0.0.1');
    assert.equal(a['x-forwarded-for'], undefined);
    const b = (JSON.parse((await get(port2, '/headers')).body) as { headers: Record<string, string> }).headers;
    assert.equal(b['x-real-ip'], '127.0.0.1');
    assert.equal(b['x-forwarded-for'], undefined);
  } finally {
    w.kill();
    handle.close();
    h2.close();
  }
});

test('option http-server-close opens one server connection per request while the client keeps alive', async () => {
  const u = await startUpstream('closing');
  let upstreamConnections = 0;
  u.server.on('connection', () => upstreamConnections++);
  const { handle, port } = bindHandle();
  const config = makeConfig(
    [makeFrontend('fe', [makeBind('k', port)], { defaultBackend: 'app' })],
    [makeBackend('app', [u.port], { httpServerClose: true })],
  );
  const w = await startWorker({ config, handles: new Map([['k', handle]]) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let clientSockets = 0;
  try {
    for (let i = 0; i < 5; i++) {
      const r = await new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/headers', agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
      if (!r.reused) clientSockets++;
      const h = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
      assert.equal(h.connection, 'close', 'the server is told the connection closes');
    }
    assert.equal(clientSockets, 1, 'the client connection stays alive');
    assert.equal(upstreamConnections, 5, 'no server connection is reused');
  } finally {
    agent.destroy();
    w.kill();
    handle.close();
    await u.close();
  }
});

function tlsBind(port: number, extra: Partial<TlsBind> = {}): Bind {
  return makeBind('tls', port, { tls: { certificates: [{ path: '/etc/handoff/site.pem', pem }], minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ...extra } });
}

function tlsRequest(port: number, opts: tls.ConnectionOptions = {}): Promise<{ ticket: boolean; alpn: string | false; response: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...opts });
    let ticket = false;
    let alpn: string | false = false;
    let response = '';
    s.on('session', () => (ticket = ticket || s.getTLSTicket() !== undefined));
    s.on('secureConnect', () => {
      alpn = s.alpnProtocol ?? false;
      s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    s.on('data', (d: Buffer) => (response += d.toString()));
    s.on('close', () => resolve({ ticket, alpn, response }));
    s.on('error', reject);
  });
}

test('no-tls-tickets: the server issues no session ticket; without it, it does', async () => {
  const { handle, port } = bindHandle();
  const { handle: h2, port: port2 } = bindHandle();
  const config = makeConfig(
    [
      makeFrontend('off', [tlsBind(port, { noTlsTickets: true })], { defaultBackend: 'web' }),
      makeFrontend('on', [{ ...tlsBind(port2), key: 'tls2' }], { defaultBackend: 'web' }),
    ],
    [makeBackend('web', [web.port])],
  );
  const w = await startWorker({ config, handles: new Map([['tls', handle], ['tls2', h2]]) });
  try {
    const off = await tlsRequest(port, { maxVersion: 'TLSv1.2' });
    assert.match(off.response, /^HTTP\/1.1 200 /);
    assert.equal(off.ticket, false);
    const on = await tlsRequest(port2, { maxVersion: 'TLSv1.2' });
    assert.equal(on.ticket, true);
  } finally {
    w.kill();
    handle.close();
    h2.close();
  }
});

test('ALPN advertises only http/1.1 even when the bind lists h2', async () => {
  assert.deepEqual(servedAlpn(['h2', 'http/1.1']), ['http/1.1']);
  assert.equal(servedAlpn(['h2']), undefined);
  assert.equal(servedAlpn(undefined), undefined);
  const { handle, port } = bindHandle();
  const config = makeConfig([makeFrontend('fe', [tlsBind(port, { alpn: ['h2', 'http/1.1'] })], { defaultBackend: 'web' })], [makeBackend('web', [web.port])]);
  const w = await startWorker({ config, handles: new Map([['tls', handle]]) });
  try {
    const r = await tlsRequest(port, { ALPNProtocols: ['h2', 'http/1.1'] });
    assert.equal(r.alpn, 'http/1.1');
    assert.match(r.response, /^HTTP\/1.1 200 /);
  } finally {
    w.kill();
    handle.close();
  }
});

test("drain during a TLS handshake on an accepted connection still serves its first request", { timeout: 15000 }, async () => {
  const { handle, port } = bindHandle();
  const config = makeConfig([makeFrontend('fe', [tlsBind(port)], { defaultBackend: 'web' })], [makeBackend('web', [web.port])]);
  const w = await startWorker({ config, handles: new Map([['tls', handle]]) });
  try {
    // Two accepted connections: one whose ClientHello is in flight as the drain is sent, one
    // whose handshake begins only after the drain.
    const accepted = async (): Promise<net.Socket> => {
      const s = net.connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      return s;
    };
    const racingRaw = await accepted();
    const lateRaw = await accepted();
    await new Promise((r) => setTimeout(r, 100)); // the worker has accepted both
    const racing = tlsRequest(0, { socket: racingRaw });
    w.drain();
    await new Promise((r) => setTimeout(r, 300));
    const late = await tlsRequest(0, { socket: lateRaw });
    assert.match(late.response, /^HTTP\/1.1 200 /);
    assert.match(late.response, /connection: close/i);
    const first = await racing;
    assert.match(first.response, /^HTTP\/1.1 200 /);
    assert.equal(await w.exited, 0);
  } finally {
    w.kill();
    handle.close();
  }
});
