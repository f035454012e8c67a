// maxconn is a limit on the whole process tree, and the connections beyond it wait: in the kernel
// backlog (global, frontend and bind maxconn) or in a server's queue (server maxconn, bounded by
// timeout queue → 503 sQ). Nothing is accepted and then closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startBackends, startHandoff, freePort, tempDir, sleep, until, stopAll } from '../helpers/proxy.ts';

/** A client that connects, sends one keep-alive request and keeps the connection. */
interface Client {
  sock: net.Socket;
  answered: boolean;
  /** The server closed it (FIN) or reset it before we did. */
  closedByPeer: boolean;
  reset: boolean;
  data: string;
}

function openClient(port: number): Client {
  const sock = net.connect(port, '127.0.0.1');
  const c: Client = { sock, answered: false, closedByPeer: false, reset: false, data: '' };
  let ours = false;
  sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  sock.on('data', (d: Buffer) => {
    c.data += d.toString('latin1');
    if (c.data.startsWith('HTTP/1.1 ')) c.answered = true;
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') c.reset = true;
  });
  sock.on('end', () => {
    if (!ours) c.closedByPeer = true;
  });
  sock.on('close', () => {
    if (!ours) c.closedByPeer = true;
  });
  (sock as net.Socket & { closeByUs?: () => void }).closeByUs = () => {
    ours = true;
    sock.destroy();
  };
  return c;
}

const closeByUs = (c: Client) => (c.sock as net.Socket & { closeByUs: () => void }).closeByUs();

const summary = (cs: Client[]) => {
  const answered = cs.filter((c) => c.answered).length;
  const unansweredClosed = cs.filter((c) => !c.answered && c.closedByPeer).length;
  const reset = cs.filter((c) => c.reset).length;
  return { answered, unansweredClosed, reset };
};

function config(port: number, backend: number, opts: { global?: string; frontend?: string; bind?: string; backend?: string; log?: string }): string {
  return `global
    ${opts.global ?? ''}
defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s
${opts.log ?? ''}
frontend www
    bind 127.0.0.1:${port}${opts.bind ?? ''}
    ${opts.frontend ?? ''}
    default_backend app

backend app
    ${opts.backend ?? ''}
    server s0 127.0.0.1:${backend}
`;
}

/** 300 clients against a limit of 100 over 2 workers: 100 answered, 200 wait (not closed, not reset);
 * each time answered clients leave, as many waiting ones are answered; in the end all 300. */
async function limitScenario(label: string, limits: { global?: string; frontend?: string; bind?: string }): Promise<void> {
  const backends = await startBackends(1, []);
  const dir = tempDir();
  const port = await freePort();
  const h = await startHandoff(dir, config(port, backends.ports[0] as number, limits), ['--workers', '2']);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 300; i++) clients.push(openClient(port));
    await until(`${label}: 100 answered`, () => summary(clients).answered >= 100, 10_000, () => JSON.stringify(summary(clients)));
    // Give any excess time to show up: it must not.
    await sleep(1000);
    assert.deepEqual(summary(clients), { answered: 100, unansweredClosed: 0, reset: 0 }, `${label}: at first`);
    const connected = clients.filter((c) => !c.answered && !c.sock.destroyed).length;
    assert.equal(connected, 200, `${label}: the 200 waiting clients are still connected`);

    // An answered connection still works after its worker stopped accepting.
    const first = clients.find((c) => c.answered) as Client;
    first.data = '';
    first.answered = false;
    first.sock.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(`${label}: a second request on a kept connection`, () => first.answered, 5000);

    // The first 100 leave: exactly the next 100 are answered.
    const firstHundred = clients.filter((c) => c.answered);
    for (const c of firstHundred) closeByUs(c);
    const rest = clients.filter((c) => !firstHundred.includes(c));
    await until(`${label}: 100 more answered`, () => summary(rest).answered >= 100, 10_000, () => JSON.stringify(summary(rest)));
    await sleep(500);
    assert.deepEqual(summary(rest), { answered: 100, unansweredClosed: 0, reset: 0 }, `${label}: after the first 100 left`);

    const second = rest.filter((c) => c.answered);
    for (const c of second) closeByUs(c);
    const last = rest.filter((c) => !second.includes(c));
    await until(`${label}: the last 100 answered`, () => summary(last).answered >= 100, 10_000, () => JSON.stringify(summary(last)));
    assert.deepEqual(summary(clients), { answered: 300, unansweredClosed: 0, reset: 0 }, `${label}: in the end`);
  } finally {
    for (const c of clients) closeByUs(c);
    await stopAll([h, backends]);
  }
}

test('global maxconn 100 over 2 workers: 100 answered, 200 wait unanswered and are answered as slots free', { timeout: 60_000 }, async () => {
  await limitScenario('global', { global: 'maxconn 100' });
});

test('frontend maxconn 100 over 2 workers (global 1000): the excess waits in the backlog', { timeout: 60_000 }, async () => {
  await limitScenario('frontend', { global: 'maxconn 1000', frontend: 'maxconn 100' });
});

test('bind maxconn 100 over 2 workers: the excess waits in the backlog', { timeout: 60_000 }, async () => {
  await limitScenario('bind', { global: 'maxconn 1000', bind: ' maxconn 100' });
});

test('server maxconn 2 over 2 workers with timeout queue 200ms: one request at a time per worker, the queued ones get 503 sQ after ~200 ms', { timeout: 60_000 }, async () => {
  const backends = await startBackends(1, ['--delay', '1500']);
  const dir = tempDir();
  const port = await freePort();
  const cfg = config(port, backends.ports[0] as number, {
    log: '    log stdout format raw local0\n    log-format "REQ pid=%pid status=%ST tsc=%tsc Tw=%Tw Tc=%Tc"',
    backend: 'timeout queue 200ms',
  }).replace(`server s0 127.0.0.1:${backends.ports[0]}`, `server s0 127.0.0.1:${backends.ports[0]} maxconn 2`);
  const h = await startHandoff(dir, cfg, ['--workers', '2']);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 10; i++) clients.push(openClient(port));
    await until('10 answers', () => clients.every((c) => /\r\n\r\n/.test(c.data)), 10_000);
    await until('10 log lines', () => (h.output().match(/^REQ /gm) ?? []).length >= 10, 5000);
    const lines = [...h.output().matchAll(/^REQ pid=(\d+) status=(\d+) tsc=(\S+) Tw=(-?\d+) Tc=(-?\d+)$/gm)].map((m) => ({ pid: Number(m[1]), status: Number(m[2]), tsc: m[3] as string, Tw: Number(m[4]), Tc: Number(m[5]) }));
    assert.equal(lines.length, 10, h.output());
    // Each worker holds 1 of the server's 2 slots: per worker, one request served and the others
    // wait 200 ms in its queue (the server takes 1.5 s), then 503 sQ.
    const perPid = new Map<number, number>();
    for (const l of lines) perPid.set(l.pid, (perPid.get(l.pid) ?? 0) + 1);
    const served = lines.filter((l) => l.status === 200);
    const refused = lines.filter((l) => l.status === 503);
    assert.equal(served.length, perPid.size, `one served per worker that got requests: ${JSON.stringify(lines)}`);
    assert.equal(refused.length, 10 - perPid.size);
    for (const pid of perPid.keys()) assert.equal(served.filter((l) => l.pid === pid).length, 1);
    for (const l of refused) {
      assert.equal(l.tsc, 'sQ--');
      assert.ok(l.Tw >= 190 && l.Tw < 1000, `Tw is the queue time: ${l.Tw}`);
      assert.equal(l.Tc, -1);
    }
    const answers = clients.map((c) => Number(/^HTTP\/1\.1 (\d+)/.exec(c.data)?.[1]));
    assert.equal(answers.filter((s) => s === 503).length, refused.length);
    assert.equal(answers.filter((s) => s === 200).length, served.length);
  } finally {
    for (const c of clients) closeByUs(c);
    await stopAll([h, backends]);
  }
});

test('an in-place reload raising global maxconn 100 → 150 answers exactly 50 more waiting clients; lowering it to 50 closes nothing', { timeout: 60_000 }, async () => {
  const backends = await startBackends(1, []);
  const dir = tempDir();
  const port = await freePort();
  const backend = backends.ports[0] as number;
  const h = await startHandoff(dir, config(port, backend, { global: 'maxconn 100' }), ['--workers', '2']);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 300; i++) clients.push(openClient(port));
    await until('100 answered', () => summary(clients).answered >= 100, 10_000, () => JSON.stringify(summary(clients)));
    await sleep(500);
    assert.deepEqual(summary(clients), { answered: 100, unansweredClosed: 0, reset: 0 });

    fs.writeFileSync(h.configFile, config(port, backend, { global: 'maxconn 150' }));
    const up = await h.ctl('reload');
    assert.ok(up.ok && /in-place|succeeded/.test(up.output), up.output);
    await until('150 answered', () => summary(clients).answered >= 150, 10_000, () => JSON.stringify(summary(clients)));
    await sleep(500);
    assert.deepEqual(summary(clients), { answered: 150, unansweredClosed: 0, reset: 0 }, 'after raising maxconn');

    // Lower than what is open: the open connections stay, nobody new is answered.
    fs.writeFileSync(h.configFile, config(port, backend, { global: 'maxconn 50' }));
    assert.ok((await h.ctl('reload')).ok);
    const answeredBefore = clients.filter((c) => c.answered);
    for (const c of answeredBefore.slice(0, 50)) closeByUs(c);
    await sleep(700);
    assert.deepEqual(summary(clients), { answered: 150, unansweredClosed: 0, reset: 0 }, 'after lowering maxconn: 100 still open, over the new limit');
    // Below 50 again: the waiting clients come in, 50 at a time.
    for (const c of answeredBefore.slice(50)) closeByUs(c);
    await until('50 more answered', () => summary(clients).answered >= 200, 10_000, () => JSON.stringify(summary(clients)));
    await sleep(500);
    assert.deepEqual(summary(clients), { answered: 200, unansweredClosed: 0, reset: 0 }, 'below the lowered limit');
  } finally {
    for (const c of clients) closeByUs(c);
    await stopAll([h, backends]);
  }
});
