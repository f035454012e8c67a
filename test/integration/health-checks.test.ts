// Health checks as real HAProxy configs write them, through the real `handoff` binary: the check
// goes where `port` says, sends the request the config describes, judges the answer as HAProxy
// does, and the verdict reaches every worker — DOWN and NOLB servers get no new request, and
// `on-marked-down shutdown-sessions` closes the sessions a server had.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { freePort, startHandoff, tempDir, until, type Handoff } from '../helpers/proxy.ts';
import { CHECK_STATUS, serverState } from '../helpers/runtime-servers.ts';

interface Seen {
  method: string;
  url: string;
  version: string;
  host: string | undefined;
}

/** An HTTP server on a port below 32768: `answer(req)` is the status; records every request. */
async function httpServer(answer: (req: http.IncomingMessage) => number): Promise<{ port: number; seen: Seen[]; close: () => void }> {
  const port = await freePort();
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', version: req.httpVersion, host: req.headers.host });
    res.writeHead(answer(req), { 'content-type': 'text/plain' });
    res.end(`port ${port}\n`);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A raw TCP server: `onData` answers; sockets are kept so the test can see them closed. */
async function tcpServer(onData: (sock: net.Socket, data: string) => void): Promise<{ port: number; sessions: net.Socket[]; close: () => void }> {
  const port = await freePort();
  const sessions: net.Socket[] = [];
  const server = net.createServer((sock) => {
    sessions.push(sock);
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => onData(sock, d.toString('latin1')));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    sessions,
    close: () => {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
}

let proxy: Handoff;
const ports: Record<string, number> = {};
const closers: (() => void)[] = [];
let traffic: Awaited<ReturnType<typeof httpServer>>;
let checked: Awaited<ReturnType<typeof httpServer>>;
let hostCheck: Awaited<ReturnType<typeof httpServer>>;
let s204: Awaited<ReturnType<typeof httpServer>>;
let s200: Awaited<ReturnType<typeof httpServer>>;
let nolb: Awaited<ReturnType<typeof httpServer>>;
let steady: Awaited<ReturnType<typeof httpServer>>;
let pong: Awaited<ReturnType<typeof tcpServer>>;
let err: Awaited<ReturnType<typeof tcpServer>>;
let longLived: Awaited<ReturnType<typeof tcpServer>>;
let checkListener: Awaited<ReturnType<typeof tcpServer>>;
let keptListener: Awaited<ReturnType<typeof tcpServer>>;
let slowCheck: Awaited<ReturnType<typeof tcpServer>>;
let slow: Awaited<ReturnType<typeof tcpServer>>;
let backup: Awaited<ReturnType<typeof tcpServer>>;
let activeCheckPort = 0;
let answer404 = false;

before(async () => {
  for (const name of ['port', 'host', 'expect', 'nolb', 'tcp', 'sessions', 'kept', 'slow', 'backup']) ports[name] = await freePort();
  const closedCheckPort = await freePort();
  traffic = await httpServer(() => 200);
  checked = await httpServer(() => 200);
  hostCheck = await httpServer(() => 200);
  s204 = await httpServer((req) => (req.url === '/h' ? 204 : 200));
  s200 = await httpServer(() => 200);
  nolb = await httpServer((req) => (req.url === '/health' && answer404 ? 404 : 200));
  steady = await httpServer(() => 200);
  const redisLike = (reply: string) => (sock: net.Socket, data: string) => {
    if (data.includes('PING\r\n')) sock.end(reply);
    else sock.write(`${reply.trim()} says ${data}`);
  };
  pong = await tcpServer(redisLike('+PONG\r\n'));
  err = await tcpServer(redisLike('-ERR unknown\r\n'));
  longLived = await tcpServer((sock, data) => sock.write(`echo ${data}`));
  checkListener = await tcpServer(() => {});
  keptListener = await tcpServer(() => {});
  slowCheck = await tcpServer(() => {});
  // Reads a request and never answers it.
  slow = await tcpServer(() => {});
  backup = await tcpServer((sock, data) => sock.write(`backup ${data}`));
  activeCheckPort = await freePort();
  for (const s of [traffic, checked, hostCheck, s204, s200, nolb, steady, pong, err, longLived, checkListener, keptListener, slowCheck, slow, backup]) closers.push(s.close);
  const config = `global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend port
    bind 127.0.0.1:${ports.port}
    default_backend port
backend port
    server closedcheck 127.0.0.1:${traffic.port} check port ${closedCheckPort} inter 200 fall 1
    server ok 127.0.0.1:${checked.port} check inter 200
frontend host
    bind 127.0.0.1:${ports.host}
    default_backend host
backend host
    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ example.com
    server s1 127.0.0.1:${hostCheck.port} check inter 200
frontend expect
    bind 127.0.0.1:${ports.expect}
    default_backend expect
backend expect
    option httpchk
    http-check send meth GET uri /h hdr Host x
    http-check expect status 204
    default-server check inter 200 fall 1
    server s204 127.0.0.1:${s204.port}
    server s200 127.0.0.1:${s200.port}
frontend nolb
    bind 127.0.0.1:${ports.nolb}
    default_backend nolb
backend nolb
    option httpchk GET /health
    http-check disable-on-404
    server going 127.0.0.1:${nolb.port} check inter 150
    server steady 127.0.0.1:${steady.port} check inter 150
listen tcp
    mode tcp
    bind 127.0.0.1:${ports.tcp}
    option tcp-check
    tcp-check send PING\\r\\n
    tcp-check expect string +PONG
    server pong 127.0.0.1:${pong.port} check inter 200 fall 1
    server err 127.0.0.1:${err.port} check inter 200 fall 1
listen sessions
    mode tcp
    bind 127.0.0.1:${ports.sessions}
    server db 127.0.0.1:${longLived.port} check port ${checkListener.port} inter 100 fall 1 on-marked-down shutdown-sessions
listen kept
    mode tcp
    bind 127.0.0.1:${ports.kept}
    server db 127.0.0.1:${longLived.port} check port ${keptListener.port} inter 100 fall 1
listen slow
    bind 127.0.0.1:${ports.slow}
    server app 127.0.0.1:${slow.port} check port ${slowCheck.port} inter 100 fall 1 on-marked-down shutdown-sessions
listen backup
    mode tcp
    bind 127.0.0.1:${ports.backup}
    server active 127.0.0.1:${longLived.port} check port ${activeCheckPort} inter 100 rise 1 fall 1 on-marked-up shutdown-backup-sessions
    server spare 127.0.0.1:${backup.port} backup
`;
  proxy = await startHandoff(tempDir(), config, ['--workers', '2']);
});

after(async () => {
  proxy?.kill();
  await proxy?.exited;
  for (const c of closers) c();
});

async function state(id: string): Promise<string> {
  const row = serverState((await proxy.ctl('show servers state')).output, id);
  return row === undefined ? '?' : row.up ? 'UP' : 'DOWN';
}

async function statStatus(be: string, srv: string): Promise<string> {
  const csv = (await proxy.ctl('show stat')).output.split('\n');
  const cols = (csv[0] ?? '').replace('# ', '').split(',');
  const row = csv.find((l) => l.startsWith(`${be},${srv},`))?.split(',') ?? [];
  return row[cols.indexOf('status')] ?? '?';
}

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function tcpExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(data));
    s.once('data', (d: Buffer) => {
      resolve(d.toString());
      s.destroy();
    });
    s.on('error', reject);
  });
}

test('server … check port N: the check goes to N; closed there, the server is DOWN and gets no request though its traffic port is open', { timeout: 30_000 }, async () => {
  await until('closedcheck DOWN', async () => (await state('port/closedcheck')) === 'DOWN');
  assert.equal(serverState((await proxy.ctl('show servers state')).output, 'port/closedcheck')?.fields.srv_check_status, String(CHECK_STATUS.L4CON));
  assert.match(proxy.output(), /server port\/closedcheck is DOWN \(Layer4 connection problem, info: "Connection refused"\)/);
  for (let i = 0; i < 20; i++) assert.equal((await get(ports.port as number)).status, 200);
  assert.equal(traffic.seen.length, 0, 'nothing reached the server whose check port is closed');
  assert.equal(checked.seen.length, 20);
});

test('option httpchk GET /health HTTP/1.1\\r\\nHost:\\ example.com: the backend receives that Host header', { timeout: 30_000 }, async () => {
  await until('a check request', () => hostCheck.seen.length > 0);
  assert.deepEqual(hostCheck.seen[0], { method: 'GET', url: '/health', version: '1.1', host: 'example.com' });
  assert.equal(await state('host/s1'), 'UP');
});

test('http-check send meth GET uri /h hdr Host x + http-check expect status 204: 204 is UP, 200 is DOWN and gets no traffic', { timeout: 30_000 }, async () => {
  await until('s200 DOWN', async () => (await state('expect/s200')) === 'DOWN');
  assert.equal(await state('expect/s204'), 'UP');
  assert.deepEqual(s204.seen[0], { method: 'GET', url: '/h', version: '1.0', host: 'x' });
  assert.equal(serverState((await proxy.ctl('show servers state')).output, 'expect/s200')?.fields.srv_check_status, String(CHECK_STATUS.L7STS));
  assert.match(proxy.output(), /server expect\/s200 is DOWN \(Layer7 wrong status, code: 200/);
  const before = s200.seen.length;
  for (let i = 0; i < 10; i++) await get(ports.expect as number, '/page');
  assert.equal(s200.seen.filter((r) => r.url === '/page').length, 0);
  assert.equal(s204.seen.filter((r) => r.url === '/page').length, 10);
  assert.ok(s200.seen.length >= before);
});

test('tcp-check send PING\\r\\n + expect string +PONG: the server answering -ERR is DOWN and gets no traffic', { timeout: 30_000 }, async () => {
  await until('err DOWN', async () => (await state('tcp/err')) === 'DOWN');
  assert.equal(await state('tcp/pong'), 'UP');
  for (let i = 0; i < 10; i++) assert.equal(await tcpExchange(ports.tcp as number, `hello ${i}`), `+PONG says hello ${i}`);
});

test('http-check disable-on-404: a 404 puts the server in NOLB — still UP, no new traffic — and a 200 brings it back', { timeout: 30_000 }, async () => {
  await until('both UP', async () => (await statStatus('nolb', 'going')) === 'UP' && (await statStatus('nolb', 'steady')) === 'UP');
  answer404 = true;
  await until('going NOLB', async () => (await statStatus('nolb', 'going')) === 'NOLB');
  assert.equal(await state('nolb/going'), 'UP', 'NOLB is not DOWN');
  const before = nolb.seen.filter((r) => r.url === '/page').length;
  for (let i = 0; i < 10; i++) await get(ports.nolb as number, '/page');
  assert.equal(nolb.seen.filter((r) => r.url === '/page').length, before, 'no new request to the NOLB server');
  answer404 = false;
  await until('going UP again', async () => (await statStatus('nolb', 'going')) === 'UP');
  for (let i = 0; i < 10; i++) await get(ports.nolb as number, '/page');
  assert.ok(nolb.seen.filter((r) => r.url === '/page').length > before, 'back in the rotation');
});

/** A client session through `port`, once it echoed: `closedAt` resolves when the proxy closes it. */
async function session(port: number): Promise<{ client: net.Socket; closedAt: Promise<number> }> {
  const client = net.connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  const closedAt = new Promise<number>((r) => client.on('close', () => r(Date.now())));
  const echoed = await new Promise<string>((r) => {
    client.on('connect', () => client.write('hi'));
    client.once('data', (d: Buffer) => r(d.toString()));
  });
  assert.equal(echoed, 'echo hi', 'the session is established');
  return { client, closedAt };
}

test('on-marked-down shutdown-sessions: a session open to the server is closed when its check fails (and kept without it)', { timeout: 30_000 }, async () => {
  await until('db UP', async () => (await state('sessions/db')) === 'UP' && (await state('kept/db')) === 'UP');
  const shut = await session(ports.sessions as number);
  const kept = await session(ports.kept as number);
  const downAt = Date.now();
  checkListener.close();
  keptListener.close();
  const at = await shut.closedAt;
  assert.ok(at - downAt < 5000, `closed ${at - downAt} ms after the check port went away`);
  assert.equal(await state('sessions/db'), 'DOWN');
  await until('kept/db DOWN', async () => (await state('kept/db')) === 'DOWN');
  const again = await new Promise<string>((r) => {
    kept.client.once('data', (d: Buffer) => r(d.toString()));
    kept.client.write('still');
  });
  assert.equal(again, 'echo still', 'without on-marked-down the session lives on');
  kept.client.destroy();
});

test('on-marked-down shutdown-sessions in mode http: a request waiting for the server is cut when it goes DOWN', { timeout: 30_000 }, async () => {
  await until('slow/app UP', async () => (await state('slow/app')) === 'UP');
  const outcome = new Promise<string>((resolve) => {
    http
      .get({ host: '127.0.0.1', port: ports.slow as number, path: '/slow', agent: false }, (res) => resolve(`status ${res.statusCode}`))
      .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  await until('the request reached the server', () => slow.sessions.length > 0);
  slowCheck.close();
  assert.equal(await outcome, 'ECONNRESET', 'the connection was closed without an answer');
  assert.equal(await state('slow/app'), 'DOWN');
});

test('on-marked-up shutdown-backup-sessions: when the active server comes UP, the sessions on the backup are closed', { timeout: 30_000 }, async () => {
  await until('active DOWN', async () => (await state('backup/active')) === 'DOWN');
  const client = net.connect({ host: '127.0.0.1', port: ports.backup as number });
  client.on('error', () => {});
  const closed = new Promise<void>((r) => client.on('close', () => r()));
  const first = await new Promise<string>((r) => {
    client.on('connect', () => client.write('hi'));
    client.once('data', (d: Buffer) => r(d.toString()));
  });
  assert.equal(first, 'backup hi', 'served by the backup while the active server is down');
  const listener = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => listener.listen(activeCheckPort, '127.0.0.1', r));
  try {
    await closed;
    assert.equal(await state('backup/active'), 'UP');
    assert.equal(await tcpExchange(ports.backup as number, 'again'), 'echo again', 'new sessions go to the active server');
  } finally {
    listener.close();
  }
});
