// Acts as the master for worker tests: binds listening handles the way the master does, forks
// src/worker/main.ts, runs the init/listener protocol, and captures what the worker reports.
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Backend, Bind, Config, Frontend, HttpRules, Server, TcpBind, Timeouts } from '../../src/config/model.ts';
import type { MasterToWorker, ServerStates, StatsSnapshot, WorkerToMaster } from '../../src/ipc/messages.ts';

import { WORKER_ENTRY, WORKER_V8_FLAGS } from '../../src/master/worker-process.ts';
const LOC = { file: 'test.cfg', line: 1 };

/** libuv TCP handle as returned by net._createServerHandle (internal, typed here for tests). */
export interface RawTcpHandle {
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(cb?: () => void): void;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd: number | undefined, flags: number) => RawTcpHandle | number;

/** A bound, not yet listening socket — what the master passes to workers. */
export function bindHandle(host = '127.0.0.1', port = 0): { handle: RawTcpHandle; port: number } {
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = create(host, port, 4, undefined, 0);
  if (typeof handle === 'number') throw new Error(`cannot bind ${host}:${port}: error ${handle}`);
  const out: { port?: number } = {};
  handle.getsockname(out);
  return { handle, port: out.port ?? 0 };
}

export const defaultTimeouts = (): Timeouts => ({ connect: 1000, client: 10_000, server: 10_000 });

export function makeServer(backend: string, name: string, port: number, extra: Partial<Server> = {}): Server {
  return {
    id: `${backend}/${name}`, name, host: '127.0.0.1', port, weight: 1, check: false, inter: 2000, rise: 2, fall: 3,
    backup: false, disabled: false, observe: 'none', errorLimit: 10, onError: 'fail-check', loc: LOC, ...extra,
  };
}

/** Empty HTTP rule lists; tests fill the ones they need. */
export function noRules(extra: Partial<HttpRules> = {}): HttpRules {
  return { httpRequest: [], redirects: [], httpResponse: [], httpAfterResponse: [], ...extra };
}

export function makeBackend(name: string, ports: number[], extra: Partial<Backend> = {}): Backend {
  return {
    name, mode: 'http', balance: 'roundrobin', balanceOptions: {}, hashType: { method: 'map-based', fn: 'sdbm', avalanche: false }, persist: false,
    servers: ports.map((p, i) => makeServer(name, `s${i + 1}`, p)),
    retries: 0, retryOn: { conditions: ['conn-failure'], statuses: [] }, redispatch: false, redispatchInterval: -1,
    forwardFor: false, httpServerClose: false,
    http: noRules(), timeouts: defaultTimeouts(), healthCheck: { kind: 'connect', rules: [{ action: 'connect', implicit: true }], disableOn404: false }, errorfiles: {}, loc: LOC,
    ...extra,
  };
}

export function makeBind(key: string, port: number, extra: Partial<TcpBind> = {}): Bind {
  return { key, host: '127.0.0.1', port, loc: LOC, ...extra };
}

export function makeFrontend(name: string, binds: Bind[], extra: Partial<Frontend> = {}): Frontend {
  return {
    name, mode: 'http', binds, useBackends: [], http: noRules(),
    forwardFor: false, httpServerClose: false, clientKeepAlive: true, logFormat: null, logTargets: [],
    dontLogNull: false, timeouts: defaultTimeouts(), errorfiles: {}, loc: LOC, ...extra,
  };
}

export function makeConfig(frontends: Frontend[], backends: Backend[]): Config {
  return { file: '/test/handoff.cfg', global: { statsSockets: [], logTargets: [], daemon: false }, frontends, backends };
}

export interface WorkerHandle {
  child: ChildProcess;
  pid: number;
  messages: WorkerToMaster[];
  stdout: () => string;
  stderr: () => string;
  send(msg: MasterToWorker): void;
  drain(hardStopAfterMs?: number): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(): void;
  waitFor<T extends WorkerToMaster['type']>(type: T, timeoutMs?: number): Promise<Extract<WorkerToMaster, { type: T }>>;
  /** Sum of every `counters` delta received so far for one object and field. */
  counter(key: string, field: string): number;
}

export interface StartOptions {
  config: Config;
  /** Listener key → bound handle. */
  handles: Map<string, RawTcpHandle>;
  servers?: ServerStates;
  generation?: number;
  ticketKeys?: string;
  /** Answer stats requests with this snapshot (none: never answer). */
  snapshot?: StatsSnapshot;
  /** Wait for `ready` (default) or return as soon as the child is started. */
  waitReady?: boolean;
  /** Extra Node flags for the worker, e.g. `--cpu-prof` for benchmarks. */
  execArgv?: string[];
}

export const TEST_TICKET_KEYS = Buffer.alloc(48, 7).toString('base64');

export async function startWorker(opts: StartOptions): Promise<WorkerHandle> {
  const child = fork(WORKER_ENTRY, [], {
    execPath: process.execPath,
    execArgv: [...WORKER_V8_FLAGS, ...process.execArgv, ...(opts.execArgv ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const messages: WorkerToMaster[] = [];
  const waiters: { type: string; resolve: (m: WorkerToMaster) => void }[] = [];
  child.on('message', (m: WorkerToMaster) => {
    messages.push(m);
    if (m.type === 'stats-request' && opts.snapshot !== undefined && child.connected) {
      child.send({ type: 'stats', requestId: m.requestId, snapshot: opts.snapshot } satisfies MasterToWorker);
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.type === m.type) {
        waiters.splice(i, 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const send = (msg: MasterToWorker, handle?: RawTcpHandle): void => {
    if (child.connected) child.send(msg, handle as unknown as net.Server | undefined);
  };
  const waitFor = <T extends WorkerToMaster['type']>(type: T, timeoutMs = 10_000): Promise<Extract<WorkerToMaster, { type: T }>> => {
    const seen = messages.find((m) => m.type === type);
    if (seen !== undefined) return Promise.resolve(seen as Extract<WorkerToMaster, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker sent no '${type}' within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m as Extract<WorkerToMaster, { type: T }>); } });
      void exited.then(() => setTimeout(() => { clearTimeout(timer); reject(new Error(`worker exited before sending '${type}'; stderr: ${err}`)); }, 50));
    });
  };
  send({
    type: 'init',
    generation: opts.generation ?? 1,
    index: 0,
    workers: 1,
    config: opts.config,
    listenerKeys: [...opts.handles.keys()],
    servers: opts.servers ?? {},
    ticketKeys: opts.ticketKeys ?? TEST_TICKET_KEYS,
  });
  for (const [key, handle] of opts.handles) send({ type: 'listener', key }, handle);
  const worker: WorkerHandle = {
    child,
    pid: child.pid ?? 0,
    messages,
    stdout: () => out,
    stderr: () => err,
    send: (msg) => send(msg),
    drain: (hardStopAfterMs = 0) => send({ type: 'drain', hardStopAfterMs }),
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitFor,
    counter(key, field) {
      let sum = 0;
      for (const m of messages) if (m.type === 'counters') sum += m.deltas[key]?.[field] ?? 0;
      return sum;
    },
  };
  if (opts.waitReady !== false) {
    try {
      await waitFor('ready');
    } catch (e) {
      worker.kill();
      throw e;
    }
  }
  return worker;
}
