// `src_*` and `table_*` fetches on a client address not tracked (yet) through the real binary with
// two workers: the master looks the address up in the table, so a rule before the `track-sc0`
// (or naming another proxy's table nobody tracks in) reads what every worker counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startBackends, startHandoff, freePort, tempDir } from '../helpers/proxy.ts';
import { frontendToBackendBe, STICK_HEAD } from '../helpers/stick-config.ts';

function config(port: number, port2: number, backend: number): string {
  return `${STICK_HEAD}frontend fe
  bind 127.0.0.1:${port}
  stick-table type ip size 100k expire 60s store http_req_rate(60s),http_req_cnt
  http-request deny deny_status 429 if { src_http_req_rate gt 3 }
  http-request track-sc0 src
  http-request deny deny_status 403 if { path_beg /gpc } { src_inc_gpc0(be) gt 2 }
  default_backend be
frontend fe2
  bind 127.0.0.1:${port2}
  http-request deny deny_status 410 if { table_cnt(be) ge 1 }
  default_backend be
backend be
  stick-table type ip size 10 expire 60s store gpc0
  server s1 127.0.0.1:${backend}
`;
}

/** One request on a new connection (so connections spread over the workers): its status. */
function get(port: number, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

async function sequence(port: number, n: number, path = '/'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await get(port, path));
  return out;
}

test('src_* and table_cnt read untracked entries from the master, across workers', { timeout: 60_000 }, async () => {
  const backends = await startBackends(1);
  const dir = tempDir('handoff-stick-more-');
  const [port, port2] = [await freePort(), await freePort()];
  const h = await startHandoff(dir, config(port, port2, backends.ports[0] as number), ['--workers', '2']);
  try {
    // No entry in be's table yet: table_cnt(be) is 0.
    assert.deepEqual(await sequence(port2, 2), [200, 200]);
    // src_inc_gpc0(be) creates the address's entry in a table no rule tracks in: 1, 2, then 3 > 2.
    assert.deepEqual(await sequence(port, 3, '/gpc'), [200, 200, 403]);
    assert.deepEqual(await sequence(port2, 1), [410]);
    // The rate read before fe's own tracking: 3 requests counted so far, the 4th passes (3 gt 3
    // fails) and is counted, the 5th reads 4 and is refused.
    assert.deepEqual(await sequence(port, 3), [200, 429, 429]);
  } finally {
    h.kill();
    backends.kill();
    await h.exited;
  }
});

function connConfig(port: number, backend: number): string {
  return `${STICK_HEAD}frontend fe
  bind 127.0.0.1:${port}
  stick-table type ip size 100k expire 60s store conn_cur,conn_cnt,http_req_rate(60s)
  tcp-request connection track-sc0 src
  tcp-request connection reject if { sc_conn_cur(0) gt 3 }
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }
  default_backend be
backend be
  server s1 127.0.0.1:${backend}
`;
}

/** A request on `agent`'s kept-alive connection (or a new one): its status, or the error's code. */
function onAgent(port: number, agent: http.Agent | false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

test('tcp-request connection track-sc0 src: the 4th concurrent connection is refused, requests count on the connection', { timeout: 60_000 }, async () => {
  const backends = await startBackends(1);
  const dir = tempDir('handoff-stick-conn-');
  const port = await freePort();
  const h = await startHandoff(dir, connConfig(port, backends.ports[0] as number), ['--workers', '2']);
  const agents = [1, 2, 3].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    for (const a of agents) assert.equal(await onAgent(port, a), 200);
    // Three connections held open: conn_cur is 3, a 4th makes it 4 > 3 and is closed unanswered.
    assert.equal(await onAgent(port, false), 'ECONNRESET');
    const shown = (await h.ctl('show table fe')).output;
    assert.match(shown, /conn_cur=3 /, shown);
    // The same kept-alive connection: its requests count on the connection's tracker (4 so far, the
    // refused connection's none): the 2nd and 3rd are the 4th and 5th, the 4th the 6th, refused.
    const again = (): Promise<number | string> => onAgent(port, agents[0] as http.Agent);
    assert.deepEqual([await again(), await again(), await again()], [200, 200, 429]);
    // A connection closed: its tracker ends, a new connection is accepted again.
    (agents.pop() as http.Agent).destroy();
    await new Promise((r) => setTimeout(r, 300));
    assert.match((await h.ctl('show table fe')).output, /conn_cur=2 /);
    assert.equal(await onAgent(port, false), 429);
  } finally {
    for (const a of agents) a.destroy();
    h.kill();
    backends.kill();
    await h.exited;
  }
});

function stickConfig(port: number, backends: readonly number[]): string {
  return `${frontendToBackendBe(port)}backend be
  balance roundrobin
  stick-table type ip size 1k expire 30m
  stick on src
${backends.map((p, i) => `  server s${i + 1} 127.0.0.1:${p}`).join('\n')}
`;
}

/** The backend port that answered each of `n` requests, each on a new connection. */
async function servers(port: number, n: number, ports: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    out.push(ports.find((p) => body.includes(`:${p}`)) ?? 0);
  }
  return out;
}

test('stick on src: a client stays on one server across new connections, both workers and reloads', { timeout: 60_000 }, async () => {
  const backends = await startBackends(2);
  const dir = tempDir('handoff-stick-on-');
  const port = await freePort();
  const h = await startHandoff(dir, stickConfig(port, backends.ports), ['--workers', '2']);
  try {
    const first = await servers(port, 10, backends.ports);
    const one = first[0] as number;
    assert.ok(one !== 0, `a backend answered: ${first}`);
    assert.deepEqual(first, Array(10).fill(one), 'roundrobin alone would alternate');
    assert.match((await h.ctl('show table be')).output, /key=127\.0\.0\.1 use=0 exp=\d+ server_id=[12]/);
    for (const step of ['reload', 'reload full']) {
      assert.ok((await h.ctl(step)).ok, step);
      assert.deepEqual(await servers(port, 6, backends.ports), Array(6).fill(one), `after ${step}`);
    }
  } finally {
    h.kill();
    backends.kill();
    await h.exited;
  }
});
