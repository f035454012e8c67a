// Real HAProxy 2.6 with a stats socket, for tests that compare runtime-API answers with it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { findHaproxy } from '../../src/bench/proxies.ts';
import { until } from './proxy.ts';

export interface Haproxy {
  /** One command on the stats socket: HAProxy's whole answer (it closes after it). */
  cmd(line: string): Promise<string>;
  stop(): Promise<void>;
  output(): string;
}

export function haproxyCommand(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socket, () => s.end(`${line}\n`));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error(`haproxy did not answer '${line}'`)));
  });
}

/** Start `haproxy -db -f CFG`; `socket` is the stats socket its configuration declares. */
export async function startHaproxy(cfg: string, socket: string): Promise<Haproxy | null> {
  const bin = findHaproxy();
  if (bin === null) return null;
  const p = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  await until('haproxy stats socket', () => fs.existsSync(socket), 10_000, () => out);
  return {
    cmd: (line) => haproxyCommand(socket, line),
    output: () => out,
    async stop() {
      p.kill('SIGKILL');
      await exited;
    },
  };
}

/** Is haproxy installed (tests skip with this reason when not)? */
export function haproxyMissing(): string | undefined {
  return findHaproxy() === null ? 'haproxy not installed' : undefined;
}
