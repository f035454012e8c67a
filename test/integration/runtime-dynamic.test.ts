// `add server` / `del server` on the real binary: a dynamic server starts in maintenance, serves
// once enabled, is kept across both kinds of reload (HAProxy loses it), gives way to a server the
// configuration defines under its name, runs its health checks, and is deleted only in maintenance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { freePort, startBackends, startHandoff, stopAll, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';

function endpoint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(/endpoint: \S+:(\d+)/.exec(body)?.[1] ?? `status ${res.statusCode ?? 0}`));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** Which backend ports `n` requests reached. */
async function spread(port: number, n = 12): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await endpoint(port));
  return seen;
}

function config(port: number, servers: string, balance = 'roundrobin'): string {
  return `global
    nbthread 2
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    balance ${balance}
${servers}
backend st
    balance static-rr
    server s1 127.0.0.1:1
`;
}

async function ctl(h: Handoff, command: string): Promise<{ ok: boolean; text: string }> {
  const r = await h.ctl(command);
  return { ok: r.ok, text: r.output.trim() };
}

test('add server: in maintenance until enabled, then serves; kept across reload and reload full; del only in maintenance', { timeout: 90_000 }, async () => {
  const dir = tempDir('handoff-dyn-');
  const backends: Backends = await startBackends(2);
  const [a, b] = backends.ports.map(String) as [string, string];
  const port = await freePort();
  const h = await startHandoff(dir, config(port, `    server s1 127.0.0.1:${a}`));
  try {
    assert.deepEqual(await ctl(h, `add server be/s2 127.0.0.1:${b} weight 1`), { ok: true, text: 'New server registered.' });
    assert.deepEqual(await spread(port), new Set([a]), 'a new server is in maintenance');
    assert.equal((await ctl(h, 'enable server be/s2')).ok, true);
    assert.deepEqual(await spread(port), new Set([a, b]));
    assert.match((await ctl(h, 'show stat')).text, /\nbe,s2,/);

    for (const reload of ['reload', 'reload full']) {
      assert.match((await ctl(h, reload)).text, /reload succeeded/);
      assert.deepEqual(await spread(port), new Set([a, b]), `after ${reload}`);
    }

    assert.deepEqual(await ctl(h, 'del server be/s2'), { ok: false, text: 'Only servers in maintenance mode can be deleted.' });
    assert.equal((await ctl(h, 'disable server be/s2')).ok, true);
    assert.deepEqual(await ctl(h, 'del server be/s2'), { ok: true, text: 'Server deleted.' });
    assert.deepEqual(await ctl(h, 'del server be/s2'), { ok: false, text: 'No such server.' });
    assert.deepEqual(await spread(port), new Set([a]));
    assert.match((await ctl(h, 'reload')).text, /reload succeeded/);
    assert.deepEqual(await spread(port), new Set([a]), 'a deleted server stays deleted');
    assert.doesNotMatch((await ctl(h, 'show stat')).text, /\nbe,s2,/);
  } finally {
    await stopAll([h, backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('add server: refused on a static algorithm, a duplicate name, an option HAProxy refuses on dynamic servers, a bad value', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-dyn-');
  const port = await freePort();
  const h = await startHandoff(dir, config(port, '    server s1 127.0.0.1:1'));
  try {
    assert.deepEqual(await ctl(h, 'add server st/s2 127.0.0.1:2'), { ok: false, text: 'Backend must use a dynamic load balancing to support dynamic servers.' });
    assert.deepEqual(await ctl(h, 'add server be/s1 127.0.0.1:2'), { ok: false, text: 'Already exists a server with the same name in backend.' });
    assert.deepEqual(await ctl(h, 'add server nope/s2 127.0.0.1:2'), { ok: false, text: 'No such backend.' });
    assert.deepEqual(await ctl(h, 'add server be 127.0.0.1:2'), { ok: false, text: "Require 'backend/server'." });
    assert.deepEqual(await ctl(h, 'add server be/s2'), { ok: false, text: "'server' expects <name> and <addr>[:<port>] as arguments." });
    assert.deepEqual(await ctl(h, 'add server be/s2 127.0.0.1:2 cookie c2'), { ok: false, text: "'cookie' option is not accepted for dynamic server" });
    // The configuration's own reader judges the options: its words for a bad weight.
    const weight = await ctl(h, 'add server be/s2 127.0.0.1:2 weight 300');
    assert.equal(weight.ok, false);
    assert.match(weight.text, /'weight'.*300.*0\.\.256/);
    assert.deepEqual(await ctl(h, 'del server be/s9'), { ok: false, text: 'No such server.' });
    assert.doesNotMatch((await ctl(h, 'show stat')).text, /\nbe,s2,/, 'nothing was added by a refused line');
  } finally {
    await stopAll([h]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('add server with check: health checks run for it; a server the reloaded configuration defines under its name wins', { timeout: 60_000 }, async () => {
  const dir = tempDir('handoff-dyn-');
  const backends: Backends = await startBackends(2);
  const [a, b] = backends.ports.map(String) as [string, string];
  const closed = await freePort();
  const port = await freePort();
  const h = await startHandoff(dir, config(port, `    server s1 127.0.0.1:${a}`));
  try {
    assert.equal((await ctl(h, `add server be/s2 127.0.0.1:${closed} check inter 100 rise 1 fall 1`)).ok, true);
    await until('the added server checked DOWN', () => /server be\/s2 is DOWN/.test(h.output()), 10_000, () => h.output());

    fs.writeFileSync(h.configFile, config(port, `    server s1 127.0.0.1:${a}\n    server s2 127.0.0.1:${b}`));
    assert.match((await ctl(h, 'reload')).text, /reload succeeded/);
    await until('the notice that the configuration wins', () => /server be\/s2: the configuration now defines it \(.*handoff\.cfg:\d+\)/.test(h.output()), 5000, () => h.output());
    // The configured s2 serves at once, on its own address (not in the added one's maintenance).
    assert.deepEqual(await spread(port), new Set([a, b]));
    assert.equal((await ctl(h, 'disable server be/s2')).ok, true);
    assert.deepEqual(await ctl(h, 'del server be/s2'), { ok: true, text: 'Server deleted.' });
  } finally {
    await stopAll([h, backends]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
