// A `mode tcp` frontend routed to a `mode http` backend, through the real binary and, when it is
// installed, HAProxy 2.6 on the same configuration: the connection is served as HTTP/1.1 from the
// moment the backend is chosen (its http-request rules, its deny, keep-alive), each later request
// of the connection routed again by the frontend's use_backend rules (HAProxy evaluates them per
// request: a request routed to a tcp backend closes the connection, `IR`), the other bind still
// a plain byte pipe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort, tempDir, until } from '../helpers/proxy.ts';
import { startPeers, type Peer, type Peers } from '../helpers/peers.ts';

interface Seen {
  url: string;
  via: string;
  clientPort: number;
}

const seen: Seen[] = [];
let server: http.Server | undefined;
let dir = '';
/** Per peer (by its frontend port): the tcp-only port, the re-routing frontend's, the http frontend's. */
const extra = new Map<number, { raw: number; reroute: number; dynamic: number }>();
const spare: number[] = [];

async function echoServer(): Promise<number> {
  const port = await freePort();
  server = http.createServer((req, res) => {
    const via = String(req.headers['x-via'] ?? '-');
    seen.push({ url: req.url ?? '', via, clientPort: req.socket.remotePort ?? 0 });
    req.resume();
    req.on('end', () => {
      const body = `url=${req.url} via=${via}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
  return port;
}

function portsOf(port: number): { raw: number; reroute: number; dynamic: number } {
  let p = extra.get(port);
  if (p === undefined) {
    p = { raw: spare.shift() ?? 0, reroute: spare.shift() ?? 0, dynamic: spare.shift() ?? 0 };
    extra.set(port, p);
  }
  return p;
}

function config(port: number, app: number, via = 'handoff'): string {
  const { raw, reroute, dynamic } = portsOf(port);
  return `global
    log stdout format raw local0
    stats socket ${path.join(dir, `rt-${port}.sock`)} level admin
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    log global
    option tcplog
frontend ft
    mode tcp
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${raw}
    http-response set-header X-Frontend ft
    use_backend web if { dst_port ${port} }
    default_backend raw
frontend ft2
    mode tcp
    bind 127.0.0.1:${reroute}
    use_backend raw if { nbsrv(alt) eq 0 } { nbsrv(web) eq 0 }
    use_backend web if { nbsrv(alt) eq 0 }
    default_backend alt
frontend fh
    mode http
    bind 127.0.0.1:${dynamic}
    use_backend %[req.hdr(x-be)]
    default_backend alt
backend web
    mode http
    http-request set-header X-Via ${via}
    http-request deny if { path /denied }
    http-response set-header X-Backend web
    server s1 127.0.0.1:${app}
backend alt
    mode http
    http-request set-header X-Via alt
    server s1 127.0.0.1:${app}
backend raw
    mode tcp
    server s1 127.0.0.1:${app}
`;
}

let peers: Peers | undefined;
let app = 0;

before(async () => {
  app = await echoServer();
  for (let i = 0; i < 6; i++) spare.push(await freePort());
  dir = tempDir();
  peers = await startPeers(dir, (port) => config(port, app), 'the upgraded connections are checked against handoff only');
});

after(async () => {
  await peers?.stop();
  server?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One client connection: `send` writes a request and resolves with its response, or 'closed'. */
function connection(port: number): Promise<{ send(request: string): Promise<Answer | 'closed'>; close(): void }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let closed = false;
    let waiting: (() => void) | undefined;
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      waiting?.();
    });
    s.on('close', () => {
      closed = true;
      waiting?.();
    });
    s.on('error', () => {});
    s.once('connect', () => {
      resolve({
        send(request) {
          s.write(request);
          return new Promise((done) => {
            const timer = setTimeout(() => s.destroy(), 3000);
            waiting = () => {
              const answer = parseOne();
              if (answer === undefined && !closed) return;
              clearTimeout(timer);
              waiting = undefined;
              done(answer ?? 'closed');
            };
          });
        },
        close: () => s.destroy(),
      });
    });
    s.once('error', reject);
    function parseOne(): Answer | undefined {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...fields] = buf.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return undefined;
      const body = buf.slice(end + 4, end + 4 + length);
      buf = buf.slice(end + 4 + length);
      return { status: Number(statusLine?.split(' ')[1]), headers, body };
    }
  });
}

const get = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: www.example\r\n\r\n`;

/** A runtime-API command on the peer's stats socket. */
function runtimeCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(path.join(dir, `rt-${port}.sock`));
    let out = '';
    s.on('connect', () => s.write(`${command}\n`));
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('error', () => resolve(out));
    s.on('close', () => resolve(out));
  });
}

/** What a peer answered, to compare handoff with HAProxy. */
const results = new Map<string, unknown[]>();
const record = (name: string, value: unknown): void => {
  results.set(name, [...(results.get(name) ?? []), value]);
};
const summary = (a: Answer | 'closed'): unknown => (a === 'closed' ? a : { status: a.status, backend: a.headers['x-backend'] ?? '-', frontend: a.headers['x-frontend'] ?? '-', body: a.body });

for (const name of ['handoff', 'haproxy'] as const) {
  const peer = (): Peer | undefined => peers?.list.find((p) => p.name === name);
  const run = (title: string, fn: (port: number) => Promise<void>): void => {
    test(`${name}: ${title}`, async (t) => {
      const p = peer();
      if (p === undefined) {
        t.skip('HAProxy is not installed');
        return;
      }
      await fn(p.port);
    });
  };

  run("two requests on one kept-alive connection both reach the http backend, through its rules and the frontend's", async (port) => {
    const c = await connection(port);
    const before = seen.length;
    const one = await c.send(get('/one'));
    const two = await c.send(get('/two'));
    c.close();
    for (const [a, url] of [[one, '/one'], [two, '/two']] as const) {
      assert.notEqual(a, 'closed');
      if (a === 'closed') return;
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-backend'], 'web');
      // The tcp frontend's own HTTP rules run too, as HAProxy runs them (while warning they are ignored).
      assert.equal(a.headers['x-frontend'], 'ft');
      assert.equal(a.body, `url=${url} via=handoff\n`);
    }
    const got = seen.slice(before);
    assert.deepEqual(got.map((s) => [s.url, s.via]), [['/one', 'handoff'], ['/two', 'handoff']]);
    record(name, [summary(one), summary(two)]);
  });

  run("the http backend's http-request deny answers 403, and the connection serves the next request", async (port) => {
    const c = await connection(port);
    const before = seen.length;
    const denied = await c.send(get('/denied'));
    const next = await c.send(get('/next'));
    c.close();
    assert.notEqual(denied, 'closed');
    assert.equal(denied !== 'closed' && denied.status, 403);
    assert.equal(next !== 'closed' && next.status, 200);
    assert.deepEqual(seen.slice(before).map((s) => s.url), ['/next']);
    record(name, [summary(denied), summary(next)]);
  });

  run('the tcp backend on the other bind is a byte pipe: no http rule runs', async (port) => {
    const c = await connection(portsOf(port).raw);
    const a = await c.send(get('/raw'));
    c.close();
    assert.notEqual(a, 'closed');
    if (a === 'closed') return;
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-backend'], undefined);
    assert.equal(a.headers['x-frontend'], undefined);
    assert.equal(a.body, 'url=/raw via=-\n');
    record(name, summary(a));
  });

  run('each request of an upgraded connection is routed again: another http backend, then a tcp one closes it', async (port) => {
    const c = await connection(portsOf(port).reroute);
    const answers: (Answer | 'closed')[] = [];
    try {
      answers.push(await c.send(get('/r1')));
      await runtimeCommand(port, 'set server alt/s1 state maint');
      answers.push(await c.send(get('/r2')));
      await runtimeCommand(port, 'set server web/s1 state maint');
      answers.push(await c.send(get('/r3')));
    } finally {
      c.close();
      await runtimeCommand(port, 'set server alt/s1 state ready');
      await runtimeCommand(port, 'set server web/s1 state ready');
    }
    const bodies = answers.map((a) => (a === 'closed' ? a : a.body));
    assert.deepEqual(bodies, ['url=/r1 via=alt\n', 'url=/r2 via=handoff\n', 'closed']);
    record(name, answers.map(summary));
  });

  run('an http frontend whose dynamic use_backend names a tcp backend closes the connection; an unknown name falls to default_backend', async (port) => {
    const c = await connection(portsOf(port).dynamic);
    const web = await c.send(`GET /d1 HTTP/1.1\r\nHost: www.example\r\nX-Be: web\r\n\r\n`);
    const unknown = await c.send(`GET /d2 HTTP/1.1\r\nHost: www.example\r\nX-Be: nope\r\n\r\n`);
    const tcp = await c.send(`GET /d3 HTTP/1.1\r\nHost: www.example\r\nX-Be: raw\r\n\r\n`);
    c.close();
    const bodies = [web, unknown, tcp].map((a) => (a === 'closed' ? a : a.body));
    assert.deepEqual(bodies, ['url=/d1 via=handoff\n', 'url=/d2 via=alt\n', 'closed']);
    record(name, [web, unknown, tcp].map(summary));
  });
}

test('handoff answers as HAProxy does', (t) => {
  if (!results.has('haproxy')) {
    t.skip('HAProxy is not installed');
    return;
  }
  assert.deepEqual(results.get('handoff'), results.get('haproxy'));
});

test('handoff logs each request of an upgraded connection in the tcplog format, as HAProxy does', async () => {
  const out = (): string => peers?.handoff.output() ?? '';
  await until('log lines', () => /ft2 raw\/<NOSRV> /.test(out()), 5000, out);
  // `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts …`: served, denied (PR) and closed for a tcp backend (IR).
  assert.match(out(), /^127\.0\.0\.1:\d+ \[[^\]]+\] ft web\/s1 \d+\/\d+\/\d+ \d+ -- \d+\/\d+\/\d+\/\d+\/\d+ \d+\/\d+$/m);
  assert.match(out(), /^127\.0\.0\.1:\d+ \[[^\]]+\] ft web\/<NOSRV> -1\/-1\/\d+ \d+ PR /m);
  assert.match(out(), /^127\.0\.0\.1:\d+ \[[^\]]+\] ft2 raw\/<NOSRV> -1\/-1\/\d+ \d+ IR /m);
});

test('handoff: after an in-place reload, the next request of a kept-alive upgraded connection meets the new configuration', async () => {
  const h = peers?.handoff;
  const port = peers?.list[0]?.port;
  assert.ok(h !== undefined && port !== undefined);
  const c = await connection(port);
  try {
    const before = await c.send(get('/before'));
    assert.equal(before !== 'closed' && before.body, 'url=/before via=handoff\n');
    fs.writeFileSync(h.configFile, config(port, app, 'handoff2'));
    const reload = await h.ctl('reload');
    assert.ok(reload.ok, reload.output);
    const afterReload = await c.send(get('/after'));
    assert.equal(afterReload !== 'closed' && afterReload.body, 'url=/after via=handoff2\n');
  } finally {
    c.close();
  }
});
