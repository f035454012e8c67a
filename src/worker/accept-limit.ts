// The accept loop of a worker, with `maxconn` as a limit on the whole process tree.
//
// Every worker accepts from the same kernel socket (a copy of the master's descriptor). A worker
// holds a share of each limit (global `maxconn`, frontend `maxconn`, bind `maxconn`): the shares of
// the workers forked together add up to the limit. At its share a worker stops accepting by
// closing its own copy of the socket — Node cannot pause a listening handle, and accepting then
// closing (net.Server.maxConnections) is what we must not do. The kernel socket stays listening
// (the master and the other workers hold it), so further clients wait in its backlog, or are taken
// by a worker below its share. The worker asks the master for a new copy at once
// (`listener-request`) and listens on it again once it is back below its share (with hysteresis).
// An admitted connection goes to the protocol layer its socket has at that moment (`layerFor`).
import net from 'node:net';
import { handToLayer } from './accepted.ts';
import type { ProtocolLayer } from './protocol.ts';
import type { RouteSet } from './route-sets.ts';

/** One limit as this process sees it: its share, and the connections counted against it now. */
export interface ConnLimit {
  /** Connections this process may hold (Infinity: no limit, 0: never accept here). */
  share: number;
  count: number;
}

/** What a listening socket counts its connections against, and its listen() backlog. */
export interface SocketLimits {
  limits: ConnLimit[];
  backlog: number;
}

export interface AcceptLoopDeps {
  /** The protocol layer socket `key` hands connections to now: each goes to the route set active now. */
  layerFor(key: string): ProtocolLayer | undefined;
  /** Ask the master for another copy of socket `key`; it arrives through `addHandle`. */
  requestHandle(key: string): void;
  onError(key: string, err: Error): void;
}

export interface AcceptLoop {
  /** A copy of socket `key` (at start, for a reload, or the answer to a `requestHandle`). Listened
   * on now if the limits allow, else kept for later. `onReady` once it accepts or is kept. */
  addHandle(key: string, handle: unknown, limits: SocketLimits, onReady?: () => void): void;
  /** Limits changed (reload): pause or resume accordingly. */
  setLimits(key: string, limits: SocketLimits): void;
  has(key: string): boolean;
  keys(): string[];
  /** Socket `key` is no longer ours: stop accepting, drop the copy held. */
  close(key: string): void;
  closeAll(): void;
}

interface Entry {
  key: string;
  limits: ConnLimit[];
  backlog: number;
  /** Accepting now. */
  server: net.Server | undefined;
  /** A copy of the socket not listened on (the next resume uses it). */
  spare: unknown;
  /** A `listener-request` is outstanding. */
  requested: boolean;
  /** Stopped at a limit: resumes only below the low-water mark. */
  paused: boolean;
}

/** Worker `index`'s share of `total` over `workers`: floor or ceil, summing to exactly `total`. */
export function shareOf(total: number | undefined, index: number, workers: number): number {
  if (total === undefined || !Number.isFinite(total)) return Infinity;
  const n = Math.max(1, workers);
  const i = ((index % n) + n) % n;
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** Resume below share minus this: a worker hovering at its limit does not close and re-listen on
 * every connection that ends (each pause costs a close and a message to the master). */
export function hysteresis(share: number): number {
  if (!Number.isFinite(share)) return 0;
  return Math.max(1, Math.min(32, Math.floor(share / 20)));
}

const full = (limits: ConnLimit[]): boolean => limits.some((l) => l.count >= l.share);
const belowLowWater = (limits: ConnLimit[]): boolean => limits.every((l) => l.count <= l.share - hysteresis(l.share));

function closeHandle(handle: unknown): void {
  try {
    (handle as { close?: () => void }).close?.();
  } catch {
    // already closed
  }
}

/** The listen() backlog of a socket no maxconn bounds (the kernel caps it at net.core.somaxconn). */
const UNLIMITED_BACKLOG = 4096;

/** This process's limits for a socket under a route set: global, frontend (0: the global one) and
 * bind `maxconn`, each its share (`share`); the backlog is the frontend's maxconn (HAProxy's). */
export function createSocketLimits(share: (total: number | undefined) => number): (set: RouteSet, key: string) => SocketLimits {
  /** This process's share of each maxconn (`global`, `fe:NAME`, `bind:KEY`), kept across reloads
   * so that connections already open keep counting. */
  const connLimits = new Map<string, ConnLimit>();
  const limitOf = (id: string, total: number | undefined): ConnLimit => {
    let l = connLimits.get(id);
    if (l === undefined) connLimits.set(id, (l = { share: Infinity, count: 0 }));
    l.share = share(total);
    return l;
  };
  return (set, key) => {
    const route = set.routes.get(key);
    // A socket none of our frontends uses: held, never accepted on.
    if (route === undefined) return { limits: [{ share: 0, count: 0 }], backlog: 511 };
    const g = set.config.global.maxconn;
    const fe = route.fe.frontend;
    const feMax = fe.maxconn || g;
    const bindMax = fe.binds.find((b) => b.key === key)?.maxconn;
    const limits = [limitOf('global', g), limitOf(`fe:${fe.name}`, feMax)];
    if (bindMax !== undefined) limits.push(limitOf(`bind:${key}`, bindMax));
    // No maxconn at all: HAProxy's default maxconn comes from the file limit (thousands), and so
    // does its backlog; 511 made a burst of 1000 new clients wait for SYN retransmissions (~1 s).
    return { limits, backlog: Math.min(65535, Math.max(511, bindMax ?? feMax ?? UNLIMITED_BACKLOG)) };
  };
}

/** One accept loop's state, private to it. */
interface Loop {
  readonly deps: AcceptLoopDeps;
  readonly entries: Map<string, Entry>;
  /** Accepted while a limit was reached: held unread, admitted in order as slots free. A limit is
   * checked and the socket closed synchronously in the accept callback, before libuv accepts the
   * next connection of its loop, so this stays empty in practice; it is the safe answer if not. */
  readonly waiting: { entry: Entry; sock: net.Socket }[];
  anyPaused: boolean;
}

export function createAcceptLoop(deps: AcceptLoopDeps): AcceptLoop {
  const loop: Loop = { deps, entries: new Map(), waiting: [], anyPaused: false };
  return {
    addHandle: (key, handle, limits, onReady) => addHandle(loop, key, handle, limits, onReady),
    setLimits: (key, limits) => setLimits(loop, key, limits),
    has: (key) => loop.entries.has(key),
    keys: () => [...loop.entries.keys()],
    close: (key) => close(loop, key),
    closeAll() {
      for (const key of [...loop.entries.keys()]) close(loop, key);
    },
  };
}

/** What an admitted socket counts against, riding on it: one shared close listener, no closure per connection. */
const kAdmitted = Symbol('handoff.admitted');
type Admitted = net.Socket & { [kAdmitted]?: { loop: Loop; limits: ConnLimit[] } };

function admittedClosed(this: Admitted): void {
  const a = this[kAdmitted];
  if (a === undefined) return;
  this[kAdmitted] = undefined;
  for (const l of a.limits) l.count--;
  slotFreed(a.loop);
}

function admit(loop: Loop, entry: Entry, sock: net.Socket): void {
  const limits = entry.limits;
  for (const l of limits) l.count++;
  (sock as Admitted)[kAdmitted] = { loop, limits };
  sock.on('close', admittedClosed);
  if (full(limits)) pauseFull(loop);
  handToLayer(loop.deps.layerFor(entry.key), sock);
}

function onAccept(loop: Loop, entry: Entry, sock: net.Socket): void {
  if (full(entry.limits)) {
    sock.pause();
    sock.on('error', noop);
    loop.waiting.push({ entry, sock });
    sock.once('close', () => {
      const i = loop.waiting.findIndex((w) => w.sock === sock);
      if (i !== -1) loop.waiting.splice(i, 1);
    });
    pauseFull(loop);
    return;
  }
  admit(loop, entry, sock);
}

/** Stop accepting on every socket one of whose limits is reached (a global limit stops all). */
function pauseFull(loop: Loop): void {
  for (const e of loop.entries.values()) if (e.server !== undefined && full(e.limits)) pause(loop, e);
}

function pause(loop: Loop, e: Entry): void {
  const server = e.server;
  e.server = undefined;
  e.paused = true;
  loop.anyPaused = true;
  // Our copy of the descriptor only: the kernel socket stays listening, its backlog intact, and
  // the connections accepted from it are untouched.
  server?.close();
  want(loop, e);
}

/** Make sure a copy will be there when the socket resumes. */
function want(loop: Loop, e: Entry): void {
  if (e.spare !== undefined || e.requested) return;
  e.requested = true;
  loop.deps.requestHandle(e.key);
}

function slotFreed(loop: Loop): void {
  const waiting = loop.waiting;
  while (waiting.length > 0) {
    const i = waiting.findIndex((w) => !full(w.entry.limits) && loop.entries.get(w.entry.key) === w.entry);
    if (i === -1) break;
    const [w] = waiting.splice(i, 1);
    if (w === undefined || w.sock.destroyed) continue;
    admit(loop, w.entry, w.sock);
    w.sock.resume();
  }
  if (loop.anyPaused) resumeAll(loop);
}

function resumeAll(loop: Loop): void {
  let still = false;
  for (const e of loop.entries.values()) {
    if (e.server === undefined) evaluate(loop, e);
    if (e.paused) still = true;
  }
  loop.anyPaused = still;
}

/** Listen if the limits allow, else stay paused with a copy at hand. */
function evaluate(loop: Loop, e: Entry, onReady?: () => void): void {
  if (e.server !== undefined) {
    if (full(e.limits)) pause(loop, e);
    onReady?.();
    return;
  }
  const canAccept = e.paused ? belowLowWater(e.limits) && !full(e.limits) : !full(e.limits);
  if (!canAccept) {
    if (!e.paused) {
      e.paused = true;
      loop.anyPaused = true;
    }
    if (e.limits.every((l) => l.share > 0)) want(loop, e);
    onReady?.();
    return;
  }
  if (e.spare === undefined) {
    want(loop, e);
    onReady?.();
    return;
  }
  const handle = e.spare;
  e.spare = undefined;
  e.paused = false;
  // allowHalfOpen as http.Server itself does: a client may send its request then shut down writes.
  const server = net.createServer({ pauseOnConnect: false, noDelay: true, allowHalfOpen: true }, (sock) => onAccept(loop, e, sock));
  server.on('error', (err) => loop.deps.onError(e.key, err));
  e.server = server;
  listenOn(server, handle, e.backlog, onReady);
}

/** Node's listen() adopts a TCP handle but would open a second wrap over a pipe's descriptor
 * (`{fd}`), leaving the received one to close it again some day. A unix socket's handle is given
 * to the server the way Node's cluster hands a worker its own: one wrap owns the descriptor, and
 * closing the server (pausing) closes exactly it. */
function listenOn(server: net.Server, handle: unknown, backlog: number, onReady?: () => void): void {
  if ((handle as { constructor?: { name?: string } } | null)?.constructor?.name !== 'Pipe') {
    server.listen(handle as net.ListenOptions, backlog, onReady);
    return;
  }
  const internal = server as unknown as { _handle: unknown; _listen2(address: null, port: number, addressType: number, backlog: number): void };
  if (onReady !== undefined) server.once('listening', onReady);
  internal._handle = handle;
  internal._listen2(null, -1, -1, backlog);
}

function addHandle(loop: Loop, key: string, handle: unknown, limits: SocketLimits, onReady?: () => void): void {
  let e = loop.entries.get(key);
  if (e === undefined) {
    e = { key, limits: limits.limits, backlog: limits.backlog, server: undefined, spare: undefined, requested: false, paused: false };
    loop.entries.set(key, e);
  } else {
    e.limits = limits.limits;
    e.backlog = limits.backlog;
  }
  e.requested = false;
  if (e.spare !== undefined || e.server !== undefined) {
    // One copy at hand is enough.
    if (e.spare === undefined) e.spare = handle;
    else closeHandle(handle);
  } else {
    e.spare = handle;
  }
  evaluate(loop, e, onReady);
}

function setLimits(loop: Loop, key: string, limits: SocketLimits): void {
  const e = loop.entries.get(key);
  if (e === undefined) return;
  e.limits = limits.limits;
  e.backlog = limits.backlog;
  if (e.server !== undefined && full(e.limits)) pause(loop, e);
  else if (e.server === undefined) evaluate(loop, e);
  slotFreed(loop);
}

function close(loop: Loop, key: string): void {
  const e = loop.entries.get(key);
  if (e === undefined) return;
  loop.entries.delete(key);
  e.server?.close();
  e.server = undefined;
  if (e.spare !== undefined) closeHandle(e.spare);
  e.spare = undefined;
  // Accepted, so served: over the limit for a moment rather than closed unanswered.
  for (const w of loop.waiting.filter((x) => x.entry === e)) {
    loop.waiting.splice(loop.waiting.indexOf(w), 1);
    if (w.sock.destroyed) continue;
    admit(loop, e, w.sock);
    w.sock.resume();
  }
}

function noop(): void {}
