// The server side of HTTP/1.1 on a raw socket (the TLSSocket on TLS binds), as upstream.ts is the
// client side: one Http1Connection per client connection, one request at a time. Bytes that arrive
// while a request runs (pipelined requests) wait in the buffer and are parsed only once its
// response is complete, so a malformed third request cannot take the answers of the first two.
// No per-request listeners or closures: the socket's listeners are shared functions, the
// connection is the request body's source, and deadlines are assignments on a coarse clock.
import type { Socket } from 'node:net';
import type { ClientConn, ConnectionRegistry } from '../connections.ts';
import type { BodySink, RequestBody } from '../upstream.ts';
import type { Clock, Timed } from './clock.ts';
import { writeChunk } from './body.ts';
import { chunkedDecoder, lengthDecoder, parseRequestHead, type BodyDecoder, type HeadLimits, type RequestHead } from './parse.ts';

export interface Http1Settings {
  limits: HeadLimits;
  /** `timeout http-request` (else client): the head must be complete within it, ms (0: none). */
  requestTimeout: number;
  /** `timeout http-keep-alive` (else http-request, else client): idle between requests, ms. */
  keepAliveTimeout: number;
  /** `timeout client`: the client must send or take bytes within it while we wait on it, ms. */
  clientTimeout: number;
  /** False with `option httpclose`: every response closes the connection. */
  keepAlive: boolean;
}

/** What runs a request: the newest route set's, looked up at each request. */
export interface Http1Handler {
  request(conn: Http1Connection, head: RequestHead): void;
  /** Bytes that are not a request (or not in time): answer `status` and close. 0: close silently. */
  refused(conn: Http1Connection, status: number, reason: string): void;
}

/** The layer a connection belongs to; `handler` and `settings` follow in-place reloads. */
export interface Http1Site {
  handler: Http1Handler;
  settings: Http1Settings;
  readonly connections: ConnectionRegistry;
  readonly clock: Clock;
}

/** The owner of the request in progress, told what happens on the client side. */
export interface Http1Exchange {
  /** The connection closed before the response was complete. */
  clientClosed(): void;
  /** The client takes bytes again after a write returned false. */
  writable(): void;
}

const S_HEAD = 0;
const S_BODY = 1;
/** The request is read; its response is in progress. */
const S_WAIT = 2;
const S_TUNNEL = 3;
const S_CLOSED = 4;

const kHttp = Symbol('handoff.http1');
type WithHttp = Socket & { [kHttp]?: Http1Connection };

const DISCARD: BodySink = { data() {}, end() {}, abort() {} };
const EMPTY = Buffer.alloc(0);

function onData(this: WithHttp, chunk: Buffer): void {
  this[kHttp]?.received(chunk);
}
function onEnd(this: WithHttp): void {
  this[kHttp]?.ended();
}
function onClose(this: WithHttp): void {
  this[kHttp]?.closed();
}
function onDrain(this: WithHttp): void {
  this[kHttp]?.drained();
}
/** A body piece this small goes out in one write with the head (copied once into one buffer). */
const MERGE_BYTES = 16 * 1024;
const LAST_CHUNK = '0\r\n\r\n';

/** head + before + piece + after, in one buffer (the strings are latin1: one byte per char). */
function merged(head: string, before: string, piece: Buffer, after: string): Buffer {
  const out = Buffer.allocUnsafe(head.length + before.length + piece.length + after.length);
  let at = out.write(head, 0, 'latin1');
  at += out.write(before, at, 'latin1');
  at += piece.copy(out, at);
  out.write(after, at, 'latin1');
  return out;
}
function noop(): void {}

export function serveHttp1(site: Http1Site, socket: Socket): Http1Connection {
  return new Http1Connection(site, socket);
}

export class Http1Connection implements RequestBody, Timed {
  readonly socket: Socket;
  readonly site: Http1Site;
  readonly conn: ClientConn;
  /** The request in progress (its head), and who runs it. */
  head: RequestHead | undefined = undefined;
  exchange: Http1Exchange | undefined = undefined;
  deadline = 0;
  private buf: Buffer = EMPTY;
  /** Where the unread bytes of `buf` begin. */
  private at = 0;
  private state = S_HEAD;
  private processing = false;
  /** When the current head's first byte arrived (0: nothing of it yet). */
  private headStartedAt = 0;
  private decoder: BodyDecoder | undefined = undefined;
  private sink: BodySink | undefined = undefined;
  private bodyPaused = false;
  private chunked = false;
  /** The response head, until it can go out with the first piece of the body. */
  private pendingHead: string | undefined = undefined;
  private keepAlive = true;
  private responding = false;
  private clientEnded = false;
  /** The body decoder's output, made at the first body: most connections never send one. */
  private onPiece: ((piece: Buffer) => void) | undefined = undefined;

  constructor(site: Http1Site, socket: Socket) {
    this.site = site;
    this.socket = socket;
    this.conn = site.connections.conn(socket);
    (socket as WithHttp)[kHttp] = this;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    socket.on('error', noop);
    socket.setNoDelay(true);
    site.clock.watch(this);
    this.arm(site.settings.requestTimeout);
  }

  get closedOrGone(): boolean {
    return this.state === S_CLOSED || this.socket.destroyed;
  }

  /** HTTP/1.x minor version of the request in progress. */
  get minor(): number {
    return this.head?.minor ?? 1;
  }

  received(chunk: Buffer): void {
    if (this.state === S_TUNNEL || this.state === S_CLOSED) return;
    if (this.at === this.buf.length) {
      this.buf = chunk;
      this.at = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.at), chunk]);
      this.at = 0;
    }
    if (this.state === S_BODY) this.arm(this.site.settings.clientTimeout);
    this.process();
  }

  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.state === S_HEAD ? this.readHead() : this.state === S_BODY && this.readBody());
    } finally {
      this.processing = false;
    }
    // Nothing unread: let the chunk go (an idle connection holds no buffer).
    if (this.at === this.buf.length) {
      this.buf = EMPTY;
      this.at = 0;
    }
    // While a response is in progress, hold at most a head's worth of what follows.
    else if (this.state === S_WAIT && this.buf.length - this.at > this.site.settings.limits.maxHeadBytes) this.socket.pause();
  }

  /** Parse the next head; true when the loop should go on (its body can be read now). */
  private readHead(): boolean {
    if (this.at === this.buf.length) {
      if (this.clientEnded) this.close();
      return false;
    }
    const r = parseRequestHead(this.buf, this.at, this.buf.length, this.site.settings.limits);
    if (r.kind === 'partial') {
      if (this.headStartedAt === 0) {
        this.headStartedAt = this.site.clock.now();
        this.arm(this.site.settings.requestTimeout);
      }
      if (this.clientEnded) this.refuse(400, 'incomplete request');
      return false;
    }
    if (r.kind === 'error') {
      this.refuse(r.status, r.reason);
      return false;
    }
    this.begin(r.head);
    return this.state === S_BODY && this.sink !== undefined;
  }

  private begin(head: RequestHead): void {
    this.at += head.size;
    this.head = head;
    this.headStartedAt = 0;
    this.deadline = 0;
    this.responding = false;
    this.pendingHead = undefined;
    this.keepAlive = true;
    const hasBody = head.chunked || head.contentLength > 0;
    this.decoder = hasBody ? (head.chunked ? chunkedDecoder(this.site.settings.limits.maxHeadBytes) : lengthDecoder(head.contentLength)) : undefined;
    this.sink = undefined;
    this.bodyPaused = false;
    this.state = hasBody ? S_BODY : S_WAIT;
    // The body is read when its reader starts (once the server is connected): until then, hold it.
    if (hasBody) this.socket.pause();
    this.site.connections.requestStarted(this.conn);
    this.site.handler.request(this, head);
  }

  /** Decode what is buffered of the body; true when the loop should go on (the body is done). */
  private readBody(): boolean {
    const decoder = this.decoder;
    if (decoder === undefined || this.sink === undefined || this.bodyPaused || this.at === this.buf.length) {
      if (this.clientEnded && this.state === S_BODY) this.bodyBroken('the client closed before the end of its request body');
      return false;
    }
    const next = decoder.feed(this.buf, this.at, this.buf.length, (this.onPiece ??= (piece) => this.sink?.data(piece)));
    if (next < 0) {
      this.bodyBroken(decoder.error ?? 'invalid body framing');
      return false;
    }
    this.at = next;
    if (!decoder.done) return false;
    this.state = S_WAIT;
    this.deadline = 0;
    this.sink.end();
    return false;
  }

  private bodyBroken(reason: string): void {
    const sink = this.sink;
    this.keepAlive = false;
    this.sink = DISCARD;
    this.decoder = undefined;
    sink?.abort(reason, true);
    if (!this.responding && !this.closedOrGone) this.site.handler.refused(this, 400, reason);
  }

  // RequestBody: the upstream pool reads the body through these.
  start(sink: BodySink): void {
    if (this.sink !== undefined) return;
    this.sink = sink;
    const head = this.head;
    if (head?.expectContinue === true && head.minor === 1 && !this.responding) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    this.arm(this.site.settings.clientTimeout);
    this.socket.resume();
    this.process();
  }

  pause(): void {
    this.bodyPaused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    this.socket.resume();
    this.process();
  }

  stop(): void {
    // The rest of the body is read and dropped; the connection closes after the response unless
    // the body ends first.
    if (this.state !== S_BODY) return;
    this.sink = DISCARD;
    this.bodyPaused = false;
    this.socket.resume();
    this.process();
  }

  /** Whether this response may leave the connection open for another request. */
  private wantsKeepAlive(): boolean {
    const head = this.head;
    if (head === undefined || !this.keepAlive || this.clientEnded || !this.site.settings.keepAlive || this.site.connections.draining) return false;
    return head.minor === 1 ? !head.connection.includes('close') : head.connection.includes('keep-alive');
  }

  /** The status line and headers (hop-by-hop ones already removed); the connection adds its framing. */
  writeHead(status: number, reason: string, headers: readonly string[], noBody = false): void {
    if (this.closedOrGone || this.responding) return;
    this.responding = true;
    const head = this.head;
    const bodiless = noBody || status === 204 || status === 304 || head?.method === 'HEAD';
    let out = `HTTP/1.1 ${status} ${reason}\r\n`;
    let length = -1;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === 'content-length') length = Number(headers[i + 1]);
      out += `${name}: ${headers[i + 1] as string}\r\n`;
    }
    this.chunked = !bodiless && length < 0 && this.minor === 1;
    // Without a length, an HTTP/1.0 client's response ends when the connection does.
    this.keepAlive = this.wantsKeepAlive() && (bodiless || length >= 0 || this.chunked);
    if (this.chunked) out += 'transfer-encoding: chunked\r\n';
    out += this.keepAlive ? 'connection: keep-alive\r\n\r\n' : 'connection: close\r\n\r\n';
    // Held until the first piece of body (usually in the same tick): one write for both.
    this.pendingHead = out;
  }

  /** A piece of the response body; false: wait for the exchange's `writable()`. */
  write(piece: Buffer): boolean {
    const s = this.socket;
    if (this.closedOrGone || piece.length === 0) return !this.closedOrGone;
    const head = this.pendingHead;
    let ok: boolean;
    if (head !== undefined && piece.length <= MERGE_BYTES) {
      this.pendingHead = undefined;
      ok = s.write(this.chunked ? merged(head, `${piece.length.toString(16)}\r\n`, piece, '\r\n') : merged(head, '', piece, ''));
    } else {
      s.cork();
      this.flushHead();
      ok = this.chunked ? writeChunk(s, piece) : s.write(piece);
      s.uncork();
    }
    if (!ok) this.arm(this.site.settings.clientTimeout);
    return ok;
  }

  /** The head not yet written (a response without a body, or before its first piece). */
  private flushHead(): void {
    const head = this.pendingHead;
    if (head === undefined) return;
    this.pendingHead = undefined;
    this.socket.write(head, 'latin1');
  }

  /** The response is complete: the next request (already buffered, or to come) may start. */
  end(): void {
    if (this.closedOrGone || !this.responding) return;
    if (this.chunked) {
      const head = this.pendingHead;
      this.pendingHead = undefined;
      this.socket.write(head === undefined ? LAST_CHUNK : `${head}${LAST_CHUNK}`, 'latin1');
    } else {
      this.flushHead();
    }
    this.finished();
  }

  /** This request's response closes the connection (a refused tunnel, say). */
  closeAfterResponse(): void {
    this.keepAlive = false;
  }

  /** A whole response of our own (errors, redirects, the stats page). */
  respond(status: number, reason: string, headers: readonly string[], body: string | Buffer): void {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.writeHead(status, reason, [...headers, 'content-length', String(length)]);
    if (length > 0 && this.head?.method !== 'HEAD') this.write(typeof body === 'string' ? Buffer.from(body) : body);
    this.end();
  }

  /** Bytes sent as they are (an errorfile: its framing is unknown), then the connection closes. */
  respondRaw(bytes: Buffer): void {
    if (this.closedOrGone || this.responding) return;
    this.responding = true;
    this.keepAlive = false;
    this.socket.write(bytes);
    this.finished();
  }

  private finished(): void {
    this.exchange = undefined;
    this.responding = false;
    this.site.connections.requestFinished(this.conn);
    if (!this.keepAlive || this.state === S_BODY) {
      this.close();
      return;
    }
    this.state = S_HEAD;
    this.head = undefined;
    this.decoder = undefined;
    this.sink = undefined;
    this.arm(this.site.settings.keepAliveTimeout);
    if (this.socket.isPaused()) this.socket.resume();
    // Pipelined requests already buffered run after this one, not inside its caller's stack.
    if (this.at < this.buf.length) setImmediate(() => this.process());
  }

  /** Refuse what the client sent: answer (or not: status 0) and close. */
  refuse(status: number, reason: string): void {
    this.keepAlive = false;
    this.state = S_WAIT;
    this.site.handler.refused(this, status, reason);
    if (!this.closedOrGone && !this.responding) this.close();
  }

  /** End the connection once what was written is sent. */
  close(): void {
    if (this.state === S_CLOSED) return;
    this.state = S_CLOSED;
    this.deadline = 0;
    this.socket.end();
  }

  /** The response cannot be completed: the connection goes now. */
  abort(): void {
    this.state = S_CLOSED;
    this.socket.destroy();
  }

  /** Hand the socket to a tunnel: what is buffered after the head is the tunnel's first bytes. */
  detach(): Buffer {
    this.state = S_TUNNEL;
    this.deadline = 0;
    this.site.clock.unwatch(this);
    const s = this.socket;
    s.off('data', onData);
    s.off('drain', onDrain);
    if (s.isPaused()) s.resume();
    const rest = this.buf.subarray(this.at);
    this.buf = EMPTY;
    this.at = 0;
    return rest;
  }

  /** The client shut its side (it may still read: a half-close) — or went away entirely. */
  get halfClosed(): boolean {
    return this.clientEnded;
  }

  /** Once the socket is closed: whether it closed cleanly (false: reset, the client was gone). */
  whenClosed(cb: (clean: boolean) => void): void {
    if (this.socket.destroyed) cb(!this.socket.errored);
    else this.socket.once('close', (hadError: boolean) => cb(!hadError));
  }

  ended(): void {
    this.clientEnded = true;
    // A FIN before the answer is a half-close: the client still reads, it is answered. Once the
    // answer is on its way, a FIN is a client gone (as node:http and HAProxy's abort count it).
    if (this.responding) this.socket.destroy();
    else if (this.state === S_HEAD || this.state === S_BODY) this.process();
  }

  closed(): void {
    const wasTunnel = this.state === S_TUNNEL;
    this.state = S_CLOSED;
    this.site.clock.unwatch(this);
    if (wasTunnel) return;
    const x = this.exchange;
    this.exchange = undefined;
    if (this.decoder !== undefined && this.decoder.done === false) this.sink?.abort('the client closed before the end of its request body', false);
    x?.clientClosed();
  }

  drained(): void {
    if (this.state === S_WAIT || this.state === S_BODY) this.deadline = 0;
    this.exchange?.writable();
  }

  private arm(ms: number): void {
    this.deadline = ms > 0 ? this.site.clock.now() + ms : 0;
  }

  expire(): void {
    if (this.state === S_HEAD) {
      // Idle since the last response (or the accept): closed silently, as HAProxy does.
      if (this.headStartedAt === 0) this.socket.destroy();
      else this.refuse(408, 'timeout http-request');
      return;
    }
    // The client neither sent its body nor took its response in time.
    this.socket.destroy();
  }
}
