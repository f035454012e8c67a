// The HTTP data path. One request reads top to bottom as named phases (Pingora style):
//   acceptRequest → monitor → http-request rules → stats → redirects → chooseBackend (use_backend,
//   the backend's rules, forwardfor) → chooseServer → connectUpstream → forwardResponse
//   (http-response, http-after-response rules) → log
// with the timing marks of the access log (%TR %Tc %Tr %Ta %Tt) taken at the phase boundaries.
import { countStatus, observeTimes } from './counters.ts';
import { observeLatency } from './latency-histogram.ts';
import type { ClientConn, ConnectionRegistry } from './connections.ts';
import { errorBody, errorReason } from './errors.ts';
import { evaluate, routeBackend, type RuleContext } from './rules.ts';
import { dropRequestVars, redirectLocation, REWRITE_FAILED, runRules, runRulesFrom, type RuleExchange } from './actions.ts';
import { answerVerdict, sendErrorPage, sendOwn, sendRedirect, type Answering } from './intercept.ts';
import { errorResponse } from './replies.ts';
import { addForwardedFor } from './forwarded.ts';
import type { Backend, Frontend, HttpRules } from '../config/model.ts';
import { sampleText, type SampleValue } from './sample.ts';
import { usableServers, type BackendRuntime, type FrontendRuntime, type ServerRuntime, type WorkerRuntime } from './runtime.ts';
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
import type { Shutdown } from './server-sessions.ts';
import type { Socket } from 'node:net';
import { proxyHeaderFor } from './proxy-send.ts';
import { endTracking } from './stick-actions.ts';
import { countRequest, requestStickState } from './conn-rules.ts';
import { storeResponseServer, storeServer, stuckServer, type StickMode } from './stick-servers.ts';
import type { StickState } from './stick-client.ts';
import type { CompressionAlgo } from '../config/model.ts';
import { compressedHeaders, compressible, dropAcceptEncoding, negotiate, offloads, typesOf } from './compression.ts';
import { createCompressor, type BodyCompressor } from './compress-stream.ts';
import { contentVerdict } from './content-inspect.ts';
import { persistRequest, persistResponse, withCookieFlags, type CookieState, type PersistMode } from './persistence.ts';
import { balanceKey } from './balance-key.ts';

/** What the HTTP layer needs from the rest of the worker. */
export interface HttpDeps {
  runtime: WorkerRuntime;
  connections: ConnectionRegistry;
  /**
   * Answers a request to the stats URI (the frontend has `stats uri`), or with `service` the
   * request an `http-request use-service` rule chose; calls `done` once answered.
   */
  serveStats(fe: FrontendRuntime, client: Http1Connection, head: RequestHead, admin: boolean, done: (status: number) => void, service?: 'prometheus-exporter'): void;
}

/**
 * Per-request state, filled phase by phase. It is also the upstream pool's handler: the pool calls
 * `onConnect`/`onHeaders`/… as methods of this object, so a request allocates no handler closures.
 */
export class Exchange implements RuleContext, RuleExchange, Answering, UpstreamHandler, Http1Exchange {
  client: Http1Connection;
  head: RequestHead;
  fe: FrontendRuntime;
  deps: HttpDeps;
  conn: ClientConn;
  /** RuleContext / SampleContext: what conditions and samples look at. */
  ssl: boolean;
  path: string;
  host = '';
  method: string;
  /** The response's headers while response rules run (`res.hdr`, `status`); unset before. */
  resHeaders: string[] | undefined = undefined;
  /** `txn.*`, `req.*`, `res.*` variables. */
  vars: Map<string, SampleValue> | undefined = undefined;
  /** Stick counters this request tracks (a configuration with stick tables only). */
  stick: StickState | undefined;
  /** RuleExchange: the target sent upstream, as rules rewrite it (`head.target` stays as received). */
  target: string;
  statusText = '';
  captures: string[] | undefined = undefined;
  silent = false;
  location = '';
  tarpitTimer: NodeJS.Timeout | undefined = undefined;
  /** Epoch ms of accept and of this request's start, and monotonic marks. */
  acceptMs: number;
  readAtStart: number;
  writtenAtStart: number;
  requestMs: number;
  t0 = 0;
  tConnected = -1;
  tResponse = -1;
  /** Time spent waiting for a slot of the server's maxconn (%Tw), and when the wait began. */
  queuedMs = 0;
  tQueued = -1;
  /** The server whose queue this exchange waits in (counted in its `qcur`). */
  queuedOn: ServerRuntime | undefined = undefined;
  TR: number;
  hasBody = false;
  upstreamHeaders: string[] = [];
  be: BackendRuntime | undefined = undefined;
  srv: ServerRuntime | undefined = undefined;
  tried: Set<ServerRuntime> | undefined = undefined;
  /** A retry went to another server (HAProxy's SF_REDISP: `%rc` logged `+N`). */
  redispatched = false;
  /** Cookie persistence of the backend (`cookie`): what the request's cookie said, until the response. */
  cookie: CookieState<ServerRuntime> | undefined = undefined;
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
  /** Places in the runtime's requests in flight and in the server's sessions (SlotSet). */
  inflightSlot = -1;
  sessionSlot = -1;
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
  /** Timing marks for the access log (%TR %Tc %Tr %Ta), the latency histograms and the stat table's times. */
  timed: boolean;
  /** The algorithm Accept-Encoding chose (`compression`); the response's body goes through `compressor`. */
  compAlgo: CompressionAlgo | undefined = undefined;
  compressor: BodyCompressor | undefined = undefined;
  /** SampleContext: set once the response is to be compressed (`res.comp`, `res.comp_algo`). */
  compressing: string | undefined = undefined;

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
    this.target = head.target;
    this.stick = deps.runtime.stick === undefined ? undefined : requestStickState(deps.runtime.stick, client.socket);
    // Always: the stat table's qtime/ctime/rtime/ttime average them too.
    this.timed = true;
    const first = conn.served === 0 && conn.active === 1;
    this.acceptMs = conn.acceptMs;
    // Bytes of this request and its answer are counted from here (the previous response ended before).
    this.readAtStart = conn.bytesReadAtIdle;
    this.writtenAtStart = conn.socket.bytesWritten;
    this.requestMs = first ? conn.acceptMs : now;
    this.TR = first ? now - conn.acceptMs : 0;
    if (this.timed) this.t0 = performance.now();
  }

  /** `nbsrv(backend)`: its usable active servers, else its usable backups (HAProxy's be_usable_srv). */
  nbsrv(backend: string): number {
    return usableServers(this.deps.runtime, backend);
  }

  /** Answering: whose rules and pages apply. */
  proxies(): { fe: Frontend; be: Backend | undefined } {
    return { fe: this.fe.frontend, be: this.be?.backend };
  }

  /** Answering: a response of ours was written. */
  ownResponseSent(): void {
    complete(this);
  }

  /** Session: the server's health verdict (on-marked-down / on-marked-up) ends this exchange. */
  shutdown(why: Shutdown): void {
    killExchange(this, why);
  }

  get clientSocket(): Socket {
    return this.client.socket;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onQueued(): void {
    this.tQueued = performance.now();
    enqueue(this);
  }

  onConnection(reused: boolean): void {
    const srv = this.srv as ServerRuntime;
    const field = reused ? 'reuse' : 'connect';
    srv.counters.values[field]++;
    srv.backend.counters.values[field]++;
  }

  onDequeue(): void {
    this.queuedMs += performance.now() - this.tQueued;
    dequeue(this);
  }

  onRequestSent(): void {
    if (this.timed) this.tConnected = performance.now();
    const srv = this.srv as ServerRuntime;
    srv.counters.values.req_tot++;
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
    // Response rules may answer instead of the server: its exchange is then cut.
    if (!forwardResponse(this, status, statusText, raw)) {
      this.abortUpstream?.();
      return false;
    }
    return !this.client.closedOrGone;
  }

  onData(chunk: Buffer): boolean {
    if (this.compressor !== undefined) return this.compressor.write(chunk);
    const ok = this.client.write(chunk);
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  writable(): void {
    if (this.compressor !== undefined) return this.compressor.writable();
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
    if (this.compressor === undefined) complete(this);
    else this.compressor.end(() => complete(this));
  }

  onError(err: Error & { code?: string }): void {
    const srv = this.srv as ServerRuntime;
    release(this, srv);
    if (err.code === UPSTREAM_QUEUE_TIMEOUT) {
      // No slot of the server's maxconn freed within `timeout queue`: HAProxy's 503 sQ, no retry.
      this.queuedMs += performance.now() - this.tQueued;
      dequeue(this);
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
  // The server side (http1/server.ts) counts the request started and finished on the connection.
  if (conn.served === 0 && conn.active === 1) conn.acceptMs = acceptTimes.get(client.socket) ?? Date.now();
  const x = new Exchange(client, head, fe, deps, tls, fe.log === undefined ? 0 : Date.now());
  deps.runtime.inflight.add(x);
  client.exchange = x;
  fe.counters.values.req_tot++;
  readRequestHeaders(x);
  // The connection's trackers count the request first (`tcp-request connection track-sc*`).
  const counting = countRequest(x.stick);
  if (counting !== undefined) {
    void counting.then(() => {
      if (!x.done) afterCounting(x);
    });
    return;
  }
  afterCounting(x);
}

/** The request's content, monitor and http-request rules. */
function afterCounting(x: Exchange): void {
  const fe = x.fe;
  if (!contentRules(x)) return;
  if (monitorRequest(x)) return;
  if (requestRules(x, fe.frontend.http, fe.frontend, afterFrontendRules)) afterFrontendRules(x);
}

/** After the frontend's `http-request` rules: the stats page, redirects, the backend and its rules. */
function afterFrontendRules(x: Exchange): void {
  const { fe, deps, head, client } = x;
  const statsUri = fe.frontend.stats?.uri;
  const http = fe.frontend.http;
  if (statsUri !== undefined && head.uri.startsWith(statsUri) && STATS_METHODS.has(head.method)) {
    x.termination = 'PR--';
    // `stats admin if COND`: the first that holds makes the request an admin's (HAProxy's order).
    const admin = fe.frontend.stats?.admin?.some((c) => evaluate(c, x)) === true;
    fe.counters.values.intercepted++;
    deps.serveStats(fe, client, head, admin, (status) => {
      x.status = status;
      complete(x);
    });
    return;
  }
  if (!redirectRules(x, http)) return;
  if (chooseBackend(x, deps)) afterBackendRules(x);
}

/** After the backend's rules: a server, then the request goes to it. */
function afterBackendRules(x: Exchange): void {
  const head = x.head;
  if (!redirectRules(x, (x.be as BackendRuntime).backend.http)) return;
  addForwardedFor(x.upstreamHeaders, x.fe.frontend, (x.be as BackendRuntime).backend, x.conn.clientIp);
  requestCompression(x, x.fe.frontend, (x.be as BackendRuntime).backend);
  // `stick match|on`: the keys' servers are looked up first (backends with such rules only).
  const be = x.be as BackendRuntime;
  const sticking = be.backend.stickRules === undefined ? undefined : stuckServer(x, be, stickMode(be.backend, x));
  if (sticking !== undefined) {
    void sticking.then((stuck) => {
      if (!x.done) toServer(x, stuck);
    });
    return;
  }
  toServer(x, {});
}

/** A server (the stuck one unless a cookie chose), then the request goes to it. */
function toServer(x: Exchange, stuck: { srv?: ServerRuntime; table?: string }): void {
  const head = x.head;
  if (!chooseServer(x, stuck.srv)) return;
  storeServer(x, x.be as BackendRuntime, x.srv as ServerRuntime, stuck.srv === x.srv ? stuck.table : undefined);
  if (head.upgrade !== undefined || head.method === 'CONNECT') openTunnel(x, tunnelHeaders(x), (status, termination) => tunnelEnded(x, status, termination));
  else connectUpstream(x);
}

/** `tcp-request content accept|reject` in http mode: evaluated for each request, before anything
 * HTTP (no content is held: `req.len` & co. find nothing), the frontend's first and the backend's
 * once it is chosen; reject closes the connection. */
function contentRules(x: Exchange, rules = x.fe.frontend.tcpContent): boolean {
  if (rules === undefined || contentVerdict(rules, x, { data: EMPTY, final: true, mayChange: false }) === 'accept') return true;
  x.termination = 'PR--';
  // A denied request of the frontend only, also for a backend's rule (HAProxy 2.6 counts it so).
  x.fe.counters.values.dreq++;
  x.client.abort();
  finish(x);
  return false;
}

const EMPTY = Buffer.alloc(0);

/** The methods HAProxy's stats page answers; any other goes on to the backend, as in HAProxy. */
const STATS_METHODS = new Set(['GET', 'HEAD', 'POST']);

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

/** `monitor-uri`: answered here, before any rule, 200 or 503 (`monitor fail`), and not logged. */
function monitorRequest(x: Exchange): boolean {
  const m = x.fe.frontend.monitor;
  if (m === undefined) return false;
  // A URI starting with `/` is compared with the path and query, else with the whole target.
  if (x.head.target !== m.uri && !(m.uri.startsWith('/') && x.head.uri === m.uri)) return false;
  x.silent = true;
  x.fe.counters.values.intercepted++;
  const failed = m.fail.some((c) => evaluate(c, x));
  sendOwn(x, errorResponse(failed ? 503 : 200, undefined, x.fe.frontend), 'LR--');
  return true;
}

/**
 * A proxy's `http-request` rules, in order: false when one answered, or when a `track-scN` waits
 * for the master — then `resume` carries the request on once the rest of the list passed.
 */
function requestRules(x: Exchange, http: HttpRules, proxy: Frontend | Backend, resume: (x: Exchange) => void, start = 0): boolean {
  if (http.httpRequest.length === 0) return true;
  if (x.stick !== undefined) x.stick.proxy = proxy.name;
  const v = runRulesFrom(http.httpRequest, x, x.upstreamHeaders, start);
  if (v === undefined) return true;
  if (v !== REWRITE_FAILED && 'wait' in v) {
    void v.wait.then(() => {
      if (!x.done && requestRules(x, http, proxy, resume, v.resume)) resume(x);
    });
    return false;
  }
  if (v !== REWRITE_FAILED && v.action === 'use-service') {
    x.fe.counters.values.intercepted++;
    useService(x, v.service);
  } else {
    if (v === REWRITE_FAILED) countFailedRewrite(x);
    else if (DENIES.has(v.action)) countDenied(x, proxy);
    answerVerdict(x, v, { side: 'request', proxy });
  }
  return false;
}

/** The actions HAProxy counts in `dreq`: a request denied by a rule. */
const DENIES: ReadonlySet<string> = new Set(['deny', 'tarpit', 'reject']);

/** `dreq` of the proxy whose rule denied the request (a frontend's, or the backend's). */
function countDenied(x: Exchange, proxy: Frontend | Backend): void {
  if (proxy === x.fe.frontend) x.fe.counters.values.dreq++;
  else if (x.be !== undefined) x.be.counters.values.dreq++;
}

/** `http-request use-service`: the service answers (HAProxy logs an applet's answer as `LR`). */
function useService(x: Exchange, service: 'prometheus-exporter'): void {
  x.termination = 'LR--';
  x.deps.serveStats(x.fe, x.client, x.head, false, (status) => {
    x.status = status;
    complete(x);
  }, service);
}

/** A proxy's `redirect` rules, after its http-request rules: false when one answered. */
function redirectRules(x: Exchange, http: HttpRules): boolean {
  for (const r of http.redirects) {
    if (!evaluate(r.cond, x) || !redirectLocation(r, x)) continue;
    sendRedirect(x, r, 'request');
    return false;
  }
  return true;
}

function chooseBackend(x: Exchange, deps: HttpDeps): boolean {
  const f = x.fe.frontend;
  const be = routeBackend(f, deps.runtime.backends, x);
  // HTTP goes to http backends only: a tcp one (or none, on a tcp frontend's connection served as HTTP) closes it, HAProxy's `IR`.
  if (be === undefined ? f.mode === 'tcp' : be.backend.mode !== 'http') {
    x.be = be;
    x.termination = 'IR--';
    x.client.abort();
    finish(x);
    return false;
  }
  if (be === undefined) {
    sendError(x, 503, 'PC--');
    return false;
  }
  x.be = be;
  // As HAProxy: a session and a request of the backend once routed there, whatever follows.
  be.counters.values.stot++;
  if (!contentRules(x, be.backend.tcpContent)) return false;
  be.counters.values.req_tot++;
  const b = be.backend;
  return requestRules(x, b.http, b, afterBackendRules);
}

/** `compression`: the algorithm the request accepts; `offload` hides Accept-Encoding from the server. */
function requestCompression(x: Exchange, f: Frontend, b: Backend): void {
  if (f.compression === undefined && b.compression === undefined) return;
  const n = negotiate(f.compression, b.compression, x.head.headers, x.head.minor);
  x.compAlgo = n?.algo;
  if (n?.named === true && offloads(f.compression, b.compression)) dropAcceptEncoding(x.upstreamHeaders);
}

/** The response is compressed (decided on the server's headers, as HAProxy before its rules). */
function compressResponse(x: Exchange, raw: readonly string[]): boolean {
  const algo = x.compAlgo;
  if (algo === undefined) return false;
  const fc = x.fe.frontend.compression;
  const bc = x.be?.backend.compression;
  return compressible({ status: x.status, method: x.method, headers: raw }, typesOf(fc, bc));
}

/** The response's body goes through zlib from now on. */
function startCompressing(x: Exchange, headers: string[]): void {
  const algo = x.compAlgo as CompressionAlgo;
  compressedHeaders(headers, algo);
  const level = (x.be?.backend.compression ?? x.fe.frontend.compression)?.level ?? 1;
  x.compressor = createCompressor(algo, level, (b) => x.client.write(b), () => x.resume?.(), () => {
    x.abortUpstream?.();
    x.client.abort();
  });
}

function chooseServer(x: Exchange, stuck?: ServerRuntime): boolean {
  const be = x.be as BackendRuntime;
  const b = be.backend;
  if (b.cookie !== undefined) x.cookie = persistRequest(b.cookie, be.servers, persistMode(b, x), x.upstreamHeaders, Math.floor(Date.now() / 1000));
  const srv = x.cookie?.direct ?? stuck ?? be.pick({ clientIp: x.conn.clientIp, hashKey: balanceKey(b, x) });
  if (srv === undefined) {
    sendError(x, 503, 'SC--');
    return false;
  }
  x.srv = srv;
  return true;
}

/** How stick rules treat a down server: `option persist`/`force-persist` still send to it; `ignore-persist` skips them. */
function stickMode(b: Backend, x: Exchange): StickMode {
  const m = persistMode(b, x);
  return m === 'ignore' ? 'ignore' : m === 'normal' ? 'normal' : 'persist';
}

/** `option persist`, or the first `force-persist` / `ignore-persist` rule whose condition holds. */
function persistMode(b: Backend, x: Exchange): PersistMode {
  const rule = b.persistRules?.find((r) => evaluate(r.cond, x));
  if (rule !== undefined) return rule.kind;
  return b.persist ? 'persist' : 'normal';
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
  // A session of the server per attempt (HAProxy counts a retried connect again); its req_tot once the request is sent.
  srv.counters.values.stot++;
  x.holding = true;
  srv.sessions.add(x);
  x.headersSeen = false;
  try {
    srv.pool.dispatch(
      {
        method: x.method,
        // As HAProxy: the target as the client sent it (an absolute-form target stays one), as rules rewrote it.
        path: x.target,
        headers: x.upstreamHeaders,
        // Read lazily: the pool reads the body only once connected, so a failed connect consumed none of it.
        body: x.hasBody ? x.client : null,
        // `option http-server-close`: `Connection: close` upstream, the connection is not reused.
        reset: be.serverClose || x.fe.frontend.httpServerClose,
        proxyHeader: proxyHeaderFor(s, x.client.socket),
        servername: servernameFor(s, x),
      },
      x,
    );
  } catch (err) {
    release(x, srv);
    upstreamFailed(x, srv, { code: (err as { code?: string }).code ?? 'ERR_INVALID_ARG' }, false);
  }
}

/** `sni EXPR` of an `ssl` server, evaluated on this request (undefined: none). */
function servernameFor(s: ServerRuntime['server'], x: Exchange): string | undefined {
  const expr = s.ssl === true ? s.tls?.sni : undefined;
  if (expr === undefined) return undefined;
  const name = sampleText(expr, x);
  return name === '' ? undefined : name;
}

/** Give back the server slot taken by connectUpstream (once per attempt). */
function release(x: Exchange, srv: ServerRuntime): void {
  if (!x.holding) return;
  x.holding = false;
  srv.sessions.remove(x);
  srv.active--;
  srv.counters.scur--;
  srv.backend.counters.scur--;
}

/** The server's health verdict ended its sessions (on-marked-down/-up): the request is cut, termination D or U. */
function killExchange(x: Exchange, why: Shutdown): void {
  if (x.done) return;
  x.termination = `${why}${x.upstreamStarted ? 'D' : 'H'}--`;
  x.client.abort();
  finish(x);
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
  // Done, or answered by handoff itself (a response rule's deny or return cut the server's exchange).
  if (x.done || x.completed) return;
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
  const decision = decideRetry(be.backend, failure, x, { replayable, serverUsable: srv.usable, usableActive: usableActive(be.servers), direct: x.cookie?.direct === srv, forced: x.cookie?.forced === true });
  // The stale kept-alive connection (the server closed it as we reused it) is not the server's error.
  const stale = decision.retry && !decision.counted;
  const retrying = decision.retry && !x.client.closedOrGone;
  // As HAProxy: a connection error counts once the request gives up (its retries count in wretr).
  if (!stale && !(conn && retrying)) {
    const field = conn ? 'econ' : 'eresp';
    srv.counters.values[field]++;
    be.counters.values[field]++;
  }
  if (retrying) {
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
    direct: x.cookie?.direct === srv,
    forced: x.cookie?.forced === true,
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
  const next = nextServer(failed.backend, { clientIp: x.conn.clientIp, hashKey: balanceKey(failed.backend.backend, x) }, failed, (x.tried ??= new Set()), d);
  if (next === undefined) {
    sendError(x, 503, 'SC--');
    return;
  }
  if (next !== failed) x.redispatched = true;
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

/** The server's response head: http-response rules (backend's, then frontend's), then
 * http-after-response rules, then it goes to the client. False when a rule answered instead. */
function forwardResponse(x: Exchange, status: number, statusText: string, raw: string[]): boolean {
  x.status = status;
  x.statusText = statusText;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // The pool hands us the decoded body: Node re-frames it (same length, or chunked when unknown).
    if (RESPONSE_SPECIAL_LENGTHS.has(name.length) && HOP_BY_HOP.has(name.toLowerCase())) continue;
    headers.push(name, raw[i + 1] as string);
  }
  x.resHeaders = headers;
  if (x.be?.backend.stickRules !== undefined && x.srv !== undefined) storeResponseServer(x, x.be, x.srv);
  const compress = compressResponse(x, raw);
  if (compress) x.compressing = x.compAlgo;
  if (!responseRules(x, headers)) return false;
  if (x.client.closedOrGone) return true;
  if (compress) startCompressing(x, headers);
  x.headSent = true;
  x.client.writeHead(x.status, x.statusText, headers);
  return true;
}

/** The backend's rules, then the frontend's (each list ends at its `allow`): http-response, then
 * http-after-response. False when a final verdict (or a failed rewrite) answered instead. */
function responseRules(x: Exchange, headers: string[]): boolean {
  const be = x.be?.backend;
  const fe = x.fe.frontend;
  dropRequestVars(x);
  if ((be !== undefined && !responseList(x, be, headers)) || !responseList(x, fe, headers)) return false;
  if (be?.cookie !== undefined && x.cookie !== undefined && x.srv !== undefined && x.status >= 200) {
    persistResponse(be.cookie, x.cookie, x.srv, x.method, x.status, headers, Math.floor(Date.now() / 1000));
  }
  if ((be !== undefined && !afterList(x, be, headers)) || !afterList(x, fe, headers)) return false;
  return true;
}

function responseList(x: Exchange, proxy: Frontend | Backend, headers: string[]): boolean {
  const rules = proxy.http.httpResponse;
  if (rules.length === 0) return true;
  const v = runRules(rules, x, headers);
  if (v === undefined) return true;
  if (v === REWRITE_FAILED) countFailedRewrite(x);
  else if (DENIES.has(v.action)) countDeniedResponse(x);
  answerVerdict(x, v, { side: 'response', proxy });
  return false;
}

/** `wrew`: a header rewrite failed; as HAProxy, on the frontend, the backend and the server. */
function countFailedRewrite(x: Exchange): void {
  x.fe.counters.values.wrew++;
  if (x.be !== undefined) x.be.counters.values.wrew++;
  if (x.srv !== undefined) x.srv.counters.values.wrew++;
}

/** `dresp`: as HAProxy, on the frontend, the backend and the server, whichever proxy's rule denied it. */
function countDeniedResponse(x: Exchange): void {
  x.fe.counters.values.dresp++;
  if (x.be !== undefined) x.be.counters.values.dresp++;
  if (x.srv !== undefined) x.srv.counters.values.dresp++;
}

function afterList(x: Exchange, proxy: Frontend | Backend, headers: string[]): boolean {
  const rules = proxy.http.httpAfterResponse;
  if (rules.length === 0 || runRules(rules, x, headers) !== REWRITE_FAILED) return true;
  countFailedRewrite(x);
  sendErrorPage(x, 500, 'PH--');
  return false;
}

/** Our own error response: the errorfile (backend's, then frontend's) or HAProxy's page, after the http-after-response rules. */
export function sendError(x: Exchange, code: number, termination: string): void {
  sendErrorPage(x, code, termination);
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
  if (x.tarpitTimer !== undefined) clearTimeout(x.tarpitTimer);
  if (x.client.exchange === x) x.client.exchange = undefined;
  if (!x.completed) {
    x.compressor?.destroy();
    clientAborted(x);
  }
  // Bytes since the previous response of this connection: this request (head and body) and its answer.
  const conn = x.conn;
  const bin = conn.socket.bytesRead - x.readAtStart;
  const bout = conn.socket.bytesWritten - x.writtenAtStart;
  const rt = x.deps.runtime;
  if (rt.inflight.delete(x) && rt.inflight.size === 0) rt.onIdle?.();
  dequeue(x);
  countExchange(x, x.status, bin, bout);
  // HAProxy counts a server's 4xx as an HTTP error, not its own answers (deny, return).
  if (x.stick !== undefined) endTracking(x, bin, bout, x.upstreamStarted && x.status >= 400 && x.status < 500);
  countTimes(x);
  if (x.compressor !== undefined) countCompression(x, x.compressor);
  if (x.fe.latency !== undefined) countLatency(x);
  if (x.fe.log !== undefined && !x.silent) writeLog(x.fe, requestRecord(x, x.status, bin, bout));
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

/** HAProxy's comp_in/comp_out (zlib's bytes in and out), comp_byp (identity's), comp_rsp (responses that went through to their end). */
function countCompression(x: Exchange, c: BodyCompressor): void {
  for (const v of [x.fe.counters.values, x.be?.counters.values]) {
    if (v === undefined) continue;
    if (x.compAlgo === 'identity') v.comp_byp += c.bytesIn;
    else {
      v.comp_in += c.bytesIn;
      v.comp_out += c.bytesOut;
    }
    if (x.completed) v.comp_rsp++;
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

/** Waiting for a slot of the server's maxconn: counted in `qcur` (and `qmax`) of the server and its backend. */
function enqueue(x: Exchange): void {
  const srv = x.srv;
  if (srv === undefined || x.queuedOn !== undefined) return;
  x.queuedOn = srv;
  srv.counters.qcur++;
  srv.backend.counters.qcur++;
}

function dequeue(x: Exchange): void {
  const srv = x.queuedOn;
  if (srv === undefined) return;
  x.queuedOn = undefined;
  srv.counters.qcur--;
  srv.backend.counters.qcur--;
}

/** The stat table's averaged times (HAProxy's Tw, Tc, Tr, Ta) on the server and its backend. */
function countTimes(x: Exchange): void {
  const srv = x.srv;
  if (srv === undefined || x.tConnected < 0) return;
  const ctime = x.tConnected - x.t0 - x.queuedMs;
  const rtime = x.tResponse >= 0 ? x.tResponse - x.tConnected : 0;
  // From the request's start (TR, the idle wait before it, is known only when logging).
  const ttime = performance.now() - x.t0;
  observeTimes(srv.counters, x.queuedMs, ctime, rtime, ttime);
  observeTimes(srv.backend.counters, x.queuedMs, ctime, rtime, ttime);
}

/** The exchange's times into the latency histograms: %Ta on the frontend and backend, %Tc and %Tr on the backend. */
function countLatency(x: Exchange): void {
  const ta = performance.now() - x.t0;
  observeLatency((x.fe.latency as NonNullable<FrontendRuntime['latency']>).ttime, ta);
  const bl = x.be?.latency;
  if (bl === undefined || x.srv === undefined) return;
  observeLatency(bl.ttime, ta);
  if (x.tConnected >= 0) observeLatency(bl.ctime, x.tConnected - x.t0 - x.queuedMs);
  if (x.tResponse >= 0 && x.tConnected >= 0) observeLatency(bl.rtime, x.tResponse - x.tConnected);
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
    termination: withCookieFlags(x.termination, x.cookie),
    retries: x.retries,
    ...(x.redispatched ? { redispatched: true } : {}),
    // The request line as received: rules rewrite what is forwarded, not what is logged.
    method: x.head.method,
    uri: x.head.target,
    ...(x.captures === undefined ? {} : { requestCaptures: x.captures }),
    httpVersion: x.head.minor === 0 ? '1.0' : '1.1',
  });
}
