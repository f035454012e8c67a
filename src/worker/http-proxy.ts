// The HTTP data path. One request reads top to bottom as named phases (Pingora style):
//   acceptRequest → applyRequestRules → chooseBackend → chooseServer → connectUpstream
//   → forwardResponse → applyResponseRules → log
// with the timing marks of the access log (%TR %Tc %Tr %Ta %Tt) taken at the phase boundaries.
import { countStatus } from './counters.ts';
import type { ClientConn, ConnectionRegistry } from './connections.ts';
import { errorBody, errorReason, rawErrorfile } from './errors.ts';
import { applyHeaderRules, evaluate, findRedirect, type RuleContext } from './rules.ts';
import type { BackendRuntime, FrontendRuntime, ServerRuntime, WorkerRuntime } from './runtime.ts';
import type { LogRecord } from '../log/format.ts';
import { acceptTimes, connectionRecord, logRecord, writeLog } from './log-record.ts';
import type { Http1Connection, Http1Exchange, Http1Handler } from './http1/server.ts';
import type { RequestHead } from './http1/parse.ts';
import { openTunnel } from './tunnel.ts';
import {
  UPSTREAM_ABORTED,
  UPSTREAM_BODY_TIMEOUT,
  UPSTREAM_CONNECT_TIMEOUT,
  UPSTREAM_QUEUE_TIMEOUT,
  UPSTREAM_REQUEST_INVALID,
  type UpstreamError,
  type UpstreamHandler,
} from './upstream.ts';
import { classifyUpstreamError, decideRetry, isReplayable, nextServer, spendRetry, usableActive, type Failure, type Retry } from './retry.ts';
import { healthyStatus, observe } from './passive-health.ts';

/** What the HTTP layer needs from the rest of the worker. */
export interface HttpDeps {
  runtime: WorkerRuntime;
  connections: ConnectionRegistry;
  /** Answers a request to the stats URI (the frontend has `stats uri`); calls `done` once answered. */
  serveStats(fe: FrontendRuntime, client: Http1Connection, head: RequestHead, done: (status: number) => void): void;
}

/**
 * Per-request state, filled phase by phase. It is also the upstream pool's handler: the pool calls
 * `onConnect`/`onHeaders`/… as methods of this object, so a request allocates no handler closures.
 */
export class Exchange implements RuleContext, UpstreamHandler, Http1Exchange {
  client: Http1Connection;
  head: RequestHead;
  fe: FrontendRuntime;
  deps: HttpDeps;
  conn: ClientConn;
  /** RuleContext: what conditions look at. */
  ssl: boolean;
  path: string;
  host = '';
  method: string;
  /** Epoch ms of accept and of this request's start, and monotonic marks. */
  acceptMs: number;
  requestMs: number;
  t0 = 0;
  tConnected = -1;
  tResponse = -1;
  /** Time spent waiting for a slot of the server's maxconn (%Tw), and when the wait began. */
  queuedMs = 0;
  tQueued = -1;
  TR: number;
  hasBody = false;
  upstreamHeaders: string[] = [];
  be: BackendRuntime | undefined = undefined;
  srv: ServerRuntime | undefined = undefined;
  tried: Set<ServerRuntime> | undefined = undefined;
  /** RetryState: retries counted against `retries`, and the one stale-connection retry. */
  retries = 0;
  staleRetried = false;
  /** A held response's status is retried: the abort that follows is not a failure. */
  retryAfterAbort: Retry | undefined = undefined;
  /** The turn-around wait before reconnecting to a server that refused. */
  retryTimer: NodeJS.Timeout | undefined = undefined;
  /** Aborts the upstream exchange (client gone); set once the pool has taken the request. */
  abortUpstream: ((err?: Error) => void) | undefined = undefined;
  upstreamStarted = false;
  /** The server slot (active/scur) is held until the upstream exchange ends. */
  holding = false;
  headersSeen = false;
  resume: (() => void) | undefined = undefined;
  waitingDrain = false;
  /** The response head was written (an error now can only cut the connection). */
  headSent = false;
  /** The response was written to its end. */
  completed = false;
  status = 0;
  termination = '----';
  done = false;
  /** Timing marks are taken only for the access log (%TR %Tc %Tr %Ta). */
  timed: boolean;

  constructor(client: Http1Connection, head: RequestHead, fe: FrontendRuntime, deps: HttpDeps, tls: boolean, now: number) {
    this.client = client;
    this.head = head;
    this.fe = fe;
    this.deps = deps;
    const conn = client.conn;
    this.conn = conn;
    this.ssl = tls;
    this.path = head.path;
    this.method = head.method;
    this.timed = fe.log !== undefined;
    const first = conn.served === 0 && conn.active === 1;
    this.acceptMs = conn.acceptMs;
    this.requestMs = first ? conn.acceptMs : now;
    this.TR = first ? now - conn.acceptMs : 0;
    if (this.timed) this.t0 = performance.now();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onQueued(): void {
    this.tQueued = performance.now();
  }

  onDequeue(): void {
    this.queuedMs += performance.now() - this.tQueued;
  }

  onRequestSent(): void {
    if (this.timed) this.tConnected = performance.now();
    const srv = this.srv as ServerRuntime;
    observe(srv, 'l4-ok', 'L4 successful connection', this.deps.runtime.reportServerErrors);
  }

  onHeaders(status: number, raw: string[], resume: () => void, statusText: string): boolean {
    if (status < 200 && status !== 101) return true; // 1xx: the client got its own 100 from Node
    const srv = this.srv as ServerRuntime;
    const healthy = healthyStatus(status);
    observe(srv, healthy ? 'l7-ok' : 'l7-error', healthy ? 'Correct http response' : `Wrong http response (${status})`, this.deps.runtime.reportServerErrors);
    if (heldForRetry(this, srv, status)) return false;
    this.headersSeen = true;
    this.resume = resume;
    if (this.timed) {
      this.tResponse = performance.now();
      if (this.tConnected < 0) this.tConnected = this.tResponse;
    }
    this.upstreamStarted = true;
    forwardResponse(this, status, statusText, raw);
    return !this.client.closedOrGone;
  }

  onData(chunk: Buffer): boolean {
    const ok = this.client.write(chunk);
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  writable(): void {
    if (!this.waitingDrain) return;
    this.waitingDrain = false;
    this.resume?.();
  }

  clientClosed(): void {
    finish(this);
  }

  onComplete(): void {
    const srv = this.srv as ServerRuntime;
    release(this, srv);
    srv.counters.values.stot++;
    srv.backend.counters.values.stot++;
    complete(this);
  }

  onError(err: Error & { code?: string }): void {
    const srv = this.srv as ServerRuntime;
    release(this, srv);
    if (err.code === UPSTREAM_QUEUE_TIMEOUT) {
      // No slot of the server's maxconn freed within `timeout queue`: HAProxy's 503 sQ, no retry.
      this.queuedMs += performance.now() - this.tQueued;
      if (!this.done) sendError(this, 503, 'sQ--');
      return;
    }
    if (err.code === UPSTREAM_REQUEST_INVALID) {
      // The client's body broke its framing (a bad chunk size, say): its error, as HAProxy's 400.
      this.fe.counters.values.ereq++;
      if (!this.done) sendError(this, 400, 'PR--');
      return;
    }
    const held = this.retryAfterAbort;
    if (held !== undefined && err.code === UPSTREAM_ABORTED) {
      this.retryAfterAbort = undefined;
      retry(this, srv, held);
      return;
    }
    upstreamFailed(this, srv, err as Partial<UpstreamError>, this.headersSeen);
  }
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
]);

/** Lengths of the header names the proxy must look at; any other name is copied without case folding. */
const REQUEST_SPECIAL_LENGTHS = new Set(['host', 'content-length', ...HOP_BY_HOP].map((h) => h.length));
const RESPONSE_SPECIAL_LENGTHS = new Set([...HOP_BY_HOP].map((h) => h.length));

/** The request phases of one frontend, for the Http1Connections of its binds. */
export function createHttpHandler(fe: FrontendRuntime, tls: boolean, deps: HttpDeps): Http1Handler {
  const statsUri = fe.frontend.stats?.uri;
  return {
    request(client, head) {
      acceptRequest(fe, tls, deps, statsUri, client, head);
    },
    refused(client, status, reason) {
      refuseRequest(fe, client, status, reason);
    },
  };
}

function acceptRequest(fe: FrontendRuntime, tls: boolean, deps: HttpDeps, statsUri: string | undefined, client: Http1Connection, head: RequestHead): void {
  const conn = client.conn;
  const connections = deps.connections;
  if (conn.served === 0 && conn.active === 0) conn.acceptMs = acceptTimes.get(client.socket) ?? Date.now();
  connections.requestStarted(conn);
  deps.runtime.inflight.add(client.socket);
  const x = new Exchange(client, head, fe, deps, tls, fe.log === undefined ? 0 : Date.now());
  client.exchange = x;
  fe.counters.values.req_tot++;
  readRequestHeaders(x);
  if (statsUri !== undefined && head.uri.startsWith(statsUri)) {
    x.termination = 'PR--';
    deps.serveStats(fe, client, head, (status) => {
      x.status = status;
      complete(x);
    });
    return;
  }
  if (!applyRequestRules(x)) return;
  if (!chooseBackend(x, deps)) return;
  if (!chooseServer(x)) return;
  if (head.upgrade !== undefined || head.method === 'CONNECT') openTunnel(x, tunnelHeaders(x), (status, termination) => tunnelEnded(x, status, termination));
  else connectUpstream(x);
}

/** Bytes that are not a request: HAProxy's 400 (or 408, 414, 431, 501) and a `PR--` line. */
function refuseRequest(fe: FrontendRuntime, client: Http1Connection, status: number, _reason: string): void {
  if (status === 0 || client.closedOrGone) {
    client.abort();
    return;
  }
  const c = fe.counters.values;
  c.ereq++;
  c.req_tot++;
  c.hrsp_4xx++;
  const body = errorBody(status === 431 || status === 414 ? 400 : status);
  client.respond(status, errorReason(status), ['cache-control', 'no-cache', 'content-type', 'text/html'], body);
  client.close();
  if (fe.log === undefined) return;
  const sock = client.socket;
  writeLog(fe, connectionRecord(fe, sock, 0, { status, bytesIn: sock.bytesRead, termination: status === 408 ? 'cR--' : 'PR--' }));
}

/** Copy the client's headers minus hop-by-hop ones; note whether a body follows. */
function readRequestHeaders(x: Exchange): void {
  const head = x.head;
  const raw = head.headers;
  const out = x.upstreamHeaders;
  x.host = head.host;
  x.hasBody = head.chunked || head.contentLength > 0;
  let sawHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (REQUEST_SPECIAL_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === 'host') sawHost = true;
    }
    out.push(name, value);
  }
  // An absolute-form target names the host: HTTP/1.1 to the server says it in Host.
  if (!sawHost && x.host !== '') out.push('Host', x.host);
  // Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  for (const token of head.connection) {
    if (token === 'close' || token === 'keep-alive' || token === 'upgrade') continue;
    for (let i = out.length - 2; i >= 0; i -= 2) if ((out[i] as string).toLowerCase() === token) out.splice(i, 2);
  }
}

/** A tunnel's request keeps what makes it one: Connection and Upgrade. */
function tunnelHeaders(x: Exchange): string[] {
  const up = x.head.upgrade;
  return up === undefined ? x.upstreamHeaders : [...x.upstreamHeaders, 'Connection', 'Upgrade', 'Upgrade', up];
}

/** A tunnel's exchange is over: refused with our 503, cut (0), or the server's answer relayed. */
function tunnelEnded(x: Exchange, status: number, termination: string): void {
  if (status === 503 && !x.headSent) {
    sendError(x, 503, termination);
    return;
  }
  if (termination !== '----') x.termination = termination;
  if (status === 0) x.client.abort();
  else {
    x.status = status;
    x.completed = true;
  }
  finish(x);
}

/** Redirects first (HAProxy evaluates them before use_backend), then the frontend's header rules. */
function applyRequestRules(x: Exchange): boolean {
  const f = x.fe.frontend;
  if (f.redirects.length > 0) {
    const r = findRedirect(f.redirects, x, x.head.uri);
    if (r !== undefined) {
      x.status = r.code;
      x.termination = 'LR--';
      x.client.respond(r.code, errorReason(r.code), ['location', r.location, 'cache-control', 'no-cache'], '');
      complete(x);
      return false;
    }
  }
  if (f.forwardFor) x.upstreamHeaders.push(f.forwardForHeader ?? 'X-Forwarded-For', x.conn.clientIp);
  if (f.requestRules.length > 0) applyHeaderRules(x.upstreamHeaders, f.requestRules, x);
  return true;
}

function chooseBackend(x: Exchange, deps: HttpDeps): boolean {
  const f = x.fe.frontend;
  let name = f.defaultBackend;
  for (const u of f.useBackends) {
    if (evaluate(u.cond, x)) {
      name = u.backend;
      break;
    }
  }
  const be = name === undefined ? undefined : deps.runtime.backends.get(name);
  if (be === undefined) {
    sendError(x, 503, 'PC--');
    return false;
  }
  x.be = be;
  be.counters.values.req_tot++;
  const b = be.backend;
  if (b.forwardFor && !f.forwardFor) x.upstreamHeaders.push(b.forwardForHeader ?? 'X-Forwarded-For', x.conn.clientIp);
  if (b.requestRules.length > 0) applyHeaderRules(x.upstreamHeaders, b.requestRules, x);
  return true;
}

function chooseServer(x: Exchange): boolean {
  const be = x.be as BackendRuntime;
  const srv = be.pick({ clientIp: x.conn.clientIp });
  if (srv === undefined) {
    sendError(x, 503, 'SC--');
    return false;
  }
  x.srv = srv;
  return true;
}

function connectUpstream(x: Exchange): void {
  const srv = x.srv as ServerRuntime;
  const be = srv.backend;
  const s = srv.server;
  if (x.host === '') {
    // HTTP/1.0 without Host: HTTP/1.1 to the server needs one.
    x.host = `${s.host}:${s.port}`;
    x.upstreamHeaders.push('Host', x.host);
  }
  srv.active++;
  srv.counters.scur++;
  be.counters.scur++;
  srv.counters.values.req_tot++;
  x.holding = true;
  x.headersSeen = false;
  try {
    srv.pool.dispatch(
      {
        method: x.method,
        // As HAProxy: the target as the client sent it (an absolute-form target stays one).
        path: x.head.target,
        headers: x.upstreamHeaders,
        // Read lazily: the pool reads the body only once connected, so a failed connect consumed none of it.
        body: x.hasBody ? x.client : null,
        // `option http-server-close`: `Connection: close` upstream, the connection is not reused.
        reset: be.serverClose || x.fe.frontend.httpServerClose,
      },
      x,
    );
  } catch (err) {
    release(x, srv);
    upstreamFailed(x, srv, { code: (err as { code?: string }).code ?? 'ERR_INVALID_ARG' }, false);
  }
}

/** Give back the server slot taken by connectUpstream (once per attempt). */
function release(x: Exchange, srv: ServerRuntime): void {
  if (!x.holding) return;
  x.holding = false;
  srv.active--;
  srv.counters.scur--;
  srv.backend.counters.scur--;
}

/** How an attempt that got no response head ended, for passive health (HAProxy's wording). */
const OBSERVED: Record<Failure['kind'], string> = {
  'conn-failure': 'L4 unsuccessful connection',
  'empty-response': 'Close from server (http)',
  'junk-response': 'Invalid http response',
  'response-timeout': 'Read timeout (http)',
  '0rtt-rejected': 'Read error (http)',
  status: 'Wrong http response',
};

/** An attempt failed: retry it (the one decision in retry.ts) or answer the client's error. */
function upstreamFailed(x: Exchange, srv: ServerRuntime, err: Partial<UpstreamError>, headersSeen: boolean): void {
  const be = srv.backend;
  if (x.done) return;
  const code = err.code ?? '';
  const report = x.deps.runtime.reportServerErrors;
  if (headersSeen) {
    // The server went away mid-body: the client cannot get a complete response.
    if (code !== UPSTREAM_ABORTED) observe(srv, 'l7-error', 'Read error (http)', report);
    srv.counters.values.srv_abrt++;
    be.counters.values.srv_abrt++;
    x.termination = code === UPSTREAM_BODY_TIMEOUT ? 'sD--' : 'SD--';
    x.client.abort();
    return;
  }
  const failure = classifyUpstreamError(code, err.info);
  if (failure === undefined) {
    srv.counters.values.eresp++;
    be.counters.values.eresp++;
    sendError(x, 502, 'SH--');
    return;
  }
  const conn = failure.kind === 'conn-failure';
  // A reused connection closed before any answer is the keep-alive race, not evidence against the server.
  if (!(failure.kind === 'empty-response' && failure.reused)) observe(srv, conn ? 'l4-error' : 'l7-error', `${OBSERVED[failure.kind]} (${code})`, report);
  const replayable = isReplayable(x.method, x.hasBody);
  const decision = decideRetry(be.backend, failure, x, { replayable, serverUsable: srv.usable, usableActive: usableActive(be.servers) });
  // The stale kept-alive connection (the server closed it as we reused it) is not the server's error.
  const stale = decision.retry && !decision.counted;
  if (!stale) {
    const field = conn ? 'econ' : 'eresp';
    srv.counters.values[field]++;
    be.counters.values[field]++;
  }
  if (decision.retry && !x.client.closedOrGone) {
    retry(x, srv, decision);
    return;
  }
  if (conn) sendError(x, 503, code === UPSTREAM_CONNECT_TIMEOUT ? 'sC--' : 'SC--');
  else if (failure.kind === 'response-timeout') sendError(x, 504, 'sH--');
  else sendError(x, 502, 'SH--');
}

/** A response whose status `retry-on` names is held, not forwarded, when it will be retried. */
function heldForRetry(x: Exchange, srv: ServerRuntime, status: number): boolean {
  const be = srv.backend;
  const statuses = be.backend.retryOn.statuses;
  if (statuses.length === 0 || !statuses.includes(status) || x.client.closedOrGone) return false;
  const decision = decideRetry(be.backend, { kind: 'status', status, reused: false }, x, {
    replayable: isReplayable(x.method, x.hasBody),
    serverUsable: srv.usable,
    usableActive: usableActive(be.servers),
  });
  const abort = x.abortUpstream;
  if (!decision.retry || abort === undefined) return false;
  // Drop this exchange (and its connection); onError then sends the request again.
  x.retryAfterAbort = decision;
  abort();
  return true;
}

/** Send the request again, to the server the decision names. */
function retry(x: Exchange, failed: ServerRuntime, d: Retry): void {
  spendRetry(x, d);
  const next = nextServer(failed.backend, x.conn.clientIp, failed, (x.tried ??= new Set()), d);
  if (next === undefined) {
    sendError(x, 503, 'SC--');
    return;
  }
  x.srv = next;
  if (d.delayMs === 0) {
    connectUpstream(x);
    return;
  }
  x.retryTimer = setTimeout(() => {
    x.retryTimer = undefined;
    if (!x.done && !x.client.closedOrGone) connectUpstream(x);
  }, d.delayMs);
}

function forwardResponse(x: Exchange, status: number, statusText: string, raw: string[]): void {
  x.status = status;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // The pool hands us the decoded body: Node re-frames it (same length, or chunked when unknown).
    if (RESPONSE_SPECIAL_LENGTHS.has(name.length) && HOP_BY_HOP.has(name.toLowerCase())) continue;
    headers.push(name, raw[i + 1] as string);
  }
  applyResponseRules(x, headers);
  if (x.client.closedOrGone) return;
  x.headSent = true;
  x.client.writeHead(status, statusText, headers);
}

function applyResponseRules(x: Exchange, headers: string[]): void {
  const beRules = x.be?.backend.responseRules;
  const feRules = x.fe.frontend.responseRules;
  if (beRules !== undefined && beRules.length > 0) applyHeaderRules(headers, beRules, x);
  if (feRules.length > 0) applyHeaderRules(headers, feRules, x);
}

/** Our own error response: the errorfile (backend's, then frontend's) or HAProxy's text. */
export function sendError(x: Exchange, code: number, termination: string): void {
  x.status = code;
  x.termination = termination;
  const client = x.client;
  if (x.headSent || client.closedOrGone) {
    client.abort();
    return;
  }
  const file = x.be?.backend.errorfiles[String(code)] ?? x.fe.frontend.errorfiles[String(code)];
  // An errorfile is sent byte for byte, as HAProxy does; its framing is unknown, so the connection closes.
  if (file !== undefined) client.respondRaw(rawErrorfile(file));
  else client.respond(code, errorReason(code), ['cache-control', 'no-cache', 'content-type', 'text/html'], errorBody(code));
  complete(x);
}

/** The response was written to its end. */
function complete(x: Exchange): void {
  x.completed = true;
  const client = x.client;
  client.end();
  if (!client.halfClosed) {
    finish(x);
    return;
  }
  // The client shut its side before the answer: a half-close if it reads it, gone if the answer
  // meets a reset.
  client.whenClosed((clean) => {
    x.completed = clean;
    finish(x);
  });
}

/** The exchange is over (answered, or the client went away): counters and the log line. */
function finish(x: Exchange): void {
  if (x.done) return;
  x.done = true;
  if (x.retryTimer !== undefined) clearTimeout(x.retryTimer);
  if (x.client.exchange === x) x.client.exchange = undefined;
  if (!x.completed) clientAborted(x);
  // Bytes since the previous response of this connection: this request (head and body) and its answer.
  const conn = x.conn;
  const bin = conn.socket.bytesRead - conn.bytesReadAtIdle;
  const bytesWrittenBefore = conn.bytesWrittenAtIdle;
  x.deps.connections.requestFinished(conn);
  const rt = x.deps.runtime;
  if (rt.inflight.delete(conn.socket) && rt.inflight.size === 0) rt.onIdle?.();
  const bout = conn.bytesWrittenAtIdle - bytesWrittenBefore;
  countExchange(x, x.status, bin, bout);
  if (x.fe.log !== undefined) writeLog(x.fe, requestRecord(x, x.status, bin, bout));
}

/** The client went away before the response was complete. */
function clientAborted(x: Exchange): void {
  x.abortUpstream?.();
  // K: we killed it (hard-stop-after); C: the client went away.
  if (x.termination === '----') x.termination = (x.conn.killed ? 'K' : 'C') + (x.upstreamStarted ? 'D--' : 'H--');
  if (x.srv !== undefined && x.termination.startsWith('C')) {
    x.srv.counters.values.cli_abrt++;
    x.srv.backend.counters.values.cli_abrt++;
  }
}

/** Status class and bytes, on the frontend, the backend and (once it answered) the server. */
function countExchange(x: Exchange, status: number, bin: number, bout: number): void {
  const fc = x.fe.counters.values;
  if (status !== 0) countStatus(fc, status);
  fc.bin += bin;
  fc.bout += bout;
  if (x.be !== undefined) {
    const bc = x.be.counters.values;
    if (status !== 0) countStatus(bc, status);
    bc.bin += bin;
    bc.bout += bout;
  }
  if (x.srv !== undefined && x.upstreamStarted) {
    const sc = x.srv.counters.values;
    countStatus(sc, status);
    sc.bin += bin;
    sc.bout += bout;
  }
}

/** The access-log record of one request, its timers taken from the phase marks. */
function requestRecord(x: Exchange, status: number, bin: number, bout: number): LogRecord {
  const conn = x.conn;
  const origin = { fe: x.fe, clientIp: conn.clientIp, clientPort: conn.clientPort, acceptMs: x.acceptMs, actconn: x.deps.connections.openCount, be: x.be, srv: x.srv };
  return logRecord(origin, {
    requestMs: x.requestMs,
    tls: x.ssl,
    TR: x.TR,
    Tw: x.srv === undefined ? -1 : Math.round(x.queuedMs),
    Tc: x.tConnected < 0 ? -1 : Math.round(x.tConnected - x.t0 - x.queuedMs),
    Tr: x.tResponse < 0 || x.tConnected < 0 ? -1 : Math.round(x.tResponse - x.tConnected),
    Ta: Math.round(performance.now() - x.t0) + x.TR,
    status: status === 0 ? -1 : status,
    bytesOut: bout,
    bytesIn: bin,
    termination: x.termination,
    retries: x.retries,
    method: x.method,
    uri: x.head.target,
    httpVersion: x.head.minor === 0 ? '1.0' : '1.1',
  });
}
