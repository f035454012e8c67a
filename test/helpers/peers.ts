// handoff and, when it is installed, HAProxy 2.6 started with the same configuration, so a test
// can run each case against both and compare (HAProxy's behaviour is the reference).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canConnect } from '../../src/bench/processes.ts';
import { findHaproxy } from '../../src/bench/proxies.ts';
import { freePort, startHandoff, stopAll, until, type Handoff } from './proxy.ts';

export interface Peer {
  name: 'handoff' | 'haproxy';
  port: number;
}

export interface Peers {
  /** handoff first, then HAProxy when installed. */
  list: Peer[];
  handoff: Handoff;
  stop(): Promise<void>;
}

/** `config(port)` is the configuration text with the frontend bound on `port`; `dir` holds the files. */
export async function startPeers(dir: string, config: (port: number) => string, missingNote?: string): Promise<Peers> {
  const hPort = await freePort();
  const handoff = await startHandoff(dir, config(hPort));
  const list: Peer[] = [{ name: 'handoff', port: hPort }];
  let haproxy: ChildProcess | undefined;
  const bin = findHaproxy();
  if (bin === null) {
    if (missingNote !== undefined) console.log(`# HAProxy is not installed: ${missingNote}`);
  } else {
    const aPort = await freePort();
    const cfg = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(cfg, config(aPort));
    haproxy = spawn(bin, ['-db', '-f', cfg], { stdio: 'ignore' });
    await until('haproxy listening', () => canConnect('127.0.0.1', aPort), 10_000);
    list.push({ name: 'haproxy', port: aPort });
  }
  return {
    list,
    handoff,
    async stop() {
      haproxy?.kill('SIGKILL');
      await stopAll([handoff]);
    },
  };
}
