// The sessions a worker holds with one server, so that the master's health verdict can end them:
// `on-marked-down shutdown-sessions` (the server went DOWN: its sessions are closed, logged with
// termination 'D') and `on-marked-up shutdown-backup-sessions` (an active server came back: the
// backups' sessions are closed, 'U'). The verdict reaches the worker as a `servers` message.
import type { Socket } from 'node:net';
import type { Server } from '../config/model.ts';
import { SlotSet } from './slot-set.ts';

/** Why a session is ended: HAProxy's first termination letter, 'D' (down), 'U' (up) or 'K'
 * (killed from the runtime API: `shutdown sessions server`). */
export type Shutdown = 'D' | 'U' | 'K';

/** A session open with a server: how to end it, and its client-side socket (for `show sess`). */
export interface Session {
  shutdown(why: Shutdown): void;
  readonly clientSocket: Socket | undefined;
  /** Its place in the server's sessions (SlotSet), -1 outside. */
  sessionSlot: number;
}

export interface ServerSessions {
  /** Register a session while it is open (the exchange itself: nothing allocated per request). */
  add(session: Session): void;
  remove(session: Session): void;
  /** The client sockets of the sessions registered with one. */
  clients(): IterableIterator<Socket | undefined>;
  /** End every registered session; returns how many. */
  killAll(why: Shutdown): number;
  readonly size: number;
}

/** A connection-long session (a tcp relay, a tunnel) registered with its server: `shutdown` ends
 * both sides. Returns its removal. */
export function addPairSession(sessions: ServerSessions, client: Socket, upstream: Socket, onShutdown?: (why: Shutdown) => void): () => void {
  const session: Session = {
    shutdown(why) {
      onShutdown?.(why);
      upstream.destroy();
      client.destroy();
    },
    clientSocket: client,
    sessionSlot: -1,
  };
  sessions.add(session);
  return () => sessions.remove(session);
}

export function createServerSessions(): ServerSessions {
  const open = new SlotSet<Session, 'sessionSlot'>('sessionSlot');
  return {
    add(session) {
      open.add(session);
    },
    remove(session) {
      open.delete(session);
    },
    *clients() {
      for (const s of open.values()) yield s.clientSocket;
    },
    killAll(why) {
      const all = open.clear();
      for (const s of all) s.shutdown(why);
      return all.length;
    },
    get size() {
      return open.size;
    },
  };
}

/** What the verdict needs of a server's runtime state. */
export interface SessionHolder {
  readonly server: Server;
  readonly sessions: ServerSessions;
  weight: number;
  readonly backend: { readonly servers: readonly SessionHolder[] };
}

/** A server's health changed from `wasUp` to `up`: apply its on-marked-down / on-marked-up. */
export function healthChanged(srv: SessionHolder, wasUp: boolean, up: boolean): void {
  const s = srv.server;
  if (wasUp && !up && s.onMarkedDown === 'shutdown-sessions') srv.sessions.killAll('D');
  // HAProxy: only for an active server that may take traffic (weight > 0).
  if (!wasUp && up && s.onMarkedUp === 'shutdown-backup-sessions' && !s.backup && srv.weight > 0) {
    for (const other of srv.backend.servers) if (other.server.backup) other.sessions.killAll('U');
  }
}
