// Access-log fields of kept-alive requests: each line has the accept date, its own byte count and
// a sane total time — a regression test for requests counted twice on their connection (the
// accept time was never set: dates of 1970, %B 0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, startBackends, startHandoff, stopAll, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';

let backends: Backends | undefined;
let proxy: Handoff | undefined;
after(() => stopAll([proxy, backends]));

test('three requests on one kept-alive connection log this year, their bytes and a small %Tt', { timeout: 60_000 }, async () => {
  backends = await startBackends(1);
  const port = await freePort();
  proxy = await startHandoff(tempDir(), `global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-format "LOG %t %Tt %B %ST"
    default_backend app
backend app
    server s1 127.0.0.1:${backends.ports[0]}
`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  }
  agent.destroy();
  const p = proxy;
  await until('three log lines', () => (p.output().match(/^LOG /gm) ?? []).length >= 3, 10_000);
  const lines = p.output().split('\n').filter((l) => l.startsWith('LOG '));
  const year = String(new Date().getUTCFullYear());
  for (const l of lines) {
    const [, date = '', tt = '', bytes = '', status = ''] = l.split(' ');
    assert.ok(date.includes(year), `accept date of this year: ${l}`);
    assert.ok(Number(tt) >= 0 && Number(tt) < 10_000, `%Tt is a request's time: ${l}`);
    assert.ok(Number(bytes) > 0, `%B counts the response: ${l}`);
    assert.equal(status, '200', l);
  }
});
