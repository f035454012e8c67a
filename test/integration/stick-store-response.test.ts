// `stick store-response res.cook(SESSID)` with `stick match req.cook(SESSID)` through the real
// binary with two workers: the application's own session cookie, learnt from the response, keeps
// later requests carrying it on the server that set it, on new connections and after reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startHandoff, freePort, tempDir, type Handoff } from '../helpers/proxy.ts';
import { frontendToBackendBe } from '../helpers/stick-config.ts';

/** An application server named `name`: a new SESSID for a request without one, its name as body. */
async function appServer(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (!/SESSID=/.test(req.headers.cookie ?? '')) res.setHeader('Set-Cookie', `SESSID=${crypto.randomBytes(8).toString('hex')}; Path=/`);
    res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function config(port: number, a: number, b: number): string {
  return `${frontendToBackendBe(port)}backend be
  balance roundrobin
  stick-table type string len 32 size 1k expire 10m
  stick match req.cook(SESSID)
  stick store-response res.cook(SESSID)
  server s1 127.0.0.1:${a}
  server s2 127.0.0.1:${b}
`;
}

/** One request on a new connection: the server's name and the SESSID it set, if any. */
function get(port: number, cookie?: string): Promise<{ body: string; sessid?: string }> {
  return new Promise((resolve, reject) => {
    const headers = cookie === undefined ? {} : { cookie: `SESSID=${cookie}` };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const m = /SESSID=([0-9a-f]+)/.exec((res.headers['set-cookie'] ?? []).join(';'));
        resolve(m === null ? { body } : { body, sessid: m[1] as string });
      });
    });
    req.on('error', reject);
  });
}

async function bodies(port: number, cookie: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(port, cookie)).body);
  return out;
}

test('stick store-response learns the session cookie; requests carrying it stay on its server, across reloads (2 workers)', { timeout: 90_000 }, async () => {
  const [a, b] = [await appServer('s1'), await appServer('s2')];
  const dir = tempDir('handoff-stick-store-response-');
  const port = await freePort();
  let h: Handoff | undefined;
  try {
    h = await startHandoff(dir, config(port, a.port, b.port), ['--workers', '2']);
    const sessions: { id: string; srv: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await get(port);
      assert.ok(r.sessid !== undefined, 'the server set a session cookie');
      sessions.push({ id: r.sessid, srv: r.body });
    }
    assert.ok(new Set(sessions.map((s) => s.srv)).size === 2, `the sessions spread over both servers: ${JSON.stringify(sessions)}`);
    const shown = (await h.ctl('show table be')).output;
    for (const s of sessions) assert.match(shown, new RegExp(`key=${s.id} use=0 exp=\\d+ server_id=${s.srv === 's1' ? 1 : 2} server_key=${s.srv}$`, 'm'), shown);
    for (const step of ['', 'reload', 'reload full']) {
      if (step !== '') assert.ok((await h.ctl(step)).ok, step);
      for (const s of sessions) assert.deepEqual(await bodies(port, s.id, 6), Array(6).fill(s.srv), `session ${s.id} stays on ${s.srv} ${step === '' ? '' : 'after ' + step}`);
    }
  } finally {
    h?.kill();
    a.server.close();
    b.server.close();
    await h?.exited;
  }
});
