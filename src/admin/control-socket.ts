// The runtime-API servers: the master socket (`-S`, level admin, HAProxy's master CLI) and every
// `stats socket` of the configuration (unix or TCP). What a client sends is cut into requests and
// answered as HAProxy's CLI does (src/admin/cli-session.ts): one-shot (answers, each followed by
// an empty line, then close), pipelined requests, or interactive with `prompt`.
//
// A client of a `mode 666` socket is anyone on the host, and the master is root and runs reloads
// and health checks: whatever a client does costs the master a bounded amount of memory and time.
// A request is at most MAX_LINE bytes (more without a delimiter: answered and closed); at most
// `maxconn` clients are served per socket, `backlog` more wait unread, others are refused; a
// client that sends nothing, or does not read its answer, for `timeoutMs` is closed; nothing is
// read from a client while its request runs or its answer is unread.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { AccessLevel, SocketDescription } from './command.ts';
import type { AdminTarget } from './target.ts';
import { takeRequest } from './cli-input.ts';
import { createSession, type CliSession } from './cli-session.ts';
import { cannotBind, MAX_UNIX_PATH, parseSocketAddress, reasonOf, unixPathProblem, type SocketAddress } from '../config/stats-sockets.ts';

export { STATUS_OK, STATUS_ERROR } from './cli-status.ts';

/** A command line, newline included: HAProxy's default tune.bufsize, the most its CLI reads. */
export const MAX_LINE = 16_384;
/** HAProxy's defaults for `stats maxconn` and `stats timeout`. */
export const DEFAULT_MAXCONN = 10;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface SocketSettings {
  level: AccessLevel;
  mode?: number;
  /** `user` / `uid`, `group` / `gid` of a unix socket: its owner, set at bind (as HAProxy's chown). */
  uid?: number;
  gid?: number;
  /** Clients served at once. */
  maxconn: number;
  /** Clients accepted but not read until a slot frees; beyond, a client is refused at once. */
  backlog: number;
  /** Idle limit: nothing received while waiting for the line, nothing read of the answer. 0: none. */
  timeoutMs: number;
}

export interface ControlSocket {
  /** The address as configured: a path, or `ipv4@HOST:PORT`… */
  path: string;
  /** As `show cli sockets` lists it: `unix@/path`, `ipv4@127.0.0.1:9999`. */
  address: string;
  settings(): SocketSettings;
  /** New settings for the next clients (a reload); the mode is applied to the socket file now. */
  update(settings: SocketSettings): void;
  clients(): { served: number; waiting: number };
  /** Put the socket at its path (atomically replacing a previous instance's). */
  publish(): void;
  /** Stop accepting and remove the path; clients already connected finish (bounded by the timeout). */
  close(): void;
}

export interface OpenOptions extends SocketSettings {
  /** Commands wait for it: the sockets are bound before the first generation is started. */
  ready?: Promise<unknown>;
  /** Create a missing directory (only the default master socket's, never a configured path). */
  mkdir?: boolean;
  /** Bind now but leave the path to whoever has it until `publish()` (after a successful start). */
  deferPublish?: boolean;
  /** The master socket: HAProxy's master-CLI conventions (`@` prefixes, `master> ` prompt). */
  master?: boolean;
  /** Every runtime-API socket open now (`show cli sockets`). */
  sockets?: () => SocketDescription[];
}

/** What serving one client needs from its socket. */
interface ClientContext {
  target: AdminTarget;
  ready: Promise<unknown>;
  settings(): SocketSettings;
  master: boolean;
  sockets(): SocketDescription[];
}

// The end of a connection: what the client still sends is discarded, beyond a line's worth it is
// cut at once; it closes when both sides are done or at the idle limit.
function finish(conn: net.Socket, text: string, timeoutMs: number): void {
  if (conn.destroyed) return;
  conn.setTimeout(timeoutMs);
  conn.end(text);
  let discarded = 0;
  conn.removeAllListeners('data');
  conn.on('data', (d: Buffer) => {
    discarded += d.length;
    if (discarded > MAX_LINE) conn.destroy();
  });
  conn.resume();
}

function newSession(ctx: ClientContext, idle: { ms: number }): CliSession {
  return createSession({
    target: ctx.target,
    level: ctx.settings().level,
    master: ctx.master,
    sockets: ctx.sockets,
    maxPayload: MAX_LINE,
    setTimeout: (ms) => (idle.ms = ms),
  });
}

/** Cut requests out of what the client sends, run them one at a time, answer each. */
function serveClient(conn: net.Socket, ctx: ClientContext): void {
  const idle = { ms: ctx.settings().timeoutMs };
  const session = newSession(ctx, idle);
  let pending: Buffer = Buffer.alloc(0);
  let busy = false;
  let ended = false;
  const write = (text: string) =>
    new Promise<void>((resolve) => {
      if (text === '' || conn.write(text)) return resolve();
      conn.setTimeout(idle.ms); // a client that does not read its answer is closed at the limit
      conn.once('drain', resolve);
      conn.once('close', resolve);
    });
  const pump = async () => {
    if (busy) return;
    busy = true;
    conn.pause();
    for (let req = takeRequest(pending, session.inPayload()); req !== null; req = takeRequest(pending, session.inPayload())) {
      pending = pending.subarray(req.consumed);
      conn.setTimeout(0); // a reload may take longer than the idle limit
      await ctx.ready;
      const reply = await session.request(req.line).catch((err: unknown) => ({ out: `internal error: ${(err as Error).message}\n`, close: true }));
      if (conn.destroyed) return;
      const last = reply.close || (!session.interactive() && !session.inPayload() && pending.length === 0);
      if (last) return finish(conn, reply.out, idle.ms);
      await write(reply.out);
      if (conn.destroyed) return;
    }
    if (pending.length >= MAX_LINE) {
      const msg = `request too long: a command line is limited to ${MAX_LINE} bytes (HAProxy's tune.bufsize); closing\n`;
      return finish(conn, msg + (session.withStatus() ? '\0error\n' : ''), idle.ms);
    }
    // The client closed its side without a complete request: HAProxy answers nothing more.
    if (ended) return finish(conn, '', idle.ms);
    busy = false;
    conn.setTimeout(idle.ms);
    conn.resume();
  };
  conn.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (pending.length > MAX_LINE + 131_072) conn.destroy(); // only what was in flight when reading stopped
    void pump();
  });
  conn.on('end', () => {
    ended = true;
    void pump();
  });
  conn.setTimeout(idle.ms);
  conn.resume();
}

/** At most `maxconn` clients served, `backlog` more waiting unread, the others refused. */
function createAdmission(settings: () => SocketSettings, serve: (conn: net.Socket) => void) {
  const served = new Set<net.Socket>();
  const waiting: net.Socket[] = [];
  const startServing = (conn: net.Socket) => {
    served.add(conn);
    conn.once('close', () => {
      served.delete(conn);
      admitWaiting();
    });
    serve(conn);
  };
  const admitWaiting = () => {
    while (served.size < settings().maxconn && waiting.length > 0) {
      const conn = waiting.shift() as net.Socket;
      if (!conn.destroyed) startServing(conn);
    }
  };
  const accept = (conn: net.Socket) => {
    const { maxconn, backlog } = settings();
    conn.on('error', () => {});
    conn.on('timeout', () => conn.destroy());
    if (served.size < maxconn) return startServing(conn);
    if (waiting.length < backlog) {
      // As HAProxy's listen backlog: not read, no timer, until a slot frees (at the latest when
      // a served client reaches the timeout). It costs a descriptor, no buffer.
      waiting.push(conn);
      conn.once('close', () => {
        const i = waiting.indexOf(conn);
        if (i !== -1) waiting.splice(i, 1);
      });
      return;
    }
    conn.setTimeout(1000);
    conn.end(`too many clients on this socket (stats maxconn ${maxconn}, ${backlog} waiting); try again later\n`, () => conn.destroy());
  };
  return {
    accept,
    admitWaiting,
    clients: () => ({ served: served.size, waiting: waiting.length }),
    /** Close the clients that were never served. */
    closeWaiting: () => {
      for (const conn of waiting.splice(0)) conn.destroy();
    },
  };
}

/**
 * As HAProxy: bind a temporary name, set its mode, rename it over the path on `publish()`. A
 * client never sees the socket with the wrong mode, and a legacy `-sf` successor that fails to
 * start leaves the running instance's socket in place. (libuv unlinks the bound name on close:
 * the temporary one.)
 */
async function bindUnixSocket(server: net.Server, socketPath: string, settings: SocketSettings) {
  const { mode } = settings;
  const tmp = `${socketPath}.${process.pid}.tmp`;
  const bindPath = Buffer.byteLength(tmp) <= MAX_UNIX_PATH ? tmp : socketPath;
  try {
    fs.rmSync(bindPath, { force: true });
  } catch {
    /* listen reports it */
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(cannotBind(socketPath, reasonOf(err)))));
    server.listen(bindPath, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve();
    });
  });
  try {
    if (mode !== undefined) fs.chmodSync(bindPath, mode);
    if (settings.uid !== undefined || settings.gid !== undefined) fs.chownSync(bindPath, settings.uid ?? -1, settings.gid ?? -1);
  } catch (err) {
    server.close();
    throw new Error(cannotBind(socketPath, reasonOf(err)));
  }
  let ino: number | undefined;
  return {
    publish() {
      if (ino !== undefined) return;
      if (bindPath !== socketPath) fs.renameSync(bindPath, socketPath);
      ino = fs.statSync(socketPath).ino;
    },
    chmod(next: number) {
      try {
        fs.chmodSync(ino !== undefined ? socketPath : bindPath, next);
      } catch {
        /* replaced by a successor */
      }
    },
    /** Only remove the path if it is still ours (a legacy successor may have replaced it). */
    unlink() {
      try {
        if (ino !== undefined && fs.statSync(socketPath).ino === ino) fs.unlinkSync(socketPath);
      } catch {
        /* gone */
      }
    },
  };
}

/** A TCP stats socket: nothing to publish or remove. */
async function bindTcpSocket(server: net.Server, addr: Extract<SocketAddress, { kind: 'tcp' }>) {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot bind socket (${reasonOf(err)}) [${addr.host}:${addr.port}]`)));
    server.listen({ host: addr.host, port: addr.port, ipv6Only: addr.family === 'ipv6' }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve();
    });
  });
  return { publish() {}, chmod() {}, unlink() {} };
}

async function bindAddress(server: net.Server, socketPath: string, addr: SocketAddress, settings: SocketSettings, mkdir: boolean) {
  if (addr.kind === 'tcp') return bindTcpSocket(server, addr);
  if (mkdir) fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  const problem = await unixPathProblem(socketPath);
  if (problem !== null) throw new Error(problem);
  return bindUnixSocket(server, socketPath, settings);
}

/** HAProxy's form in `show cli sockets`. */
function describe(addr: SocketAddress): string {
  if (addr.kind === 'unix') return `unix@${addr.path}`;
  return addr.family === 'ipv6' ? `ipv6@[${addr.host}]:${addr.port}` : `ipv4@${addr.host}:${addr.port}`;
}

/** `socketPath` is a path or a TCP address (`ipv4@127.0.0.1:9999`). Rejects with HAProxy's wording: `cannot bind UNIX socket (No such file or directory) [PATH]`. */
export async function openControlSocket(target: AdminTarget, socketPath: string, opts: OpenOptions): Promise<ControlSocket> {
  const addr = parseSocketAddress(socketPath);
  if (typeof addr === 'string') throw new Error(addr);
  const { ready: _r, mkdir: _m, deferPublish: _d, master: _ms, sockets: _s, ...initial } = opts;
  let settings: SocketSettings = initial;
  const address = describe(addr);
  const ctx: ClientContext = {
    target,
    ready: opts.ready ?? Promise.resolve(),
    settings: () => settings,
    master: opts.master === true,
    sockets: opts.sockets ?? (() => [{ address, level: settings.level }]),
  };
  const admission = createAdmission(ctx.settings, (conn) => serveClient(conn, ctx));
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, admission.accept);
  const file = await bindAddress(server, socketPath, addr, settings, opts.mkdir === true);
  if (opts.deferPublish !== true) {
    try {
      file.publish();
    } catch (err) {
      server.close();
      throw new Error(cannotBind(socketPath, reasonOf(err)));
    }
  }
  return {
    path: socketPath,
    address,
    publish: file.publish,
    settings: () => settings,
    update(next) {
      if (next.mode !== undefined && next.mode !== settings.mode) file.chmod(next.mode);
      settings = next;
      admission.admitWaiting();
    },
    clients: admission.clients,
    close() {
      server.close();
      admission.closeWaiting();
      file.unlink();
    },
  };
}

export function defaultSocketPath(): string {
  const base = process.getuid?.() === 0 ? '/run/handoff' : path.join(process.env.XDG_RUNTIME_DIR ?? `/tmp/handoff-${process.getuid?.() ?? 0}`, 'handoff');
  return path.join(base, 'master.sock');
}
