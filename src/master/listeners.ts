// The master's registry of listening sockets. Each socket is bound once, by the master, and kept
// for as long as the configuration names its address; workers of every generation receive a copy
// of the same kernel socket, so reloads never close a socket that has connections queued on it.
// A unix socket's file is put at its path once a generation accepts on it (`publish`), and removed
// when the socket goes (unix-listener.ts).
import net from 'node:net';
import os from 'node:os';
import type { Bind, TcpBind } from '../config/model.ts';
import { bindUnixListener, type PipeHandle, type UnixListenerFile } from './unix-listener.ts';

/** libuv TCP handle as created by Node's internal `net._createServerHandle`. */
export interface TcpHandle {
  close(cb?: () => void): void;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
}

type CreateServerHandle = (
  address: string | null,
  port: number,
  addressType: number,
  fd: number | undefined,
  flags: number,
) => TcpHandle | number;

// Node's own cluster module binds in the primary this way (bound, not listening): the primary never
// accepts, the first worker to call listen() on its copy turns the shared socket into a listener.
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

// UV_TCP_REUSEPORT: every handoff listener sets SO_REUSEPORT (as HAProxy does) so that a legacy
// `-sf` instance can bind the same address next to a running one.
const UV_TCP_REUSEPORT = 2;

export interface ListenerError {
  key: string;
  message: string;
  bind: Bind;
}

/** What workers receive a copy of: a TCP or a unix socket. */
export type ListenHandle = TcpHandle | PipeHandle;

export interface Listener {
  key: string;
  handle: ListenHandle;
  /** The port actually bound (differs from the configured one only for port 0); 0 for a unix socket. */
  port: number;
  /** A unix socket's file. */
  file?: UnixListenerFile;
}

export interface ListenerRegistry {
  /** Bind every address of `binds` not already held. All-or-nothing: on error nothing new is kept. */
  acquire(binds: Bind[]): ListenerError[];
  /** Once a generation accepts on them: put the unix sockets at their paths, apply changed file
   * settings to the kept ones. What could not be done, to log (the sockets keep serving). */
  publish(): string[];
  /** Close the master's copy of every socket whose key is not in `keep` (and remove its file if it is a unix socket still ours). */
  release(keep: Set<string>): string[];
  get(key: string): Listener | undefined;
  keys(): string[];
  closeAll(): void;
}

function errnoName(code: number): string {
  const entry = Object.entries(os.constants.errno).find(([, v]) => v === -code);
  return entry ? entry[0] : `error ${code}`;
}

function bindError(bind: TcpBind, code: number): string {
  const name = errnoName(code);
  const hint = name === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : name === 'EADDRNOTAVAIL' ? ' (no such local address)' : name === 'EADDRINUSE' ? ' (another program listens there)' : '';
  return `cannot bind ${bind.key}: ${name}${hint}`;
}

export function bindListener(bind: Bind): Listener | string {
  if (bind.unix !== undefined) {
    const file = bindUnixListener(bind.unix);
    return typeof file === 'string' ? file : { key: bind.key, handle: file.handle, port: 0, file };
  }
  const family = net.isIPv6(bind.host) ? 6 : 4;
  const result = createServerHandle(bind.host, bind.port, family, undefined, UV_TCP_REUSEPORT);
  if (typeof result === 'number') return bindError(bind, result);
  // libuv defers a bind error (EADDRINUSE) until listen(); getsockname reports it now, so the
  // master can refuse the configuration instead of a worker failing later.
  const out: { port?: number } = {};
  const err = result.getsockname(out);
  if (err !== 0) {
    result.close();
    return bindError(bind, err);
  }
  return { key: bind.key, handle: result, port: out.port ?? bind.port };
}

function closeListener(l: Listener): void {
  if (l.file !== undefined) l.file.close();
  else l.handle.close();
}

export function createListenerRegistry(): ListenerRegistry {
  const held = new Map<string, Listener>();
  /** The unix file settings the last acquire asked for, applied by `publish`. */
  let wanted: Bind[] = [];
  return {
    acquire(binds) {
      const fresh: Listener[] = [];
      const errors: ListenerError[] = [];
      for (const bind of binds) {
        if (held.has(bind.key) || fresh.some((l) => l.key === bind.key)) continue;
        const l = bindListener(bind);
        if (typeof l === 'string') errors.push({ key: bind.key, message: l, bind });
        else fresh.push(l);
      }
      if (errors.length > 0) {
        for (const l of fresh) closeListener(l);
        return errors;
      }
      for (const l of fresh) held.set(l.key, l);
      wanted = binds;
      return [];
    },
    publish() {
      const problems: string[] = [];
      for (const bind of wanted) {
        const file = held.get(bind.key)?.file;
        if (file === undefined || bind.unix === undefined) continue;
        for (const p of [file.update(bind.unix), file.publish()]) if (p !== null) problems.push(`${bind.loc.file}:${bind.loc.line}: ${p}`);
      }
      return problems;
    },
    release(keep) {
      const closed: string[] = [];
      for (const [key, l] of held) {
        if (keep.has(key)) continue;
        closeListener(l);
        held.delete(key);
        closed.push(key);
      }
      return closed;
    },
    get: (key) => held.get(key),
    keys: () => [...held.keys()],
    closeAll() {
      for (const l of held.values()) closeListener(l);
      held.clear();
    },
  };
}
