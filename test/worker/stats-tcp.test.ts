import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../helpers/worker-harness.ts';
import { get, refusedPort, startUpstream, type Upstream } from './upstreams.ts';
import type { StatsSnapshot } from '../../src/ipc/messages.ts';

const upstreams: Upstream[] = [];
after(async () => {
  for (const u of upstreams) await u.close();
});

const snapshot: StatsSnapshot = {
  generation: 3, workers: 2, uptimeMs: 65_000,
  rows: [
    { pxname: 'web', svname: 'FRONTEND', kind: 'frontend', status: 'OPEN', values: { scur: 1, stot: 10, req_tot: 12, hrsp_2xx: 11, hrsp_5xx: 1 } },
    { pxname: 'app', svname: 's1', kind: 'server', status: 'UP', values: { scur: 0, stot: 12, weight: 1 } },
    { pxname: 'app', svname: 'BACKEND', kind: 'backend', status: 'UP', values: { stot: 12 } },
  ],
};

test('the stats uri answers HTML from the master snapshot, CSV with ;csv, 401 without credentials', async () => {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('stats', [makeBind('k', port)], {
    stats: { uri: '/haproxy?stats', realm: 'Admin Area', auth: [{ user: 'admin', password: 'secret' }], refresh: 5000 },
  });
  const w = await startWorker({ config: makeConfig([fe], []), handles: new Map([['k', handle]]), snapshot });
  try {
    const denied = await get(port, '/haproxy?stats');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="Admin Area"');
    const auth = { Authorization: `Basic ${Buffer.from('admin:secret').toString('base64')}` };
    const html = await get(port, '/haproxy?stats', { headers: auth });
    assert.equal(html.status, 200);
    assert.match(html.body, /<a class=px href="#web">web<\/a>/);
    assert.equal(html.headers.refresh, '5', "HAProxy's Refresh header");
    const csv = await get(port, '/haproxy?stats;csv', { headers: auth });
    assert.match(csv.body, /^# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,/);
    assert.match(csv.body, /\napp,s1,,,0,,,12,/);
  } finally {
    w.kill();
    handle.close();
  }
});

test('the stats uri answers 503 when the master does not answer within 1 s', async () => {
  const { handle, port } = bindHandle();
  const fe = makeFrontend('stats', [makeBind('k', port)], { stats: { uri: '/stats', realm: 'x', auth: [] } });
  const w = await startWorker({ config: makeConfig([fe], []), handles: new Map([['k', handle]]) });
  try {
    const r = await get(port, '/stats');
    assert.equal(r.status, 503);
  } finally {
    w.kill();
    handle.close();
  }
});

test('mode tcp pipes bytes to the server, retrying a refused connect on the next server', async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as net.AddressInfo).port;
  const dead = await refusedPort();
  const { handle, port } = bindHandle();
  const fe = makeFrontend('tcp-in', [makeBind('k', port)], { mode: 'tcp', defaultBackend: 'echo' });
  const be = makeBackend('echo', [dead, echoPort], { mode: 'tcp', retries: 1, redispatch: true, balance: 'first' });
  const w = await startWorker({ config: makeConfig([fe], [be]), handles: new Map([['k', handle]]) });
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('ping over tcp'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
      s.on('error', reject);
    });
    assert.equal(reply, 'ping over tcp');
  } finally {
    w.kill();
    handle.close();
    echo.close();
  }
});
