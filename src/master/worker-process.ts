// One worker process as the master sees it: fork, hand over config and listening sockets, follow
// its messages, and end it. The master decides *when*; this module knows *how*.
import { fork, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/model.ts';
import type { MasterToWorker, ServerStates, WorkerToMaster } from '../ipc/messages.ts';
import { isWorkerToMaster } from '../ipc/messages.ts';
import type { ListenerRegistry, ListenHandle, TcpHandle } from './listeners.ts';
import { isMasterV8Flag } from './v8-settings.ts';

export const WORKER_ENTRY = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

export type WorkerState = 'starting' | 'ready' | 'draining' | 'exited';

export interface WorkerProcess {
  /** The generation it was started with (in-place reloads move it on: see readyGeneration). */
  readonly generation: number;
  readonly index: number;
  readonly pid: number;
  readonly startedAt: number;
  state: WorkerState;
  /** The last generation this process reported ready for (in-place reloads change it). */
  readyGeneration: number;
  /** The last generation this process confirmed it accepts with (`activated`). */
  activeGeneration: number;
  /** Set when the master asked it to go (drain or kill): its exit is expected. */
  leaving: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(msg: MasterToWorker): void;
  /** Hand it a copy of a listening socket; `spare` answers its `listener-request`. */
  sendListener(key: string, handle: ListenHandle, spare?: boolean): void;
  kill(signal?: NodeJS.Signals): void;
}

export interface WorkerSpawnOptions {
  generation: number;
  index: number;
  /** Workers in the cohort (maxconn is split into this many shares). */
  workers: number;
  config: Config;
  listeners: ListenerRegistry;
  servers: ServerStates;
  ticketKeys: string;
  uid?: number;
  gid?: number;
  onMessage(worker: WorkerProcess, msg: WorkerToMaster): void;
  onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
  /** A process forked earlier with forkWorkerProcess (a warm spare); otherwise one is forked. */
  child?: ChildProcess;
}

/** V8 flags of every worker, before the master's own (which win). A proxy's garbage is short-lived,
 * but under reloads and load V8 grows the young generation to 64 MB per worker (soak bench: RSS
 * +50 MB per worker, live heap unchanged at ~10–30 MB); 8 MB semi-spaces keep it at 16 MB, with no
 * difference in keep-alive req/s measured by the proxy-overhead bench. */
export const WORKER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** Fork a worker process. It loads its code, then waits for `init`: a spare can be forked early. */
export function forkWorkerProcess(label: string, uid?: number, gid?: number): ChildProcess {
  return fork(WORKER_ENTRY, [label], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
    execArgv: [...WORKER_V8_FLAGS, ...process.execArgv.filter((a) => !a.startsWith('--inspect') && !isMasterV8Flag(a))],
    // Workers start at full reloads and replacements: the compile cache (shared with the CLI)
    // halves their start-up.
    env: { ...process.env, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'node-compile-cache') },
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  });
}

/** A forked process that has not exited and can still be talked to. */
export function usable(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.connected;
}

export function spawnWorker(opts: WorkerSpawnOptions): WorkerProcess {
  const child = opts.child !== undefined && usable(opts.child) ? opts.child : forkWorkerProcess(`g${opts.generation}#${opts.index}`, opts.uid, opts.gid);
  let resolveExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExit = r));
  const worker: WorkerProcess = {
    generation: opts.generation,
    index: opts.index,
    pid: child.pid ?? -1,
    startedAt: Date.now(),
    state: 'starting',
    readyGeneration: 0,
    activeGeneration: 0,
    leaving: false,
    exited,
    send(msg) {
      if (child.connected) child.send(msg, undefined, undefined, () => {});
    },
    sendListener(key, handle, spare = false) {
      sendListener(child, key, handle, spare);
    },
    kill(signal = 'SIGKILL') {
      if (worker.state !== 'exited') child.kill(signal);
    },
  };
  child.on('message', (msg: unknown) => {
    if (isWorkerToMaster(msg)) opts.onMessage(worker, msg);
  });
  // A failed IPC write (worker died meanwhile) must never take the master down.
  child.on('error', () => {});
  child.on('exit', (code, signal) => {
    worker.state = 'exited';
    resolveExit({ code, signal });
    opts.onExit(worker, code, signal);
  });

  const listenerKeys = [...new Set(opts.config.frontends.flatMap((f) => f.binds.map((b) => b.key)))];
  worker.send({
    type: 'init',
    generation: opts.generation,
    index: opts.index,
    workers: opts.workers,
    config: opts.config,
    listenerKeys,
    servers: opts.servers,
    ticketKeys: opts.ticketKeys,
  });
  for (const key of listenerKeys) {
    const l = opts.listeners.get(key);
    if (l !== undefined) worker.sendListener(key, l.handle);
  }
  return worker;
}

/** A copy of a listening socket over the IPC channel (SCM_RIGHTS). */
function sendListener(child: ChildProcess, key: string, handle: ListenHandle, spare: boolean): void {
  const msg: MasterToWorker = spare ? { type: 'listener', key, spare: true } : { type: 'listener', key };
  // The channel accepts raw libuv handles as well as net.Server objects; its types only say the latter.
  if (child.connected) child.send(msg, handle as unknown as net.Server, () => {});
}

export type { TcpHandle };
