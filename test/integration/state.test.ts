// State that outlives a generation lives in the master: runtime server settings, health, counters
// and TLS session-ticket keys are the same after a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startBackends, startHandoff, freePort, tempDir, writeCert, seedLikeConfig, load, describeFailures, type Backends, type Handoff } from '../helpers/proxy.ts';
import https from 'node:https';
import { serverState } from '../helpers/runtime-servers.ts';

let backends: Backends;
let proxy: Handoff;
let port: number;
let deadPort: number;

before(async () => {
  const dir = tempDir();
  backends = await startBackends(2);
  port = await freePort();
  deadPort = await freePort();
  const config = seedLikeConfig({ port, backends: backends.ports, cert: await writeCert(dir) }).replace(
    /(    server s1 .*)/,
    `$1\n    server dead 127.0.0.1:${deadPort} check inter 200 fall 2 rise 2`,
  );
  proxy = await startHandoff(dir, config, ['--workers', '2']);
});

after(async () => {
  proxy?.kill();
  backends?.kill();
  await Promise.all([proxy?.exited, backends?.exited]);
});

function endpoints(n: number): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<string>((resolve, reject) => {
          https
            .get(`https://127.0.0.1:${port}/`, { rejectUnauthorized: false, agent: false }, (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve(`${res.statusCode} ${/endpoint: (\S+)/.exec(body)?.[1] ?? '-'}`));
            })
            .on('error', reject);
        }),
    ),
  );
}

async function waitDown(id: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const r = await proxy.ctl('show servers state');
    if (serverState(r.output, id)?.up === false) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never went DOWN`);
}

test('a server found DOWN by health checks is still DOWN in the next generation: no request reaches it', { timeout: 30_000 }, async () => {
  await waitDown('app/dead');
  assert.ok((await proxy.ctl('reload')).ok);
  // Right after the reload: a generation that forgot the health state would send a third of the
  // requests to the dead server and answer 503.
  const r = await load(`https://127.0.0.1:${port}/`, { requests: 90, concurrency: 10 });
  assert.equal(r.failedRequests, 0, describeFailures(r));
});

test('runtime server settings survive a reload', { timeout: 30_000 }, async () => {
  const set = await proxy.ctl('set server app/s0 state maint');
  assert.ok(set.ok, set.output);
  assert.ok((await proxy.ctl('reload')).ok);
  const seen = await endpoints(20);
  assert.ok(seen.every((e) => e === `200 127.0.0.1:${backends.ports[1]}`), seen.join(', '));
  const s0 = serverState((await proxy.ctl('show servers state')).output, 'app/s0');
  assert.equal(s0?.admin, 'maint');
  assert.ok((await proxy.ctl('set server app/s0 state ready')).ok);
  const bad = await proxy.ctl('set server app/nope state maint');
  assert.equal(bad.ok, false);
  assert.match(bad.output, /^No such server\./);
});

test('counters survive reloads', { timeout: 30_000 }, async () => {
  await endpoints(10);
  await new Promise((r) => setTimeout(r, 1200)); // workers report every second
  const reqTot = async () => {
    const csv = (await proxy.ctl('show stat')).output.split('\n');
    const cols = (csv[0] ?? '').replace('# ', '').split(',');
    const fe = csv.find((l) => l.startsWith('www,FRONTEND'))?.split(',') ?? [];
    return Number(fe[cols.indexOf('req_tot')]);
  };
  const before = await reqTot();
  assert.ok(before >= 10, `req_tot before: ${before}`);
  assert.ok((await proxy.ctl('reload')).ok);
  await new Promise((r) => setTimeout(r, 1500)); // the old generation drains and sends its last counters
  assert.ok((await reqTot()) >= before);
});

test('a TLS session ticket issued before a reload resumes after it', { timeout: 30_000 }, async () => {
  const connect = (session?: Buffer) =>
    new Promise<{ reused: boolean; session: Buffer | undefined }>((resolve, reject) => {
      let ticket: Buffer | undefined;
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) }, () => {
        s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      s.on('session', (t: Buffer) => (ticket = t));
      s.on('data', () => {});
      s.on('end', () => resolve({ reused: s.isSessionReused(), session: ticket ?? s.getSession() }));
      s.on('error', reject);
    });
  const first = await connect();
  assert.ok(first.session);
  assert.ok((await proxy.ctl('reload')).ok);
  await new Promise((r) => setTimeout(r, 300));
  const second = await connect(first.session);
  assert.equal(second.reused, true, 'the new generation decrypts the old ticket');
});
