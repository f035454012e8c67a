// A small keep-alive HTTP/1.1 client for the HTTP data path: one pool per server, one request at a
// time per connection (no pipelining), idle connections reused last-in first-out. It replaces
// undici's Pool on the hot path (see docs/data-path.md, "Measuring"): the request head goes out as
// one write, the response head is parsed with indexOf, the body is framed by Content-Length,
// chunked encoding or the connection's end.
import net from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../config/lazy-builtins.ts';
import type { ServerTls } from '../config/model.ts';
import { serverConnectOptions } from '../config/server-tls-context.ts';
import { chunkedDecoder, writeChunk, type BodyDecoder } from './http1/body.ts';

/** Error codes raised by this client (connect errors keep the system's codes: ECONNREFUSED, …). */
export const UPSTREAM_CONNECT_TIMEOUT = 'UPSTREAM_CONNECT_TIMEOUT';
/** `timeout server` expired before the response head was complete. */
export const UPSTREAM_HEADERS_TIMEOUT = 'UPSTREAM_HEADERS_TIMEOUT';
/** `timeout server` expired while the response body was arriving. */
export const UPSTREAM_BODY_TIMEOUT = 'UPSTREAM_BODY_TIMEOUT';
/** The server closed the connection before the response was complete. */
export const UPSTREAM_SOCKET = 'UPSTREAM_SOCKET';
/** The pool is closed: no new request is taken. */
export const UPSTREAM_CLOSED = 'UPSTREAM_CLOSED';
/** The server's answer is not HTTP/1.x or its framing is invalid. */
export const UPSTREAM_PARSE = 'UPSTREAM_PARSE';
/** The request was aborted by its owner (the client went away). */
export const UPSTREAM_ABORTED = 'UPSTREAM_ABORTED';
/** The client's request body broke its framing: the request cannot be completed (the client gets 400). */
export const UPSTREAM_REQUEST_INVALID = 'UPSTREAM_REQUEST_INVALID';
/** `timeout queue` expired while the request waited for a connection slot (`maxconn`). */
export const UPSTREAM_QUEUE_TIMEOUT = 'UPSTREAM_QUEUE_TIMEOUT';

export type UpstreamError = Error & { code: string; info?: UpstreamFailureInfo };

/** What the connection had been through when an exchange on it failed (for the retry decision). */
export interface UpstreamFailureInfo {
  /** The TCP connection was established (else: a connect failure, nothing was sent). */
  connected: boolean;
  /** The connection had carried an earlier exchange (a kept-alive connection reused). */
  reused: boolean;
  /** Some response byte had arrived for this exchange. */
  received: boolean;
}

function upstreamError(code: string, message: string): UpstreamError {
  const err = new Error(message) as UpstreamError;
  err.code = code;
  return err;
}

/** What the pool calls during one exchange; exactly one of onComplete/onError ends it. */
export interface UpstreamHandler {
  /** Called at dispatch: `abort` cancels the exchange (then onError(UPSTREAM_ABORTED) follows). */
  onConnect(abort: (err?: Error) => void): void;
  /** No connection slot is free (`maxconn`): the request waits in the queue. */
  onQueued?(): void;
  /** A new connection is attempted for the request (`reused` false), or a kept-alive one carries it (true). */
  onConnection?(reused: boolean): void;
  /** The request waited in the queue and now has a connection. */
  onDequeue?(): void;
  /** The whole request (head and body) was written. */
  onRequestSent(): void;
  /** The final response head (1xx other than 101 are skipped); `headers` are name, value pairs.
   * Return false to pause reading until `resume` is called. */
  onHeaders(status: number, headers: string[], resume: () => void, statusText: string): boolean;
  /** A piece of the decoded body; return false to pause reading until `resume` is called. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(err: Error & { code?: string }): void;
}

/** Where a request body goes once the pool is connected: every piece, then the end. */
export interface BodySink {
  data(piece: Buffer): void;
  end(): void;
  /** The client's body cannot be completed: it went away, or (`invalid`) its framing broke. */
  abort(reason: string, invalid: boolean): void;
}

/** A request body as the pool reads it: lazily (only once connected, so a failed connect consumed
 * none of it), with backpressure. */
export interface RequestBody {
  /** Deliver to `sink` from now on (once). */
  start(sink: BodySink): void;
  pause(): void;
  resume(): void;
  /** The pool wants no more of it (the response ended first, or the exchange failed). */
  stop(): void;
}

export interface UpstreamRequest {
  method: string;
  path: string;
  /** Name, value pairs, hop-by-hop headers already removed. */
  headers: string[];
  /** Streamed after the connect; framed by the Content-Length header if any, else chunked. */
  body: RequestBody | null;
  /** `Connection: close` upstream: the connection is not reused after this exchange. */
  reset: boolean;
  /** `send-proxy*`: the PROXY header a new connection starts with. A connection that sent one
   * carries only requests whose header is the same (HAProxy makes it private to its client). */
  proxyHeader?: Buffer;
  /** `sni`: the TLS server name of a new connection; a connection carries only requests naming
   * the same one (as HAProxy keys its idle connections by SNI). */
  servername?: string;
}

export interface UpstreamOptions {
  host: string;
  port: number;
  /** Most connections at once (`maxconn`); further requests wait in order. */
  connections: number | null;
  /** `timeout queue`: longest wait for a connection slot, ms (0: no limit). */
  queueTimeout?: number;
  /** `maxqueue` (this process's share): the pickers send requests elsewhere once this many wait. */
  maxqueue?: number;
  /** `pool-max-conn`: most idle connections kept (0: none); absent: no limit. */
  maxIdle?: number;
  /** `max-reuse`: most requests a connection carries after its first; absent: no limit. */
  maxReuse?: number;
  /** `timeout connect`, ms. */
  connectTimeout: number;
  /** `timeout server`: inactivity while a request is in progress, ms. */
  serverTimeout: number;
  /** An idle connection is closed after this (or the server's Keep-Alive hint minus 1 s), ms. */
  keepAliveTimeout?: number;
  /** Largest response head accepted, bytes. */
  maxHeaderSize?: number;
  /** `ssl`: connections are TLS with these settings. */
  tls?: ServerTls;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const ST_HEAD = 0;
const ST_LENGTH = 1;
/** Chunked transfer coding, decoded by http1/body.ts (the same strict decoder as request bodies). */
const ST_CHUNKED = 2;
const ST_CLOSE = 6;

/** One upstream request and its handler, waiting or in progress. */
class Pending {
  req: UpstreamRequest;
  handler: UpstreamHandler;
  pool: UpstreamPool;
  conn: UpstreamConnection | undefined = undefined;
  ended = false;
  /** `timeout queue` while it waits for a slot. */
  queueTimer: NodeJS.Timeout | undefined = undefined;
  constructor(pool: UpstreamPool, req: UpstreamRequest, handler: UpstreamHandler) {
    this.pool = pool;
    this.req = req;
    this.handler = handler;
  }

  abort = (err?: Error): void => {
    if (this.ended) return;
    const conn = this.conn;
    if (conn === undefined) {
      this.pool.unqueue(this);
      this.fail(upstreamError(UPSTREAM_ABORTED, err?.message ?? 'request aborted'));
      this.pool.settle();
      return;
    }
    conn.fail(upstreamError(UPSTREAM_ABORTED, err?.message ?? 'request aborted'));
  };

  fail(err: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.handler.onError(err);
  }
}

/** Node's own read size (libuv's suggestion for a stream read). */
const READ_BUFFER_BYTES = 64 * 1024;

/** Optional whitespace around a header value (RFC 9110 OWS; what trim() would also drop of it). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** The connection a socket belongs to: the listeners below are shared by every connection (as
 * http1/server.ts does with kHttp), instead of a dozen closures per pooled connection. */
const kUp = Symbol('handoff.upstream');
type UpSocket = net.Socket & { [kUp]: UpstreamConnection };

function upConnect(this: UpSocket): void {
  this[kUp].onConnect();
}
function upData(this: UpSocket, chunk: Buffer): void {
  this[kUp].onData(chunk);
}
/** `onread`'s callback, called on the socket: `n` bytes in the pool's read buffer. */
function upRead(this: UpSocket, n: number, buf: Buffer): boolean {
  return this[kUp].onRead(n, buf);
}
function upEnd(this: UpSocket): void {
  this[kUp].onEnd();
}
function upError(this: UpSocket, err: Error & { code?: string }): void {
  this[kUp].onError(err);
}
function upClose(this: UpSocket): void {
  this[kUp].onClose();
}
function upTimeout(this: UpSocket): void {
  this[kUp].onTimeout();
}
function upDrain(this: UpSocket): void {
  this[kUp].onDrain();
}
function connectTimedOut(conn: UpstreamConnection): void {
  conn.onConnectTimeout();
}

/** What a request body is written to: its connection while the exchange is current. */
class ConnectionBodySink implements BodySink {
  readonly conn: UpstreamConnection;
  constructor(conn: UpstreamConnection) {
    this.conn = conn;
  }
  data(piece: Buffer): void {
    this.conn.onBodyData(piece);
  }
  end(): void {
    this.conn.onBodyEnd();
  }
  abort(reason: string, invalid: boolean): void {
    this.conn.onBodyAbort(reason, invalid);
  }
}

/** One connection to the server and the response parser state of the exchange on it. */
export class UpstreamConnection {
  readonly pool: UpstreamPool;
  readonly socket: net.Socket;
  connected = false;
  dead = false;
  current: Pending | undefined = undefined;
  /** Idle-list bookkeeping. */
  idleSince = 0;
  idleLimit: number;
  connectTimer: NodeJS.Timeout | undefined = undefined;
  // Request side.
  requestWritten = false;
  bodyChunked = false;
  bodyListening = false;
  // Response side.
  state = ST_HEAD;
  head: Buffer | undefined = undefined;
  headSeen = false;
  noBody = false;
  keepAlive = true;
  remaining = 0;
  chunked: BodyDecoder | undefined = undefined;
  /** Made when first needed (a chunked response, a response head, a request body): an idle
   * connection in the pool holds no closure of its own, its socket listeners are shared. */
  private deliverPiece: ((piece: Buffer) => void) | undefined = undefined;
  private resumer: (() => void) | undefined = undefined;
  private sink: BodySink | undefined = undefined;
  paused = false;
  /** Bytes followed the head just parsed (a bodiless response then leaves the connection unusable). */
  extraAfterHead = false;
  /** Exchanges started on this connection, and whether the current one received a byte. */
  exchanges = 0;
  received = false;
  /** Reads land in the pool's shared buffer (`onread`): what outlives the read is copied. */
  readonly borrowed: boolean;
  /** The PROXY header this connection began with and its SNI, if any: it serves only requests with the same. */
  readonly proxyKey: string | undefined;

  constructor(pool: UpstreamPool, req: UpstreamRequest) {
    this.pool = pool;
    this.idleLimit = pool.keepAliveTimeout;
    const o = pool.options;
    // Plain connections read into the pool's one buffer (no Buffer allocated per read, no stream
    // machinery); the pieces handed on are copied, so nothing keeps that buffer past the read.
    this.borrowed = o.tls === undefined;
    const socket = o.tls === undefined ? plainConnect(o, req.proxyHeader, { buffer: pool.readBuffer(), callback: upRead }) : tlsConnect(pool, o.tls, req);
    this.socket = socket;
    this.proxyKey = proxyKeyOf(req);
    this.connectTimer = setTimeout(connectTimedOut, o.connectTimeout, this);
    (socket as UpSocket)[kUp] = this;
    // A TLS connection is usable once its handshake (and the server's certificate) passed.
    socket.once(o.tls === undefined ? 'connect' : 'secureConnect', upConnect);
    if (!this.borrowed) socket.on('data', upData);
    socket.on('end', upEnd);
    socket.on('error', upError);
    socket.on('close', upClose);
    socket.on('timeout', upTimeout);
    socket.on('drain', upDrain);
    if (o.serverTimeout > 0) socket.setTimeout(o.serverTimeout);
  }

  onConnectTimeout(): void {
    this.connectTimer = undefined;
    this.fail(upstreamError(UPSTREAM_CONNECT_TIMEOUT, 'connect timeout'));
  }

  onConnect(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.connected = true;
    const p = this.current;
    if (p !== undefined) this.start(p);
    else this.pool.release(this);
  }

  /** Begin `p` on this (connected) connection. */
  start(p: Pending): void {
    this.current = p;
    p.conn = this;
    this.state = ST_HEAD;
    this.head = undefined;
    this.headSeen = false;
    this.keepAlive = !p.req.reset;
    this.requestWritten = false;
    this.exchanges++;
    if (this.exchanges > 1) p.handler.onConnection?.(true);
    this.received = false;
    const req = p.req;
    let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
    const h = req.headers;
    let hasLength = false;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${h[i + 1] as string}\r\n`;
    }
    if (req.reset) head += 'connection: close\r\n';
    const body = req.body;
    this.noBody = req.method === 'HEAD';
    if (body === null) {
      this.socket.write(head + '\r\n', 'latin1');
      this.requestSent();
      return;
    }
    this.bodyChunked = !hasLength;
    if (this.bodyChunked) head += 'transfer-encoding: chunked\r\n';
    this.socket.write(head + '\r\n', 'latin1');
    this.bodyListening = true;
    body.start((this.sink ??= new ConnectionBodySink(this)));
  }

  onBodyData(chunk: Buffer): void {
    const s = this.socket;
    if (chunk.length === 0) return;
    let ok: boolean;
    if (this.bodyChunked) {
      s.cork();
      ok = writeChunk(s, chunk);
      s.uncork();
    } else {
      ok = s.write(chunk);
    }
    if (!ok) this.current?.req.body?.pause();
  }

  onDrain(): void {
    if (this.bodyListening) this.current?.req.body?.resume();
  }

  onBodyEnd(): void {
    if (!this.bodyListening) return;
    this.stopBody();
    if (this.bodyChunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.requestSent();
  }

  /** The client's request body cannot be completed: neither can the request. */
  onBodyAbort(reason: string, invalid: boolean): void {
    if (this.bodyListening) this.fail(upstreamError(invalid ? UPSTREAM_REQUEST_INVALID : UPSTREAM_ABORTED, reason));
  }

  stopBody(p: Pending | undefined = this.current): void {
    if (!this.bodyListening) return;
    this.bodyListening = false;
    // The response may end before the request body (an early answer): the client side decides
    // what becomes of the rest.
    p?.req.body?.stop();
  }

  requestSent(): void {
    this.requestWritten = true;
    const p = this.current;
    if (p !== undefined && !p.ended && this.state !== -1) p.handler.onRequestSent();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.dead) this.socket.resume();
  }

  onRead(n: number, buf: Buffer): boolean {
    this.onData(buf.subarray(0, n));
    return !this.paused;
  }

  onData(chunk: Buffer): void {
    this.received = true;
    if (this.current === undefined) {
      // Bytes on an idle connection: nothing asked for them.
      this.destroy();
      return;
    }
    this.parse(chunk);
  }

  /** Feed response bytes; completes or fails the current exchange as they decide. */
  parse(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      const p = this.current;
      if (p === undefined || p.ended) {
        // Bytes beyond the response: the connection cannot be trusted any more.
        this.destroy();
        return;
      }
      switch (this.state) {
        case ST_HEAD: {
          const buf = this.head === undefined ? (off === 0 ? chunk : chunk.subarray(off)) : Buffer.concat([this.head, chunk.subarray(off)]);
          const prev = this.head === undefined ? 0 : this.head.length;
          const end = buf.indexOf(CRLF2, prev > 3 ? prev - 3 : 0);
          if (end === -1) {
            if (buf.length > this.pool.maxHeaderSize) {
              this.fail(upstreamError(UPSTREAM_PARSE, 'response head too large'));
              return;
            }
            // A copy of what is kept (the read buffer is reused); a concatenation is one already.
            this.head = this.head === undefined ? Buffer.from(buf) : buf;
            return;
          }
          this.head = undefined;
          const consumed = end + 4 - prev;
          off += consumed;
          this.extraAfterHead = off < len;
          if (!this.onHead(buf.toString('latin1', 0, end))) return;
          break;
        }
        case ST_LENGTH: {
          const n = Math.min(this.remaining, len - off);
          const piece = off === 0 && n === len ? chunk : chunk.subarray(off, off + n);
          off += n;
          this.remaining -= n;
          this.deliver(piece);
          if (this.remaining === 0) {
            this.complete(off < len);
            return;
          }
          break;
        }
        case ST_CLOSE: {
          this.deliver(off === 0 ? chunk : chunk.subarray(off));
          return;
        }
        case ST_CHUNKED: {
          const decoder = this.chunked as BodyDecoder;
          const next = decoder.feed(chunk, off, len, (this.deliverPiece ??= (piece) => this.deliver(piece)));
          if (next < 0) {
            this.fail(upstreamError(UPSTREAM_PARSE, `invalid chunked body: ${decoder.error ?? ''}`));
            return;
          }
          off = next;
          if (decoder.done) {
            this.complete(off < len);
            return;
          }
          break;
        }
        default:
          return;
      }
    }
  }

  /** A complete head (without its final CRLF CRLF). False when the exchange ended here. */
  onHead(text: string): boolean {
    const p = this.current as Pending;
    let eol = text.indexOf('\r\n');
    const statusLine = eol === -1 ? text : text.slice(0, eol);
    // "HTTP/1.x SSS reason"
    if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || statusLine.charCodeAt(8) !== 32) {
      this.fail(upstreamError(UPSTREAM_PARSE, 'invalid status line'));
      return false;
    }
    const minor = statusLine.charCodeAt(7) - 48;
    const status = parseInt(statusLine.slice(9, 12), 10);
    if (!(status >= 100 && status <= 999) || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)) {
      this.fail(upstreamError(UPSTREAM_PARSE, 'invalid status code'));
      return false;
    }
    const statusText = statusLine.length > 13 ? statusLine.slice(13) : '';
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let hasTE = false;
    let connClose = minor === 0;
    while (eol !== -1) {
      const start = eol + 2;
      eol = text.indexOf('\r\n', start);
      const end = eol === -1 ? text.length : eol;
      // Only the name and the value become strings (no line, no trim copy).
      const colon = text.indexOf(':', start);
      const first = text.charCodeAt(start);
      if (colon <= start || colon >= end || first === 32 || first === 9) {
        this.fail(upstreamError(UPSTREAM_PARSE, 'invalid header line'));
        return false;
      }
      let vs = colon + 1;
      let ve = end;
      while (vs < ve && isSpace(text.charCodeAt(vs))) vs++;
      while (ve > vs && isSpace(text.charCodeAt(ve - 1))) ve--;
      const name = text.slice(start, colon);
      const value = text.slice(vs, ve);
      headers.push(name, value);
      const n = name.length;
      if (n === 14 || n === 17 || n === 10) {
        const lower = name.toLowerCase();
        if (lower === 'content-length') {
          if (!/^\d{1,15}$/.test(value) || (contentLength !== -1 && contentLength !== Number(value))) {
            this.fail(upstreamError(UPSTREAM_PARSE, 'invalid content-length'));
            return false;
          }
          contentLength = Number(value);
        } else if (lower === 'transfer-encoding') {
          hasTE = true;
          const codings = value.toLowerCase().split(',');
          chunked = (codings[codings.length - 1] as string).trim() === 'chunked';
        } else if (lower === 'connection') {
          for (const token of value.toLowerCase().split(',')) {
            const t = token.trim();
            if (t === 'close') connClose = true;
            else if (t === 'keep-alive' && minor === 0) connClose = false;
          }
        } else if (lower === 'keep-alive') {
          const m = /timeout\s*=\s*(\d+)/i.exec(value);
          if (m !== null) this.idleLimit = Math.min(this.pool.keepAliveTimeout, Number(m[1]) * 1000 - 1000);
        }
      }
    }
    if (status < 200 && status !== 101) {
      // 1xx: informational, the final response follows on the same connection.
      this.state = ST_HEAD;
      return true;
    }
    if (connClose) this.keepAlive = false;
    this.headSeen = true;
    const ok = p.handler.onHeaders(status, headers, (this.resumer ??= () => this.resume()), statusText);
    if (p.ended || this.current !== p) return false;
    if (!ok) this.pause();
    if (status === 101) {
      this.keepAlive = false;
      this.state = ST_CLOSE;
    } else if (this.noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      this.complete(this.extraAfterHead);
      return false;
    } else if (hasTE) {
      if (chunked) {
        this.chunked = chunkedDecoder(this.pool.maxHeaderSize);
        this.state = ST_CHUNKED;
      }
      else {
        this.keepAlive = false;
        this.state = ST_CLOSE;
      }
    } else if (contentLength >= 0) {
      if (contentLength === 0) {
        this.complete(this.extraAfterHead);
        return false;
      }
      this.state = ST_LENGTH;
      this.remaining = contentLength;
    } else {
      this.keepAlive = false;
      this.state = ST_CLOSE;
    }
    return true;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  deliver(piece: Buffer): void {
    const p = this.current as Pending;
    if (piece.length === 0 || p.ended) return;
    if (!p.handler.onData(this.borrowed ? Buffer.from(piece) : piece)) this.pause();
  }

  /** The response is complete; `extra`: bytes followed it (the connection is not reused). */
  complete(extra: boolean): void {
    const p = this.current as Pending;
    this.current = undefined;
    this.state = -1;
    p.ended = true;
    const maxReuse = this.pool.options.maxReuse;
    const reusable = this.keepAlive && !extra && this.requestWritten && !this.dead && (maxReuse === undefined || this.exchanges <= maxReuse);
    this.stopBody(p);
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (reusable) {
      this.idleLimit = Math.min(this.idleLimit, this.pool.keepAliveTimeout);
      this.pool.release(this);
    } else {
      this.destroy();
    }
    p.handler.onComplete();
  }

  /** End the exchange in progress (if any) with `err` and drop the connection. */
  fail(err: UpstreamError): void {
    const p = this.current;
    this.stopBody(p);
    this.current = undefined;
    this.destroy();
    if (p === undefined) return;
    err.info = { connected: this.connected, reused: this.exchanges > 1, received: this.received };
    p.fail(err);
  }

  onEnd(): void {
    const p = this.current;
    if (p !== undefined && this.state === ST_CLOSE && !p.ended) {
      this.keepAlive = false;
      this.complete(false);
      return;
    }
    this.fail(upstreamError(UPSTREAM_SOCKET, 'other side closed'));
  }

  onError(err: Error & { code?: string }): void {
    this.fail(upstreamError(err.code ?? UPSTREAM_SOCKET, err.message));
  }

  onClose(): void {
    this.fail(upstreamError(UPSTREAM_SOCKET, 'socket closed'));
  }

  onTimeout(): void {
    if (this.current === undefined) {
      // Idle past `timeout server`: not worth keeping.
      if (this.connected) this.destroy();
      return;
    }
    if (!this.connected) return; // the connect timer decides
    this.fail(upstreamError(this.headSeen ? UPSTREAM_BODY_TIMEOUT : UPSTREAM_HEADERS_TIMEOUT, 'server timeout'));
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.socket.destroy();
    this.pool.forget(this);
  }
}

/** Keep-alive connections to one server. */
export class UpstreamPool {
  readonly options: UpstreamOptions;
  readonly keepAliveTimeout: number;
  readonly maxHeaderSize: number;
  readonly idle: UpstreamConnection[] = [];
  readonly queue: Pending[] = [];
  /** Connections open or opening. */
  count = 0;
  closed = false;
  destroyed = false;
  private sweeper: NodeJS.Timeout | undefined = undefined;
  /** The last TLS session per SNI name, offered by the next connection (HAProxy keeps the last per server). */
  readonly tlsSessions = new Map<string, Buffer>();
  /** What every plain connection of the pool reads into (allocated with the first one). */
  private shared: Buffer | undefined = undefined;
  private closeWaiters: (() => void)[] = [];

  constructor(options: UpstreamOptions) {
    this.options = options;
    this.keepAliveTimeout = options.keepAliveTimeout ?? 4000;
    this.maxHeaderSize = options.maxHeaderSize ?? 65536;
  }

  /** The read buffer of the pool's plain connections: reads are handled one at a time, and what
   * is kept of one (a partial head, a body piece) is copied out of it. */
  readBuffer(): Buffer {
    return (this.shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));
  }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    const p = new Pending(this, req, handler);
    handler.onConnect(p.abort);
    if (this.closed) {
      p.fail(upstreamError(UPSTREAM_CLOSED, 'pool closed'));
      return;
    }
    const conn = this.takeIdle(proxyKeyOf(req));
    if (conn !== undefined) {
      conn.start(p);
      return;
    }
    const max = this.options.connections;
    // At the limit with idle connections private to other clients: close the oldest to make room.
    if (max !== null && this.count >= max && this.idle.length > 0) (this.idle[0] as UpstreamConnection).destroy();
    if (max === null || this.count < max) {
      this.open(p);
      return;
    }
    this.queue.push(p);
    handler.onQueued?.();
    const t = this.options.queueTimeout ?? 0;
    if (t > 0) {
      p.queueTimer = setTimeout(() => {
        p.queueTimer = undefined;
        this.unqueue(p);
        p.fail(upstreamError(UPSTREAM_QUEUE_TIMEOUT, 'timeout queue'));
        this.settle();
      }, t);
    }
  }

  /** Take `p` out of the queue (timed out or aborted). */
  unqueue(p: Pending): void {
    if (p.queueTimer !== undefined) clearTimeout(p.queueTimer);
    p.queueTimer = undefined;
    const i = this.queue.indexOf(p);
    if (i !== -1) this.queue.splice(i, 1);
  }

  /** The newest idle connection that may carry a request with this PROXY header key. */
  private takeIdle(key: string | undefined): UpstreamConnection | undefined {
    const i = this.idle.findLastIndex((c) => c.proxyKey === key);
    if (i === -1) return undefined;
    return this.idle.splice(i, 1)[0];
  }

  /** The oldest waiting request (that `conn` may carry, when given), leaving the queue for a connection. */
  private dequeue(conn?: UpstreamConnection): Pending | undefined {
    const i = conn === undefined ? 0 : this.queue.findIndex((q) => proxyKeyOf(q.req) === conn.proxyKey);
    if (i === -1) return undefined;
    const p = this.queue.splice(i, 1)[0];
    if (p === undefined) return undefined;
    if (p.queueTimer !== undefined) clearTimeout(p.queueTimer);
    p.queueTimer = undefined;
    p.handler.onDequeue?.();
    return p;
  }

  private open(p: Pending): void {
    this.count++;
    p.handler.onConnection?.(false);
    const conn = new UpstreamConnection(this, p.req);
    conn.current = p;
    p.conn = conn;
  }

  /** A connection free for the next request: the oldest waiting one, else the idle list. */
  release(conn: UpstreamConnection): void {
    const next = this.dequeue(conn);
    if (next !== undefined) {
      conn.start(next);
      return;
    }
    // Requests wait that this private connection may not carry: its slot is theirs.
    const maxIdle = this.options.maxIdle;
    if (this.closed || this.queue.length > 0 || (maxIdle !== undefined && this.idle.length >= maxIdle)) {
      conn.destroy();
      return;
    }
    conn.idleSince = performance.now();
    this.idle.push(conn);
    this.sweeper ??= setInterval(this.sweep, 1000).unref();
  }

  /** A connection is gone. */
  forget(conn: UpstreamConnection): void {
    this.count--;
    const i = this.idle.lastIndexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    this.settle();
  }

  /** Open connections for waiting requests if room was made; resolve close() when empty. */
  settle(): void {
    const max = this.options.connections;
    while (this.queue.length > 0 && (max === null || this.count < max)) this.open(this.dequeue() as Pending);
    if (this.closed && this.count === 0 && this.queue.length === 0) {
      this.destroyed = true;
      if (this.sweeper !== undefined) clearInterval(this.sweeper);
      this.sweeper = undefined;
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const w of waiters) w();
    }
  }

  private sweep = (): void => {
    const now = performance.now();
    // Oldest first: the list is LIFO, so stale connections sit at the front.
    while (this.idle.length > 0) {
      const c = this.idle[0] as UpstreamConnection;
      if (now - c.idleSince < c.idleLimit) break;
      c.destroy();
    }
    if (this.idle.length === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  /** Take no new request; let the ones in progress or waiting finish, close idle connections. */
  close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.idle]) c.destroy();
    return new Promise<void>((resolve) => {
      this.closeWaiters.push(resolve);
      this.settle();
    });
  }
}

function proxyKeyOf(req: UpstreamRequest): string | undefined {
  const h = req.proxyHeader?.toString('latin1');
  if (req.servername === undefined) return h;
  return `${h ?? ''}\0${req.servername}`;
}

function plainConnect(o: UpstreamOptions, proxyHeader: Buffer | undefined, onread: net.OnReadOpts): net.Socket {
  const socket = net.connect({ host: o.host, port: o.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000, onread });
  // Queued by the socket until it connects: the header precedes the first request.
  if (proxyHeader !== undefined) socket.write(proxyHeader);
  return socket;
}

/** A TLS connection to the server, offering the last session it gave for this SNI (unless `no-ssl-reuse`). */
function tlsConnect(pool: UpstreamPool, t: ServerTls, req: UpstreamRequest): tls.TLSSocket {
  const o = pool.options;
  const name = req.servername ?? '';
  const session = t.noReuse === true ? undefined : pool.tlsSessions.get(name);
  const opts: tls.ConnectionOptions = { ...serverConnectOptions(t, req.servername), ...(session !== undefined ? { session } : {}) };
  const socket = connectTls(o.host, o.port, opts, req.proxyHeader);
  if (t.noReuse !== true) socket.on('session', (s: Buffer) => pool.tlsSessions.set(name, s));
  return socket;
}

/** tls.connect, after a PROXY header in clear when there is one (it precedes the handshake). */
export function connectTls(host: string, port: number, opts: tls.ConnectionOptions, proxyHeader?: Buffer): tls.TLSSocket {
  const raw = net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
  if (proxyHeader !== undefined) raw.write(proxyHeader);
  const socket = tlsModule().connect({ ...opts, socket: raw });
  // The TCP errors (ECONNREFUSED…) arrive on the raw socket: the TLS socket reports them.
  raw.on('error', (err) => socket.destroy(err));
  return socket;
}
