// The master's registry of listening sockets. Each socket is bound once, by the master, and kept
// for as long as the configuration names its address; workers of every generation receive a copy
// of the same kernel socket, so reloads never close a socket that has connections queued on it.
import net from 'node:net';
import os from 'node:os';
import type { Bind } from '../config/model.ts';

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

export interface Listener {
  key: string;
  handle: TcpHandle;
  /** The port actually bound (differs from the configured one only for port 0). */
  port: number;
}

export interface ListenerRegistry {
  /** Bind every address of `binds` not already held. All-or-nothing: on error nothing new is kept. */
  acquire(binds: Bind[]): ListenerError[];
  /** Close the master's copy of every socket whose key is not in `keep`. */
  release(keep: Set<string>): string[];
  get(key: string): Listener | undefined;
  keys(): string[];
  closeAll(): void;
}

function errnoName(code: number): string {
  const entry = Object.entries(os.constants.errno).find(([, v]) => v === -code);
  return entry ? entry[0] : `error ${code}`;
}

function bindError(bind: Bind, code: number): string {
  const name = errnoName(code);
  const hint = name === 'EACCES' ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : name === 'EADDRNOTAVAIL' ? ' (no such local address)' : name === 'EADDRINUSE' ? ' (another program listens there)' : '';
  return `cannot bind ${bind.key}: ${name}${hint}`;
}

export function bindListener(bind: Bind): Listener | string {
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

export function createListenerRegistry(): ListenerRegistry {
  const held = new Map<string, Listener>();
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
        for (const l of fresh) l.handle.close();
        return errors;
      }
      for (const l of fresh) held.set(l.key, l);
      return [];
    },
    release(keep) {
      const closed: string[] = [];
      for (const [key, l] of held) {
        if (keep.has(key)) continue;
        l.handle.close();
        held.delete(key);
        closed.push(key);
      }
      return closed;
    },
    get: (key) => held.get(key),
    keys: () => [...held.keys()],
    closeAll() {
      for (const l of held.values()) l.handle.close();
      held.clear();
    },
  };
}
