// Unix-socket servers for the runtime API: the master socket (`-S`, level admin) and every
// `stats socket` of the configuration. One command per connection line; the answer, then close
// (as HAProxy's non-interactive CLI). The first byte of the answer tells success: handoff's
// clients read a trailing status line `\0ok` / `\0error` that HAProxy clients would ignore.
//
// A client of a `mode 666` socket is anyone on the host, and the master is root and runs reloads
// and health checks: whatever a client does costs the master a bounded amount of memory and time.
// A line is at most MAX_LINE bytes, kept as the chunks received (no concatenation per read); at
// most `maxconn` clients are served per socket, `backlog` more wait unread, others are refused;
// a client that sends nothing, or does not read its answer, for `timeoutMs` is closed; nothing
// is read from a client while its command runs.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { executeCommand, type AccessLevel } from './commands.ts';
import type { AdminTarget } from './target.ts';
import { cannotBind, MAX_UNIX_PATH, reasonOf, unixPathProblem } from '../config/stats-sockets.ts';

export const STATUS_OK = '\0ok\n';
export const STATUS_ERROR = '\0error\n';

/** A command line, newline included: HAProxy's default tune.bufsize, the most its CLI reads. */
export const MAX_LINE = 16_384;
/** HAProxy's defaults for `stats maxconn` and `stats timeout`. */
export const DEFAULT_MAXCONN = 10;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface SocketSettings {
  level: AccessLevel;
  mode?: number;
  /** Clients served at once. */
  maxconn: number;
  /** Clients accepted but not read until a slot frees; beyond, a client is refused at once. */
  backlog: number;
  /** Idle limit: nothing received while waiting for the line, nothing read of the answer. 0: none. */
  timeoutMs: number;
}

export interface ControlSocket {
  path: string;
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
}

/** What serving one client needs from its socket. */
interface ClientContext {
  target: AdminTarget;
  ready: Promise<unknown>;
  settings(): SocketSettings;
}

// Called with the answer: the client must read it within the idle limit. The connection closes
// when both sides are done (the client closes its side on the end of the answer) or at the
// limit; what the client still sends is discarded, beyond a line's worth it is cut at once.
function answer(conn: net.Socket, text: string, timeoutMs: number): void {
  if (conn.destroyed) return;
  conn.setTimeout(timeoutMs);
  conn.end(text);
  let discarded = 0;
  conn.on('data', (d: Buffer) => {
    discarded += d.length;
    if (discarded > MAX_LINE) conn.destroy();
  });
  conn.resume();
}

/** Read one command line (at most MAX_LINE bytes), run it, answer. */
function serveClient(conn: net.Socket, ctx: ClientContext): void {
  conn.setTimeout(ctx.settings().timeoutMs);
  const chunks: Buffer[] = [];
  let size = 0;
  const stopReading = () => {
    conn.off('data', onData);
    conn.off('end', onEnd);
    conn.pause();
  };
  const run = async (line: string) => {
    stopReading();
    conn.setTimeout(0); // a reload may take longer than the idle limit
    await ctx.ready;
    const r = await executeCommand(ctx.target, line, ctx.settings().level);
    answer(conn, r.output + (r.ok ? STATUS_OK : STATUS_ERROR), ctx.settings().timeoutMs);
  };
  const onData = (chunk: Buffer) => {
    const nl = chunk.indexOf(10);
    const lineBytes = size + (nl < 0 ? chunk.length : nl + 1);
    if (lineBytes > MAX_LINE) {
      stopReading();
      chunks.length = 0;
      answer(conn, `request too long: a command line is limited to ${MAX_LINE} bytes (HAProxy's tune.bufsize); closing\n${STATUS_ERROR}`, ctx.settings().timeoutMs);
      return;
    }
    if (nl < 0) {
      chunks.push(chunk);
      size += chunk.length;
      return;
    }
    chunks.push(chunk.subarray(0, nl));
    void run(Buffer.concat(chunks).toString('utf8'));
  };
  // A client that half-closes after a line without its newline (`printf 'show info' | socat`).
  const onEnd = () => {
    if (size > 0) void run(Buffer.concat(chunks).toString('utf8'));
    else conn.destroy();
  };
  conn.on('data', onData);
  conn.on('end', onEnd);
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
    conn.end(`too many clients on this socket (stats maxconn ${maxconn}, ${backlog} waiting); try again later\n${STATUS_ERROR}`, () => conn.destroy());
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
async function bindUnixSocket(server: net.Server, socketPath: string, mode: number | undefined) {
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

/** Rejects with HAProxy's wording: `cannot bind UNIX socket (No such file or directory) [PATH]`. */
export async function openControlSocket(target: AdminTarget, socketPath: string, opts: OpenOptions): Promise<ControlSocket> {
  if (opts.mkdir === true) fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  const problem = await unixPathProblem(socketPath);
  if (problem !== null) throw new Error(problem);
  let settings: SocketSettings = { level: opts.level, maxconn: opts.maxconn, backlog: opts.backlog, timeoutMs: opts.timeoutMs, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) };
  const ctx: ClientContext = { target, ready: opts.ready ?? Promise.resolve(), settings: () => settings };
  const admission = createAdmission(ctx.settings, (conn) => serveClient(conn, ctx));
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, admission.accept);
  const file = await bindUnixSocket(server, socketPath, settings.mode);
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
