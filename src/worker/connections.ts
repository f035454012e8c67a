// Every client connection of the worker, and the careful drain: stop accepting, finish what is in
// flight, answer kept-alive requests with `Connection: close`, close a kept-alive connection only
// after it has been idle for a grace period (and read nothing since), and never close a
// connection that has not yet sent its first request.
import type { Socket } from 'node:net';
import type { SampleValue } from './match.ts';
import { clientAddress } from './client-address.ts';

/** Per-connection state for the socket the HTTP layer sees (the TLSSocket on TLS frontends). */
export interface ClientConn {
  readonly socket: Socket;
  /** Requests received and not yet answered. */
  active: number;
  /** Responses finished on this connection. */
  served: number;
  /** When the last response finished. */
  idleSinceMs: number;
  /** socket.bytesRead when the last response finished: growth means a request is arriving. */
  bytesReadAtIdle: number;
  /** Upgraded to a WebSocket/tunnel: a drain leaves it open, only a kill ends it early. */
  tunnel: boolean;
  /** Epoch ms the connection was accepted (TLS: handshake done), for %t/%Tt/%TR. */
  acceptMs: number;
  /** Client address, read once per connection (IPv4-mapped prefix stripped; `unix` and the listener id for a unix socket's). */
  clientIp: string;
  clientPort: number;
  /** socket.bytesWritten when the last response finished (per-request `bout` without a second read). */
  bytesWrittenAtIdle: number;
  /** Killed by us (hard-stop-after, too many route sets draining): logged with termination `K`. */
  killed: boolean;
  /** `sess.*` variables (`set-var(sess.x)`), created on first set. */
  vars?: Map<string, SampleValue>;
}

/** The ClientConn rides on its socket: one property load per request instead of a Map lookup. */
const kConn = Symbol('handoff.conn');
/** Its registry's close step, shared by every socket of the registry: no closure per connection. */
const kClosed = Symbol('handoff.registry-close');
type WithConn = Socket & { [kConn]?: ClientConn; [kClosed]?: (s: Socket) => void };

function registryClosed(this: WithConn): void {
  this[kClosed]?.(this);
}

/** Mark a connection as killed by us, so its log line says `K` rather than a client abort. */
export function markKilled(socket: Socket): void {
  const c = (socket as WithConn)[kConn];
  if (c !== undefined) c.killed = true;
}

export interface ConnectionRegistry {
  /** A raw accepted TCP socket; counted until it closes. */
  accepted(raw: Socket): void;
  /** The ClientConn of an HTTP-level socket, created on first use. */
  conn(socket: Socket): ClientConn;
  requestStarted(c: ClientConn): void;
  requestFinished(c: ClientConn): void;
  readonly draining: boolean;
  readonly openCount: number;
  /** Start draining; `onEmpty` runs once when the last connection has closed. */
  drain(graceMs: number, onEmpty: () => void): void;
  /** Kill: destroy everything still open (hard-stop-after, too many route sets draining). */
  killAll(): void;
  /** The raw accepted sockets open now (`show sess`). */
  rawSockets(): IterableIterator<Socket>;
  /** The HTTP-level connections open now (`show sess`). */
  clientConns(): IterableIterator<ClientConn>;
}

export function createConnectionRegistry(): ConnectionRegistry {
  const raw = new Set<Socket>();
  const conns = new Map<Socket, ClientConn>();
  let draining = false;
  let onEmpty: (() => void) | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let grace = 1000;

  function checkEmpty(): void {
    if (!draining || raw.size > 0 || onEmpty === undefined) return;
    const done = onEmpty;
    onEmpty = undefined;
    if (sweeper !== undefined) clearInterval(sweeper);
    done();
  }

  function sweep(): void {
    const now = Date.now();
    for (const c of conns.values()) {
      if (c.active > 0 || c.tunnel || c.served === 0) continue;
      if (now - c.idleSinceMs < grace) continue;
      // Bytes arrived since the last response: a request is on its way; serve it (with close).
      if (c.socket.bytesRead !== c.bytesReadAtIdle) continue;
      c.socket.destroy();
    }
  }

  // One step for the raw socket and the HTTP-level one (the same socket unless TLS).
  function closed(s: Socket): void {
    (s as WithConn)[kClosed] = undefined;
    conns.delete(s);
    if (raw.delete(s)) checkEmpty();
  }

  return {
    accepted(s) {
      raw.add(s);
      (s as WithConn)[kClosed] = closed;
      s.on('close', registryClosed);
    },
    conn(socket) {
      const existing = (socket as WithConn)[kConn];
      if (existing !== undefined) return existing;
      const { ip, port } = clientAddress(socket);
      const c: ClientConn = {
        socket, active: 0, served: 0, idleSinceMs: 0, acceptMs: 0, bytesReadAtIdle: 0, tunnel: false,
        clientIp: ip, clientPort: port,
        bytesWrittenAtIdle: 0, killed: false,
      };
      (socket as WithConn)[kConn] = c;
      conns.set(socket, c);
      if ((socket as WithConn)[kClosed] === undefined) {
        (socket as WithConn)[kClosed] = closed;
        socket.on('close', registryClosed);
      }
      return c;
    },
    requestStarted(c) {
      c.active++;
    },
    requestFinished(c) {
      c.active--;
      c.served++;
      c.idleSinceMs = Date.now();
      c.bytesReadAtIdle = c.socket.bytesRead;
      c.bytesWrittenAtIdle = c.socket.bytesWritten;
    },
    get draining() {
      return draining;
    },
    get openCount() {
      return raw.size;
    },
    drain(graceMs, cb) {
      if (draining) return;
      draining = true;
      grace = graceMs;
      onEmpty = cb;
      sweeper = setInterval(sweep, Math.max(50, Math.min(250, graceMs / 4)));
      sweep();
      checkEmpty();
    },
    rawSockets: () => raw.values(),
    clientConns: () => conns.values(),
    killAll() {
      for (const c of conns.values()) c.killed = true;
      for (const s of raw) s.destroy();
      for (const c of conns.values()) c.socket.destroy();
    },
  };
}
