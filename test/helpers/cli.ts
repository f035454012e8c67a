// Raw runtime-API clients for tests: what an HAProxy tool sends and reads, byte for byte; and a
// real HAProxy in master-worker mode beside handoff, when it is installed.
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export type CliAddress = string | { host: string; port: number };

/** Send `input` at once, half-close, collect every byte until the server closes (bounded). */
export function exchange(addr: CliAddress, input: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = typeof addr === 'string' ? net.connect(addr) : net.connect(addr.port, addr.host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no close within ${timeoutMs} ms after ${JSON.stringify(input)}; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, timeoutMs);
    c.on('connect', () => c.end(input));
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', () => {});
    c.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

export function haproxyInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v haproxy'], { encoding: 'utf8' }).status === 0;
}

export interface HaproxyProc {
  child: ChildProcess;
  masterSocket: string;
  output(): string;
  stop(): Promise<void>;
}

/** `haproxy -W -db -S MASTER -f CFG`, ready when its sockets exist. */
export async function startHaproxy(cfg: string, masterSocket: string, waitFor: string[], env: NodeJS.ProcessEnv = process.env): Promise<HaproxyProc> {
  const child = spawn('haproxy', ['-W', '-db', '-S', masterSocket, '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const end = Date.now() + 10_000;
  while (![masterSocket, ...waitFor].every((p) => fs.existsSync(p)) || !/New worker|forked/.test(out)) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${out}`);
    if (Date.now() > end) throw new Error(`haproxy not ready: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  return {
    child,
    masterSocket,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGUSR1'); // soft stop, as handoff's SIGTERM
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
