// The HTTP data path. One request reads top to bottom as named phases (Pingora style):
//   acceptRequest → applyRequestRules → chooseBackend → chooseServer → connectUpstream
//   → forwardResponse → applyResponseRules → log
// with the timing marks of the access log (%TR %Tc %Tr %Ta %Tt) taken at the phase boundaries.
import type http from 'node:http';
import type { HeaderRule } from '../config/model.ts';
import { countStatus } from './counters.ts';
import type { ClientConn, ConnectionRegistry } from './connections.ts';
import { errorBody, errorReason, rawErrorfile } from './errors.ts';
import { applyHeaderRules, evaluate, findRedirect, type RuleContext } from './rules.ts';
import type { BackendRuntime, FrontendRuntime, ServerRuntime, WorkerRuntime } from './runtime.ts';
import type { LogRecord } from '../log/format.ts';
import { acceptTimes, logRecord, writeLog } from './log-record.ts';
import {
  UPSTREAM_ABORTED,
  UPSTREAM_BODY_TIMEOUT,
  UPSTREAM_CONNECT_TIMEOUT,
  UPSTREAM_QUEUE_TIMEOUT,
  type UpstreamError,
  type UpstreamHandler,
} from './upstream.ts';
import { classifyUpstreamError, decideRetry, isReplayable, nextServer, spendRetry, usableActive, type Failure, type Retry } from './retry.ts';
import { healthyStatus, observe } from './passive-health.ts';

/** What the HTTP layer needs from the rest of the worker. */
export interface HttpDeps {
  runtime: WorkerRuntime;
  connections: ConnectionRegistry;
  /** Answers a request to the stats URI (the frontend has `stats uri`). */
  serveStats(fe: FrontendRuntime, req: http.IncomingMessage, res: http.ServerResponse): void;
}

/**
 * Per-request state, filled phase by phase. It is also the upstream pool's handler: the pool calls
 * `onConnect`/`onHeaders`/… as methods of this object, so a request allocates no handler closures.
 */
class Exchange implements RuleContext, UpstreamHandler {
  req: http.IncomingMessage;
  res: http.ServerResponse;
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
  t0: number;
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
  onResDrain: (() => void) | undefined = undefined;
  status = 0;
  termination = '----';
  done = false;

  constructor(req: http.IncomingMessage, res: http.ServerResponse, fe: FrontendRuntime, deps: HttpDeps, conn: ClientConn, tls: boolean, now: number) {
    this.req = req;
    this.res = res;
    this.fe = fe;
    this.deps = deps;
    this.conn = conn;
    this.ssl = tls;
    const url = req.url as string;
    // The path is only looked at by conditions; skip the slice when none exists.
    if (fe.needsPath) {
      const q = url.indexOf('?');
      this.path = q === -1 ? url : url.slice(0, q);
    } else {
      this.path = url;
    }
    this.method = req.method as string;
    const first = conn.served === 0 && conn.active === 1;
    this.acceptMs = conn.acceptMs;
    this.requestMs = first ? conn.acceptMs : now;
    this.TR = first ? now - conn.acceptMs : 0;
    this.t0 = performance.now();
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
    this.tConnected = performance.now();
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
    this.tResponse = performance.now();
    if (this.tConnected < 0) this.tConnected = this.tResponse;
    this.upstreamStarted = true;
    forwardResponse(this, status, statusText, raw);
    return !this.res.destroyed;
  }

  onData(chunk: Buffer): boolean {
    const ok = this.res.write(chunk);
    if (!ok && !this.waitingDrain) {
      this.waitingDrain = true;
      this.onResDrain ??= () => {
        this.waitingDrain = false;
        this.resume?.();
      };
      this.res.once('drain', this.onResDrain);
    }
    return ok;
  }

  onComplete(): void {
    const srv = this.srv as ServerRuntime;
    release(this, srv);
    srv.counters.values.stot++;
    srv.backend.counters.values.stot++;
    this.res.end();
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

const kExchange = Symbol('handoff.exchange');
type WithExchange = http.ServerResponse & { [kExchange]?: Exchange };

function onResponseClose(this: WithExchange): void {
  const x = this[kExchange];
  if (x !== undefined) finish(x);
}

export function createHttpHandler(fe: FrontendRuntime, tls: boolean, deps: HttpDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const f = fe.frontend;
  const statsUri = f.stats?.uri;
  const connections = deps.connections;
  return function acceptRequest(req, res) {
    const conn = connections.conn(req.socket);
    if (conn.served === 0 && conn.active === 0) conn.acceptMs = acceptTimes.get(req.socket) ?? Date.now();
    connections.requestStarted(conn);
    deps.runtime.inflight.add(req.socket);
    const x = new Exchange(req, res, fe, deps, conn, tls, Date.now());
    fe.counters.values.req_tot++;
    // Draining, or `option httpclose`: answer this one, then close the connection.
    if (connections.draining || !f.clientKeepAlive) res.shouldKeepAlive = false;
    (res as WithExchange)[kExchange] = x;
    res.on('close', onResponseClose);
    req.on('error', noop);
    res.on('error', noop);

    if (req.httpVersionMajor !== 1) {
      // A request line without a version (HTTP/0.9) or of another major version: HAProxy answers
      // 400 rather than guess. Node reports both a missing version and `HTTP/0.9` as 0.9.
      res.shouldKeepAlive = false;
      sendError(x, 400, 'PR--');
      return;
    }
    readRequestHeaders(x);
    if (statsUri !== undefined && (req.url as string).startsWith(statsUri)) {
      x.termination = 'PR--';
      deps.serveStats(fe, req, res);
      return;
    }
    if (!applyRequestRules(x)) return;
    if (!chooseBackend(x, deps)) return;
    if (!chooseServer(x)) return;
    connectUpstream(x);
  };
}

function noop(): void {}

/** Copy the client's headers minus hop-by-hop ones; note Host and whether a body follows. */
function readRequestHeaders(x: Exchange): void {
  const raw = x.req.rawHeaders;
  const out = x.upstreamHeaders;
  let extraHop: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (!REQUEST_SPECIAL_LENGTHS.has(name.length)) {
      out.push(name, value);
      continue;
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'transfer-encoding') {
        x.hasBody = true; // the pool frames the streamed body itself (chunked when the length is unknown)
      } else if (lower === 'connection') {
        for (const token of value.split(',')) {
          const t = token.trim().toLowerCase();
          if (t !== '' && t !== 'close' && t !== 'keep-alive') (extraHop ??= []).push(t);
        }
      }
      continue;
    }
    if (lower === 'host') x.host = value;
    else if (lower === 'content-length' && value !== '0') x.hasBody = true;
    out.push(name, value);
  }
  if (extraHop !== undefined) {
    // Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
    for (const h of extraHop) for (let i = out.length - 2; i >= 0; i -= 2) if ((out[i] as string).toLowerCase() === h) out.splice(i, 2);
  }
}

/** Redirects first (HAProxy evaluates them before use_backend), then the frontend's header rules. */
function applyRequestRules(x: Exchange): boolean {
  const f = x.fe.frontend;
  if (f.redirects.length > 0) {
    const r = findRedirect(f.redirects, x, x.req.url ?? '/');
    if (r !== undefined) {
      x.status = r.code;
      x.termination = 'LR--';
      x.req.resume();
      x.res.writeHead(r.code, { location: r.location, 'content-length': '0', 'cache-control': 'no-cache' });
      x.res.end();
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
        path: x.req.url as string,
        headers: x.upstreamHeaders,
        // Read lazily: the pool reads the body only once connected, so a failed connect consumed none of it.
        body: x.hasBody ? x.req : null,
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
    x.res.destroy();
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
  if (decision.retry && !x.res.destroyed) {
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
  if (statuses.length === 0 || !statuses.includes(status) || x.res.destroyed) return false;
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
    if (!x.done && !x.res.destroyed) connectUpstream(x);
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
  if (x.res.destroyed) return;
  x.res.writeHead(status, statusText, headers);
}

function applyResponseRules(x: Exchange, headers: string[]): void {
  const beRules = x.be?.backend.responseRules;
  const feRules = x.fe.frontend.responseRules;
  if (beRules !== undefined && beRules.length > 0) applyHeaderRules(headers, beRules, x);
  if (feRules.length > 0) applyHeaderRules(headers, feRules, x);
}

/** Our own error response: the errorfile (backend's, then frontend's) or HAProxy's text. */
export function sendError(x: { res: http.ServerResponse; req: http.IncomingMessage; fe: FrontendRuntime; be?: BackendRuntime | undefined; status: number; termination: string }, code: number, termination: string): void {
  x.status = code;
  x.termination = termination;
  const res = x.res;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  x.req.resume();
  const file = x.be?.backend.errorfiles[String(code)] ?? x.fe.frontend.errorfiles[String(code)];
  if (file !== undefined) {
    // Sent byte for byte, as HAProxy does; we cannot know its framing, so the connection closes
    // (the ServerResponse is never used: the socket's close ends it).
    const sock = res.socket;
    if (sock !== null) {
      sock.end(rawErrorfile(file));
      return;
    }
  }
  const body = errorBody(code);
  res.writeHead(code, errorReason(code), {
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-cache',
    'content-type': 'text/html',
  });
  res.end(body);
}

function finish(x: Exchange): void {
  if (x.done) return;
  x.done = true;
  if (x.retryTimer !== undefined) clearTimeout(x.retryTimer);
  const res = x.res;
  const completed = res.writableFinished;
  if (!completed) clientAborted(x);
  // Bytes since the previous response of this connection: this request (head and body) and its answer.
  const conn = x.conn;
  const bin = conn.socket.bytesRead - conn.bytesReadAtIdle;
  const bytesWrittenBefore = conn.bytesWrittenAtIdle;
  x.deps.connections.requestFinished(conn);
  const rt = x.deps.runtime;
  if (rt.inflight.delete(conn.socket) && rt.inflight.size === 0) rt.onIdle?.();
  const bout = conn.bytesWrittenAtIdle - bytesWrittenBefore;
  const status = x.status === 0 ? (completed ? res.statusCode : 0) : x.status;
  countExchange(x, status, bin, bout);
  if (x.fe.log !== undefined) writeLog(x.fe, requestRecord(x, status, bin, bout));
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
    uri: x.req.url ?? '/',
    httpVersion: x.req.httpVersion,
  });
}
