import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../../src/load/engine.ts';
import { formatReport } from '../../src/load/report.ts';
import { close, closedPort, countingServer, listen, options } from './servers.ts';

const success = (r: { completeRequests: number; failedRequests: number }) => r.completeRequests - r.failedRequests;

test('-n 200 -c 10: exactly 200 successes, and the server saw exactly 200 requests on 200 connections', async () => {
  const srv = await countingServer();
  try {
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 200, concurrency: 10 }));
    assert.equal(r.completeRequests, 200);
    assert.equal(r.failedRequests, 0);
    assert.equal(success(r), 200);
    assert.equal(srv.requests(), 200);
    assert.equal(srv.connections(), 200, 'without -k every request opens its own connection');
    assert.equal(r.documentLength, 12);
    assert.equal(r.htmlTransferredBytes, 200 * 12);
    assert.equal(r.total.count, 200);
    assert.ok(r.total.max >= r.total.min && r.requestsPerSecond > 0);
  } finally {
    await srv.stop();
  }
});

test('keep-alive (-k) reuses connections: the server sees fewer connections than requests', async () => {
  const srv = await countingServer();
  try {
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 300, concurrency: 5, keepAlive: true }));
    assert.equal(success(r), 300);
    assert.equal(srv.requests(), 300);
    assert.equal(srv.connections(), 5);
    assert.equal(r.keepAliveRequests, 300);
  } finally {
    await srv.stop();
  }
});

test('closed port: every request is a connect_refused failure and the full report still prints', async () => {
  const port = await closedPort();
  const r = await runLoad(options(`http://127.0.0.1:${port}/`, { requests: 50, concurrency: 5 }));
  assert.equal(r.completeRequests, 50);
  assert.equal(r.failedRequests, 50);
  assert.equal(r.failures.connect_refused, 50);
  assert.equal(r.total.count, 0, 'failures stay out of the latency histogram');
  assert.equal(r.failureTimes.count, 50);
  const text = formatReport(r);
  assert.match(text, /^Failed requests:        50$/m);
  assert.match(text, /Connect refused: 50/);
  assert.match(text, /^Percentage of the requests served within a certain time \(ms\)$/m);
  assert.match(text, /^Requests per second:/m);
});

test('headers with Content-Length: 1000 then a reset mid-body: every request is a receive failure', async () => {
  const server = net.createServer((sock) => {
    sock.once('data', () => {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(100), () => setTimeout(() => sock.resetAndDestroy(), 5));
    });
  });
  const port = await listen(server);
  try {
    const r = await runLoad(options(`http://127.0.0.1:${port}/`, { requests: 40, concurrency: 4 }));
    assert.equal(r.completeRequests, 40);
    assert.equal(r.failures.receive, 40);
    assert.equal(r.failedRequests, 40);
  } finally {
    await close(server);
  }
});

test('variable body sizes are length failures, and no failures with -l', async () => {
  let i = 0;
  const srv = await countingServer((_req, res) => res.end('x'.repeat(10 + (i++ % 2))));
  try {
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 40, concurrency: 1 }));
    assert.equal(r.documentLength, 10);
    assert.equal(r.failures.length, 20);
    assert.equal(r.failedRequests, 20);
    const l = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 40, concurrency: 4, variableLength: true }));
    assert.equal(l.failedRequests, 0);
    assert.equal(l.documentLength, 'variable');
  } finally {
    await srv.stop();
  }
});

test('non-2xx responses are status failures and counted as Non-2xx responses', async () => {
  let i = 0;
  const srv = await countingServer((_req, res) => {
    res.statusCode = i++ % 4 === 0 ? 503 : 200;
    res.end('ok');
  });
  try {
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 40, concurrency: 1, keepAlive: true }));
    assert.equal(r.non2xx, 10);
    assert.equal(r.failures.status, 10);
    assert.equal(r.failedRequests, 10);
    assert.match(formatReport(r), /^Non-2xx responses:      10$/m);
  } finally {
    await srv.stop();
  }
});

test('a server that never answers: timeout failures after -s, the run still ends', async () => {
  const server = net.createServer(() => {});
  const port = await listen(server);
  try {
    const started = performance.now();
    const r = await runLoad(options(`http://127.0.0.1:${port}/`, { requests: 6, concurrency: 3, timeoutMs: 200 }));
    const took = performance.now() - started;
    assert.equal(r.failures.timeout, 6);
    assert.ok(took >= 400 && took < 2000, `took ${took} ms`);
    assert.ok(r.failureTimes.min >= 200, `failed after ${r.failureTimes.min} ms`);
  } finally {
    await close(server);
  }
});

test('keep-alive: a server closing a reused connection after the request arrived is a receive failure, not retried', async () => {
  let requests = 0;
  // Answers the first request on each connection, then closes when the second one arrives.
  const server = net.createServer((sock) => {
    let seen = 0;
    sock.on('data', () => {
      requests++;
      if (++seen === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else sock.destroy();
    });
  });
  const port = await listen(server);
  try {
    const r = await runLoad(options(`http://127.0.0.1:${port}/`, { requests: 20, concurrency: 1, keepAlive: true }));
    assert.equal(r.completeRequests, 20);
    assert.equal(r.failures.receive, 10);
    assert.equal(success(r), 10);
    assert.equal(requests, 20, 'nothing was retried behind our back');
  } finally {
    await close(server);
  }
});

test('chunked and close-delimited bodies are read to the end', async () => {
  const server = net.createServer((sock) => {
    sock.once('data', () => {
      sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n');
    });
  });
  const untilClose = net.createServer((sock) => sock.once('data', () => sock.end('HTTP/1.0 200 OK\r\n\r\n' + 'y'.repeat(5000))));
  const [p1, p2] = [await listen(server), await listen(untilClose)];
  try {
    const a = await runLoad(options(`http://127.0.0.1:${p1}/`, { requests: 10, concurrency: 2 }));
    assert.equal(a.failedRequests, 0);
    assert.equal(a.documentLength, 7);
    const b = await runLoad(options(`http://127.0.0.1:${p2}/`, { requests: 10, concurrency: 2, keepAlive: true }));
    assert.equal(b.failedRequests, 0);
    assert.equal(b.documentLength, 5000);
    assert.equal(b.keepAliveRequests, 0);
  } finally {
    await close(server);
    await close(untilClose);
  }
});

test('--timeline writes exactly one JSON line per request, successes and failures alike', async () => {
  let i = 0;
  const srv = await countingServer((_req, res) => {
    res.statusCode = i++ % 5 === 0 ? 500 : 200;
    res.end('ok');
  });
  const dir = mkdtempSync(join(tmpdir(), 'handoff-load-'));
  try {
    const file = join(dir, 'timeline.jsonl');
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 150, concurrency: 5, timelineFile: file }));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 150);
    const entries = lines.map((l) => JSON.parse(l) as { t: number; latencyMs: number; ok: boolean; status?: number; failure?: string });
    assert.equal(entries.filter((e) => !e.ok).length, r.failedRequests);
    assert.ok(entries.every((e) => e.t >= 0 && e.latencyMs >= 0 && e.status !== undefined));
    assert.ok(entries.filter((e) => !e.ok).every((e) => e.failure === 'status' && e.status === 500));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.stop();
  }
});

test('--rate: requests start on schedule and latency counts from the scheduled time', async () => {
  // The server stalls one request for 300 ms; with one connection, the requests scheduled behind
  // it must show that wait (coordinated omission corrected), not a fast 1 ms each.
  let i = 0;
  const srv = await countingServer((_req, res) => {
    if (i++ === 5) setTimeout(() => res.end('ok'), 300);
    else res.end('ok');
  });
  try {
    const started = performance.now();
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 40, concurrency: 1, keepAlive: true, rate: 100 }));
    const took = performance.now() - started;
    assert.equal(success(r), 40);
    assert.ok(took >= 390 && took < 1500, `40 requests at 100/s took ${took} ms`);
    // Requests due during the stall (every 10 ms for 300 ms) waited up to ~300 ms.
    assert.ok((r.total.percentiles['90'] as number) > 100, `p90 ${r.total.percentiles['90']} ms`);
    assert.equal(r.rate, 100);
  } finally {
    await srv.stop();
  }
});

test('-t time limit stops starting requests; requests already running finish', async () => {
  const srv = await countingServer((_req, res) => setTimeout(() => res.end('ok'), 20));
  try {
    const started = performance.now();
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 50_000, concurrency: 4, keepAlive: true, timeLimitMs: 300 }));
    const took = performance.now() - started;
    assert.ok(took >= 300 && took < 1500, `took ${took} ms`);
    assert.ok(r.completeRequests > 10 && r.completeRequests < 200, `${r.completeRequests} requests`);
    assert.equal(r.failedRequests, 0);
    assert.equal(srv.requests(), r.completeRequests);
  } finally {
    await srv.stop();
  }
});

test('an aborted run returns a report of what finished', async () => {
  const srv = await countingServer((_req, res) => setTimeout(() => res.end('ok'), 10));
  try {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const r = await runLoad(options(`http://127.0.0.1:${srv.port}/`, { requests: 100_000, concurrency: 2, keepAlive: true }), ac.signal);
    assert.ok(r.completeRequests > 0 && r.completeRequests < 100_000);
    assert.equal(r.failedRequests, 0, 'abandoned requests are not failures');
  } finally {
    await srv.stop();
  }
});

test('request line and headers: method, path with query, Host, user headers and body', async () => {
  let seen: { method?: string; url?: string; host?: string; x?: string; ct?: string; body?: string } = {};
  const srv = await countingServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, host: req.headers.host, x: req.headers['x-test'] as string, ct: req.headers['content-type'], body };
      res.end('ok');
    });
  });
  try {
    const r = await runLoad(
      options(`http://127.0.0.1:${srv.port}/a/b?c=d`, { method: 'PUT', headers: [['X-Test', 'yes']], body: Buffer.from('payload'), contentType: 'application/json' }),
    );
    assert.equal(r.failedRequests, 0);
    assert.deepEqual(seen, { method: 'PUT', url: '/a/b?c=d', host: `127.0.0.1:${srv.port}`, x: 'yes', ct: 'application/json', body: 'payload' });
  } finally {
    await srv.stop();
  }
});

test('https URL whose server never answers the handshake: tls_handshake failures after -s', async () => {
  const server = net.createServer((sock) => sock.resume());
  const port = await listen(server);
  try {
    const r = await runLoad(options(`https://127.0.0.1:${port}/`, { requests: 4, concurrency: 2, timeoutMs: 150 }));
    assert.equal(r.failures.tls_handshake, 4);
  } finally {
    await close(server);
  }
});

test('a listener that never accepts: once its backlog is full, connects time out as connect_timeout', async (t) => {
  // Node always accepts, so the stuck listener is a tiny python3 process (skipped without it).
  const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(20)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number | undefined>((resolve) => {
    py.once('error', () => resolve(undefined));
    py.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  try {
    if (port === undefined) {
      t.skip('python3 is not installed');
      return;
    }
    const r = await runLoad(options(`http://127.0.0.1:${port}/`, { requests: 8, concurrency: 8, timeoutMs: 300 }));
    assert.equal(r.failedRequests, 8);
    // The accepted-by-kernel few wait for a response (timeout); the rest never connect.
    assert.equal(r.failures.connect_timeout + r.failures.timeout, 8);
    assert.ok(r.failures.connect_timeout >= 4, `connect_timeout ${r.failures.connect_timeout}`);
  } finally {
    py.kill();
  }
});
