import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker, type WorkerHandle, type RawTcpHandle, noRules } from '../helpers/worker-harness.ts';
import { startUpstream, type Upstream } from './upstreams.ts';
import { testCert } from '../helpers/tls.ts';
import type { Bind, Config } from '../../src/config/model.ts';

let up: Upstream;
let pem: string;
let ca: string;

before(async () => {
  up = await startUpstream('a');
  const c = await testCert();
  pem = c.cert + c.key;
  ca = c.cert;
});
after(() => up.close());

function tlsBind(port: number, certPem: string, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Bind {
  return makeBind('tls', port, { tls: { certificates: [{ path: '/etc/handoff/site.pem', pem: certPem }], minVersion: 'TLSv1.2', maxVersion } });
}

function config(port: number, certPem: string, maxVersion?: 'TLSv1.2' | 'TLSv1.3'): Config {
  const fe = makeFrontend('https-in', [tlsBind(port, certPem, maxVersion)], {
    defaultBackend: 'app',
    http: noRules({ httpRequest: [{ action: 'add-header', name: 'X-Forwarded-Proto', value: { parts: ['https'] }, cond: { unless: false, anyOf: [[{ negate: false, anyOf: [{ sample: { fetch: 'ssl_fc', args: [], convs: [], type: 'bool' }, match: 'bool', patterns: [] }] }]] }, loc: { file: 't', line: 1 } }] }),
  });
  return makeConfig([fe], [makeBackend('app', [up.port])]);
}

function httpsGet(port: number, path: string, agent: https.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

test('a TLS frontend terminates TLS with the PEM from the config and proxies plain HTTP', async () => {
  const { handle, port } = bindHandle();
  const w = await startWorker({ config: config(port, pem), handles: new Map([['tls', handle]]) });
  try {
    const r = await httpsGet(port, '/headers');
    assert.equal(r.status, 200);
    const h = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    assert.equal(h['x-forwarded-proto'], 'https');
  } finally {
    w.kill();
    handle.close();
  }
});

function handshake(port: number, session?: Buffer): Promise<{ session: Buffer | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    let reused = false;
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
    s.on('session', (sess: Buffer) => (ticket = sess));
    s.on('secureConnect', () => {
      reused = s.isSessionReused();
      s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    s.on('data', () => {});
    s.on('close', () => resolve({ session: ticket, reused }));
    s.on('error', reject);
  });
}

test('a session ticket issued by one worker resumes on another worker of a later generation', async () => {
  const { handle, port } = bindHandle();
  const handles = new Map([['tls', handle]]);
  const a: WorkerHandle = await startWorker({ config: config(port, pem, 'TLSv1.2'), handles, generation: 1 });
  let b: WorkerHandle | undefined;
  try {
    const first = await handshake(port);
    assert.ok(first.session !== undefined, 'server issued a ticket');
    assert.equal(first.reused, false);
    a.drain();
    assert.equal(await a.exited, 0);
    b = await startWorker({ config: config(port, pem, 'TLSv1.2'), handles, generation: 2 });
    const second = await handshake(port, first.session);
    assert.equal(second.reused, true);
  } finally {
    a.kill();
    b?.kill();
    handle.close();
  }
});

test('a bad certificate makes the worker report startup-error naming the file, and exit 1', async () => {
  const { handle, port } = bindHandle();
  const handles: Map<string, RawTcpHandle> = new Map([['tls', handle]]);
  const w = await startWorker({ config: config(port, '-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n'), handles, waitReady: false });
  try {
    const err = await w.waitFor('startup-error');
    assert.match(err.message, /site\.pem/);
    assert.equal(await w.exited, 1);
    assert.ok(!w.messages.some((m) => m.type === 'ready'));
  } finally {
    w.kill();
    handle.close();
  }
});
