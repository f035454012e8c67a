// `option abortonclose` through the real binary, and through HAProxy 2.6 when it is installed. A
// complete request queued behind a server's maxconn whose client only shuts its side (a FIN may be
// a half-close) is served, with the option or without: HAProxy 2.6 stops forwarding a client's
// close once its request is complete, so the option changes nothing there. A client that resets
// is gone: handoff drops its queued request, with the option or without (HAProxy 2.6 does not see
// the reset until it answers, and sends the request to the server anyway).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, sleep, tempDir, until } from '../helpers/proxy.ts';
import { startPeers, type Peers } from '../helpers/peers.ts';

const seen: string[] = [];
let server: http.Server | undefined;

async function slowBackend(): Promise<number> {
  const port = await freePort();
  server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    setTimeout(() => res.end('done\n'), req.url?.includes('/slow-') === true ? 600 : 0);
  });
  await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
  return port;
}

function config(port: number, app: number): string {
  return `global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout queue 10s
frontend fe
    bind 127.0.0.1:${port}
    use_backend aborting if { path_beg /a/ }
    default_backend serving
backend aborting
    option abortonclose
    server s1 127.0.0.1:${app} maxconn 1
backend serving
    server s1 127.0.0.1:${app} maxconn 1
`;
}

let peers: Peers | undefined;

before(async () => {
  const app = await slowBackend();
  peers = await startPeers(tempDir(), (port) => config(port, app));
});

after(async () => {
  await peers?.stop();
  server?.close();
});

/** Send one request, then shut our side (`fin`) or reset the connection (`reset`, 100 ms later).
 * Resolves when the proxy closes (≤ 3 s). */
function send(port: number, target: string, end: 'none' | 'fin' | 'reset'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on('connect', () => {
      const req = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
      if (end === 'fin') s.end(req);
      else s.write(req);
      if (end === 'reset') setTimeout(() => s.resetAndDestroy(), 100);
    });
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** A slow request holds the only slot; a second one waits in the queue, then its client ends as told. */
async function queuedBehindSlow(port: number, prefix: string, tag: string, end: 'fin' | 'reset'): Promise<{ answered: string; reached: boolean }> {
  const slow = send(port, `${prefix}slow-${tag}-${end}`, 'none');
  await until('the slow request reached the server', () => seen.includes(`${prefix}slow-${tag}-${end}`), 5000);
  const queued = send(port, `${prefix}queued-${tag}-${end}`, end);
  const [, answered] = await Promise.all([slow, queued]);
  await sleep(200);
  return { answered, reached: seen.includes(`${prefix}queued-${tag}-${end}`) };
}

for (const name of ['handoff', 'haproxy']) {
  for (const [prefix, what] of [['/a/', 'with abortonclose'], ['/', 'without abortonclose']] as const) {
    test(`${name}: ${what}, a queued request whose client only shuts its side is served`, async (t) => {
      const p = peers?.list.find((x) => x.name === name);
      if (p === undefined) return void t.skip('HAProxy is not installed');
      const fin = await queuedBehindSlow(p.port, prefix, name, 'fin');
      assert.equal(fin.reached, true);
      assert.match(fin.answered, /^HTTP\/1\.1 200/);
    });
  }
}

for (const [prefix, what] of [['/a/', 'with abortonclose'], ['/', 'without abortonclose']] as const) {
  test(`handoff: ${what}, a queued request whose client reset never reaches the server`, async () => {
    const p = peers?.list.find((x) => x.name === 'handoff') as { port: number };
    const reset = await queuedBehindSlow(p.port, prefix, 'handoff', 'reset');
    assert.equal(reset.reached, false);
  });
}
