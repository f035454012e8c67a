// Runtime-API clients that misbehave — a line that never ends, clients that connect and stay
// silent, clients that never read their answer — on a `level user`, `mode 666` stats socket that
// anyone on the host may open, while the master must keep answering its own socket and reloading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startBackends, startHandoff, freePort, tempDir, type Handoff, type Backends, sleep } from '../helpers/proxy.ts';
import { sendCommand } from '../../src/admin/client.ts';

function config(port: number, backend: number, global: string, servers = 1): string {
  return `global
${global}
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend www
    bind 127.0.0.1:${port}
    default_backend app

backend app
${Array.from({ length: servers }, (_, i) => `    server s${i} 127.0.0.1:${backend}`).join('\n')}
`;
}

async function withProxy(global: (dir: string) => string, fn: (p: Handoff, dir: string) => Promise<void>, servers = 1): Promise<void> {
  const dir = tempDir('handoff-api-');
  const backends: Backends = await startBackends(1);
  const proxy = await startHandoff(dir, config(await freePort(), backends.ports[0] as number, global(dir), servers), ['--workers', '1']);
  try {
    await fn(proxy, dir);
  } finally {
    proxy.kill('SIGQUIT');
    backends.kill();
    await Promise.all([proxy.exited, backends.exited]);
  }
}

/** Raw client: writes `data` (a Buffer of any size, or nothing), collects the answer until close. */
function rawClient(sock: string, data?: Buffer): Promise<{ answer: string; closedAfterMs: number; error?: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = net.connect(sock);
    let answer = '';
    let error: string | undefined;
    c.on('data', (d) => (answer += d.toString('latin1')));
    c.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    c.on('close', () => resolve({ answer, closedAfterMs: Date.now() - t0, ...(error !== undefined ? { error } : {}) }));
    if (data !== undefined) c.on('connect', () => c.write(data, () => {}));
    setTimeout(() => c.destroy(), 8000).unref();
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

test('a 1 MB line without a newline is answered with the 16384-byte limit and closed; the socket serves on', { timeout: 30_000 }, async () => {
  await withProxy(
    (dir) => `    stats socket ${dir}/user.sock mode 666 level user`,
    async (_p, dir) => {
      const r = await rawClient(path.join(dir, 'user.sock'), Buffer.alloc(1 << 20, 'a'));
      assert.match(r.answer, /request too long: a command line is limited to 16384 bytes/);
      assert.doesNotMatch(r.answer, /\0/, 'a client that did not opt in (handoff ctl does) sees no status line');
      assert.ok(r.closedAfterMs < 2000, `closed after ${r.closedAfterMs} ms`);
      const ok = await sendCommand(path.join(dir, 'user.sock'), 'show info', 2000);
      assert.ok(ok.ok, ok.output);
      // A line just under the limit is still a command.
      const long = await sendCommand(path.join(dir, 'user.sock'), `show info ${' '.repeat(16_000)}`, 2000);
      assert.match(long.output, /^Name: handoff$/m);
    },
  );
});

test('200 idle clients with stats maxconn 4 and stats timeout 1s: 4 served, 4 wait, 192 refused at once, all closed by the timeout', { timeout: 30_000 }, async () => {
  await withProxy(
    (dir) => `    stats socket ${dir}/user.sock mode 666 level user\n    stats maxconn 4\n    stats timeout 1s`,
    async (p, dir) => {
      const sock = path.join(dir, 'user.sock');
      const results = await Promise.all(Array.from({ length: 200 }, () => rawClient(sock)));
      const refused = results.filter((r) => /too many clients on this socket \(stats maxconn 4, 4 waiting\)/.test(r.answer));
      const timedOut = results.filter((r) => r.answer === '').map((r) => r.closedAfterMs).sort((a, b) => a - b);
      assert.equal(refused.length, 192, JSON.stringify(results.slice(0, 3)));
      assert.ok(refused.every((r) => r.closedAfterMs < 1000), `refusals took up to ${Math.max(...refused.map((r) => r.closedAfterMs))} ms`);
      assert.equal(timedOut.length, 8);
      // The first four are closed by the idle timeout, then the four waiting get their slot and are.
      assert.ok(timedOut.slice(0, 4).every((ms) => ms >= 900 && ms < 1800), `first four closed after ${timedOut.slice(0, 4)} ms`);
      assert.ok(timedOut.slice(4).every((ms) => ms >= 1800 && ms < 3500), `waiting four closed after ${timedOut.slice(4)} ms`);
      const after = await sendCommand(sock, 'show info', 2000);
      assert.ok(after.ok, after.output);
      // The master socket has its own slots: idle stats clients never lock the administrator out.
      assert.ok((await p.ctl('show info')).ok);
    },
  );
});

test('show info gives the configuration path to operator and admin, not to level user (as HAProxy, no path below operator)', { timeout: 30_000 }, async () => {
  await withProxy(
    (dir) => `    stats socket ${dir}/user.sock mode 666 level user\n    stats socket ${dir}/op.sock mode 660 level operator`,
    async (p, dir) => {
      const user = await sendCommand(path.join(dir, 'user.sock'), 'show info', 2000);
      assert.ok(user.ok);
      assert.match(user.output, /^Generation: \d+$/m);
      assert.doesNotMatch(user.output, /ConfigFile|handoff\.cfg/);
      const op = await sendCommand(path.join(dir, 'op.sock'), 'show info', 2000);
      assert.match(op.output, new RegExp(`^ConfigFile: ${p.configFile}$`, 'm'));
      assert.match((await p.ctl('show info')).output, new RegExp(`^ConfigFile: ${p.configFile}$`, 'm'));
    },
  );
});

// The attackers run in their own process so that this one only measures.
const ATTACKER = `
import net from 'node:net';
const a = JSON.parse(process.env.ATTACK);
const t0 = Date.now();
const alive = () => Date.now() - t0 < a.durationMs;
const stats = { floodBytes: 0, floodConnections: 0, tooLong: 0, refused: 0, idleConnections: 0, idleClosed: 0, slowConnections: 0, slowClosed: 0, slowCut: 0 };
const open = new Set();
const chunk = Buffer.alloc(64 * 1024, 'a');
function connect(kind, onConnect) {
  const c = net.connect(a.sock);
  open.add(c);
  let answer = '';
  c.on('error', () => {});
  c.on('close', () => { open.delete(c); if (/request too long/.test(answer)) stats.tooLong++; if (/too many clients/.test(answer)) stats.refused++; });
  c.on('connect', () => onConnect(c, (d) => (answer += d)));
  return c;
}
// Sends its share of the flood without a newline, reconnecting whenever the master closes it,
// until the share has been taken by the kernel (floodBytes: what the master could have read).
function flooder(quota) {
  if (!alive() || quota <= 0) return;
  stats.floodConnections++;
  const c = connect('flood', (c, collect) => {
    c.on('data', collect);
    let queued = 0;
    const pump = () => { while (queued < quota && !c.destroyed) { queued += chunk.length; if (!c.write(chunk)) return c.once('drain', pump); } };
    pump();
  });
  c.on('close', () => { stats.floodBytes += c.bytesWritten; setTimeout(() => flooder(quota - c.bytesWritten), 1); });
}
function idle() {
  if (!alive()) return;
  stats.idleConnections++;
  const c = connect('idle', (c, collect) => c.on('data', collect));
  c.on('close', () => { stats.idleClosed++; setTimeout(idle, 50); });
}
// Asks for a large answer and reads nothing for slowPauseMs: a paused socket does not even see
// the master close it, so it reads afterwards and tells a cut answer from a complete one.
function slowReader() {
  if (!alive()) return;
  stats.slowConnections++;
  let answer = '';
  const c = connect('slow', (c) => {
    c.write('show stat json\\n');
    c.pause();
    setTimeout(() => { c.on('data', (d) => (answer += d)); c.resume(); }, a.slowPauseMs);
  });
  c.on('close', () => { if (!/\\0(ok|error)\\n$/.test(answer)) stats.slowCut++; stats.slowClosed++; setTimeout(slowReader, 50); });
}
for (let i = 0; i < a.flooders; i++) flooder(Math.floor(a.floodBytes / a.flooders));
for (let i = 0; i < a.slow; i++) slowReader();
setTimeout(() => { for (let i = 0; i < a.idle; i++) idle(); }, a.idleAfterMs);
setTimeout(() => { for (const c of open) c.destroy(); console.log(JSON.stringify(stats)); process.exit(0); }, a.durationMs);
`;

test('a flood of a user socket (50 MB without newline, 200 idle clients, slow readers) leaves show info, reload and the master RSS bounded', { timeout: 90_000 }, async () => {
  // 100 servers make `show stat json` (HAProxy's JSON, ~12 kB a server row) ~1 MB: more than a unix socket buffer holds for a reader that never reads.
  await withProxy(
    (dir) => `    stats socket ${dir}/user.sock mode 666 level user\n    stats timeout 2s`,
    async (p, dir) => {
      const sock = path.join(dir, 'user.sock');
      const statSize = (await sendCommand(sock, 'show stat json', 5000)).output.length;
      assert.ok(statSize > 250_000, `show stat is ${statSize} bytes`);
      await sleep(300);
      const rssBefore = rssKb(p.pid);
      const durationMs = 7000;
      const attacker = spawn(process.execPath, ['--input-type=module', '-e', ATTACKER], {
        env: { ...process.env, ATTACK: JSON.stringify({ sock, durationMs, flooders: 4, floodBytes: 50 * 1024 * 1024, idle: 200, idleAfterMs: 3500, slow: 5, slowPauseMs: 5000 }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let attackOut = '';
      attacker.stdout.on('data', (d: Buffer) => (attackOut += d.toString()));
      const attackDone = new Promise<void>((r) => attacker.on('exit', () => r()));

      let peakRss = rssBefore;
      const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssKb(p.pid))), 100);
      const latencies: number[] = [];
      const reloads: { ok: boolean; ms: number; output: string }[] = [];
      const t0 = Date.now();
      const reloadAt = [1500, 5000];
      let finished = false;
      void attackDone.then(() => (finished = true));
      while (!finished && Date.now() - t0 < durationMs + 5000) {
        const due = reloadAt[0];
        if (due !== undefined && Date.now() - t0 >= due) {
          reloadAt.shift();
          const r0 = Date.now();
          const r = await sendCommand(p.socket, 'reload', 30_000);
          reloads.push({ ok: r.ok, ms: Date.now() - r0, output: r.output });
        }
        const s0 = Date.now();
        const info = await sendCommand(p.socket, 'show info', 10_000).catch((e: Error) => ({ ok: false, output: e.message }));
        latencies.push(info.ok ? Date.now() - s0 : Infinity);
        await sleep(100);
      }
      clearInterval(rssTimer);
      await attackDone;
      const attack = JSON.parse(attackOut || '{}') as Record<string, number>;
      const sorted = [...latencies].sort((a, b) => a - b);
      const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
      const report = `show info on the master socket: ${latencies.length} samples, median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${sorted.at(-1)} ms; reloads ${reloads.map((r) => `${r.ok ? 'ok' : 'FAILED'} ${r.ms} ms`).join(', ')}; master RSS ${Math.round(rssBefore / 1024)} MB → peak ${Math.round(peakRss / 1024)} MB; attack ${attackOut.trim()}`;
      console.log(report);

      assert.ok(latencies.length >= 20, report);
      assert.ok((sorted.at(-1) as number) < 300, `a show info took over 300 ms: ${report}`);
      assert.ok((q(0.5) as number) < 50, report);
      assert.equal(reloads.length, 2, report);
      for (const r of reloads) {
        assert.ok(r.ok, r.output);
        assert.ok(r.ms < 2000, report);
      }
      assert.ok(peakRss - rssBefore < 100 * 1024, `master RSS grew by ${Math.round((peakRss - rssBefore) / 1024)} MB: ${report}`);
      // The attack did happen: the limit was hit, clients were refused, slow readers were cut off
      // by the timeout (a paused client sees nothing at all: not even the end of a partial answer).
      assert.ok((attack.tooLong ?? 0) > 0 && (attack.slowCut ?? 0) > 0 && (attack.refused ?? 0) > 0, report);
      // And once it stops, the socket serves its users again.
      await sleep(200);
      const after = await sendCommand(sock, 'show info', 3000);
      assert.ok(after.ok, after.output);
    },
    100,
  );
});
