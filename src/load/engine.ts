// The load generator: `concurrency` connection slots, each a small state machine driving raw
// net/tls sockets with a precomputed request and the incremental parser. Nothing aborts a run:
// every request ends as a success or as exactly one classified failure.
//
// Closed loop (default): a slot starts its next request as soon as the previous one ends.
// Open loop (`rate`): request i is due at t0 + i/rate; a due request takes the first free slot,
// and its latency is measured from when it was due, so a stalled server cannot hide its stall by
// slowing the sender (coordinated omission).
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { COMPLETE, PROTOCOL_ERROR, createParser, endOfInput, feed, resetParser, type ResponseParser } from './parser.ts';
import { clearProgress, renderProgress } from './progress.ts';
import { buildRequest, parseTarget, type Target } from './request.ts';
import { createAccumulator, recordMs, summarize, type LatencyAccumulator } from './stats.ts';
import { appendTimeline, closeTimeline, openTimeline, type TimelineWriter } from './timeline.ts';
import { clientContext, describeTls } from './tls-info.ts';
import { FAILURE_KINDS, type FailureKind, type LoadOptions, type LoadReport } from './types.ts';

// Phase of a slot's current request; P_NONE means no request (the socket, if any, is idle).
const P_NONE = 0;
const P_CONNECTING = 1;
const P_HANDSHAKE = 2;
const P_WAITING = 3;
const P_RECEIVING = 4;

interface Slot {
  sock: net.Socket | null;
  phase: number;
  tIntended: number;
  tStart: number;
  tConnected: number;
  tWritten: number;
  tFirstByte: number;
  deadline: number;
  parser: ResponseParser;
}

interface Run {
  opts: LoadOptions;
  target: Target;
  address: string;
  servername: string | undefined;
  context: tls.SecureContext | undefined;
  request: Buffer;
  noBody: boolean;
  total: number;
  issued: number;
  finished: number;
  inFlight: number;
  t0: number;
  endAt: number;
  lastDone: number;
  /** ms between scheduled requests; 0 = closed loop. */
  period: number;
  stopping: boolean;
  done: boolean;
  slots: Slot[];
  free: Slot[];
  failures: Record<FailureKind, number>;
  failed: number;
  non2xx: number;
  keepAliveRequests: number;
  totalBytes: number;
  bodyBytes: number;
  docLength: number;
  server: string | undefined;
  tlsProtocol: string;
  connect: LatencyAccumulator;
  processing: LatencyAccumulator;
  waiting: LatencyAccumulator;
  latency: LatencyAccumulator;
  failureTimes: LatencyAccumulator;
  timeline: TimelineWriter | undefined;
  /** Finished non-kept connections waiting for the server's FIN, with their destroy-by time. */
  retiring: { sock: net.Socket; until: number }[];
  sweepTimer: NodeJS.Timeout | undefined;
  rateTimer: NodeJS.Timeout | undefined;
  lastProgress: number;
  resolve: () => void;
}

export async function runLoad(opts: LoadOptions, signal?: AbortSignal): Promise<LoadReport> {
  const target = parseTarget(opts.url);
  if (target instanceof Error) throw target;
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${opts.concurrency}`);
  if (!Number.isInteger(opts.requests) || opts.requests < 1) throw new Error(`requests must be a positive integer, got ${opts.requests}`);
  if (opts.rate !== undefined && !(opts.rate > 0)) throw new Error(`rate must be positive, got ${opts.rate}`);

  // Resolve once, as ab does: a DNS lookup per connection would be measured as connect time.
  let address = target.hostname;
  if (net.isIP(address) === 0) {
    try {
      address = (await lookup(target.hostname)).address;
    } catch (err) {
      throw new Error(`cannot resolve '${target.hostname}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const slotCount = Math.min(opts.concurrency, opts.requests);
  const slots: Slot[] = [];
  for (let i = 0; i < slotCount; i++) {
    slots.push({ sock: null, phase: P_NONE, tIntended: 0, tStart: 0, tConnected: 0, tWritten: 0, tFirstByte: 0, deadline: 0, parser: createParser() });
  }
  const failures = {} as Record<FailureKind, number>;
  for (const k of FAILURE_KINDS) failures[k] = 0;

  const timeline = opts.timelineFile === undefined ? undefined : openTimeline(opts.timelineFile);
  const startedAtMs = Date.now();
  const t0 = performance.now();
  const run: Run = {
    opts,
    target,
    address,
    servername: target.secure && net.isIP(target.hostname) === 0 ? target.hostname : undefined,
    context: target.secure ? clientContext(opts.tls) : undefined,
    request: buildRequest(opts, target),
    noBody: opts.method.toUpperCase() === 'HEAD',
    total: opts.requests,
    issued: 0,
    finished: 0,
    inFlight: 0,
    t0,
    endAt: opts.timeLimitMs === undefined ? Infinity : t0 + opts.timeLimitMs,
    lastDone: t0,
    period: opts.rate === undefined ? 0 : 1000 / opts.rate,
    stopping: false,
    done: false,
    slots,
    free: [],
    failures,
    failed: 0,
    non2xx: 0,
    keepAliveRequests: 0,
    totalBytes: 0,
    bodyBytes: 0,
    docLength: -1,
    server: undefined,
    tlsProtocol: '',
    connect: createAccumulator(),
    processing: createAccumulator(),
    waiting: createAccumulator(),
    latency: createAccumulator(),
    failureTimes: createAccumulator(),
    timeline,
    retiring: [],
    sweepTimer: undefined,
    rateTimer: undefined,
    lastProgress: t0,
    resolve: () => {},
  };

  const finished = new Promise<void>((resolve) => {
    run.resolve = resolve;
  });
  const onAbort = (): void => abort(run);
  if (signal !== undefined) {
    if (signal.aborted) abort(run);
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  // The sweep enforces -s timeouts (one interval for all slots instead of a timer per request)
  // and refreshes the progress line.
  const sweepMs = Math.max(5, Math.min(250, Math.floor(opts.timeoutMs / 10)));
  run.sweepTimer = setInterval(sweep, sweepMs, run);

  if (!run.done) {
    if (run.period === 0) {
      for (const slot of slots) if (canIssue(run, t0)) startRequest(run, slot, t0);
    } else {
      run.free.push(...slots);
      tick(run);
    }
  }
  await finished;
  signal?.removeEventListener('abort', onAbort);
  return buildReport(run, startedAtMs);
}

function intendedAt(run: Run, index: number): number {
  return run.t0 + index * run.period;
}

function canIssue(run: Run, now: number): boolean {
  if (run.stopping || run.issued >= run.total) return false;
  return run.period === 0 ? now < run.endAt : intendedAt(run, run.issued) < run.endAt;
}

function startRequest(run: Run, slot: Slot, intended: number): void {
  run.issued++;
  run.inFlight++;
  const now = performance.now();
  // Closed loop: a request is due when it starts. Open loop: when the schedule says.
  slot.tIntended = run.period === 0 ? now : intended;
  slot.tStart = now;
  slot.tFirstByte = 0;
  slot.deadline = now + run.opts.timeoutMs;
  resetParser(slot.parser, run.noBody);
  if (slot.sock !== null) {
    // Kept-alive connection: Connect time is 0, as in ab.
    slot.tConnected = now;
    send(run, slot, slot.sock);
    return;
  }
  slot.phase = P_CONNECTING;
  open(run, slot);
}

function open(run: Run, slot: Slot): void {
  const sock: net.Socket =
    run.context === undefined
      ? net.connect({
          host: run.address,
          port: run.target.port,
          noDelay: true,
          // Reads land in one shared buffer and are parsed synchronously (the parser copies only
          // a partial head), which skips a Buffer allocation and the stream machinery per read.
          onread: {
            buffer: readBuffer,
            callback: (n: number, buf: Uint8Array): boolean => {
              run.totalBytes += n;
              if (slot.sock === sock) onData(run, slot, (buf as Buffer).subarray(0, n));
              return true;
            },
          },
        })
      : tls.connect({
          host: run.address,
          port: run.target.port,
          servername: run.servername,
          secureContext: run.context,
          rejectUnauthorized: false,
        });
  slot.sock = sock;
  if (run.context === undefined) {
    sock.on('connect', () => {
      if (slot.sock === sock) connected(run, slot, sock);
    });
  } else {
    sock.setNoDelay(true);
    sock.on('connect', () => {
      if (slot.sock === sock && slot.phase === P_CONNECTING) slot.phase = P_HANDSHAKE;
    });
    sock.on('secureConnect', () => {
      if (slot.sock !== sock) return;
      if (run.tlsProtocol === '') run.tlsProtocol = describeTls(sock as tls.TLSSocket);
      connected(run, slot, sock);
    });
    sock.on('data', (chunk: Buffer) => {
      run.totalBytes += chunk.length;
      if (slot.sock === sock) onData(run, slot, chunk);
    });
  }
  sock.on('end', () => {
    if (slot.sock === sock) onEnd(run, slot);
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (slot.sock === sock) onError(run, slot, err);
  });
  sock.on('close', () => {
    if (slot.sock === sock) onEnd(run, slot);
  });
}

const readBuffer = Buffer.allocUnsafe(64 * 1024);

function connected(run: Run, slot: Slot, sock: net.Socket): void {
  slot.tConnected = performance.now();
  send(run, slot, sock);
}

function send(run: Run, slot: Slot, sock: net.Socket): void {
  slot.phase = P_WAITING;
  sock.write(run.request);
  slot.tWritten = performance.now();
}

function onData(run: Run, slot: Slot, chunk: Buffer): void {
  if (slot.phase === P_NONE) {
    // Bytes nobody asked for on an idle kept-alive connection: it can no longer be trusted.
    drop(slot);
    return;
  }
  if (slot.phase === P_WAITING) {
    slot.tFirstByte = performance.now();
    slot.phase = P_RECEIVING;
  }
  const r = feed(slot.parser, chunk);
  if (r === COMPLETE) complete(run, slot);
  else if (r === PROTOCOL_ERROR) fail(run, slot, 'receive');
}

/** EOF or close. On an idle kept-alive connection that is just the server's idle timeout. */
function onEnd(run: Run, slot: Slot): void {
  if (slot.phase === P_NONE) {
    drop(slot);
    return;
  }
  if (slot.phase === P_RECEIVING && endOfInput(slot.parser)) {
    complete(run, slot);
    return;
  }
  // A kept-alive connection closed by the server after we sent a request on it lands here too:
  // counted as a receive failure, never silently retried (ab does not retry either).
  fail(run, slot, slot.phase === P_CONNECTING ? 'connect_error' : slot.phase === P_HANDSHAKE ? 'tls_handshake' : 'receive');
}

function onError(run: Run, slot: Slot, err: NodeJS.ErrnoException): void {
  if (slot.phase === P_NONE) {
    drop(slot);
    return;
  }
  fail(run, slot, classifyError(slot, err));
}

function classifyError(slot: Slot, err: NodeJS.ErrnoException): FailureKind {
  switch (slot.phase) {
    case P_CONNECTING:
      if (err.code === 'ECONNREFUSED') return 'connect_refused';
      if (err.code === 'ETIMEDOUT') return 'connect_timeout';
      return 'connect_error';
    case P_HANDSHAKE:
      return 'tls_handshake';
    case P_WAITING:
      // The request bytes did not all reach the kernel, or the write itself failed.
      if (err.syscall === 'write' || err.code === 'EPIPE' || (slot.sock !== null && slot.sock.writableLength > 0)) return 'send';
      return 'receive';
    default:
      return 'receive';
  }
}

function drop(slot: Slot): void {
  const sock = slot.sock;
  slot.sock = null;
  if (sock !== null) sock.destroy();
}

// How long a finished connection may wait for the server to close it.
const RETIRE_MS = 1000;

/**
 * A complete response on a connection we will not reuse: let the server close first, so the
 * TIME_WAIT state lands on its side and long runs without -k do not exhaust our ephemeral ports
 * (ab closes first and does). The socket's handlers ignore it from now on; the sweep destroys it
 * if the server keeps it open.
 */
function retire(run: Run, slot: Slot, now: number): void {
  const sock = slot.sock;
  slot.sock = null;
  if (sock === null) return;
  if (sock.readableEnded || sock.destroyed) sock.destroy();
  else run.retiring.push({ sock, until: now + RETIRE_MS });
}

function fail(run: Run, slot: Slot, kind: FailureKind): void {
  const now = performance.now();
  run.failures[kind]++;
  run.failed++;
  const latency = now - slot.tIntended;
  recordMs(run.failureTimes, latency);
  if (run.timeline !== undefined) appendTimeline(run.timeline, slot.tIntended - run.t0, latency, false, slot.parser.statusCode, kind);
  slot.phase = P_NONE;
  drop(slot);
  next(run, slot, now);
}

function complete(run: Run, slot: Slot): void {
  const now = performance.now();
  const p = slot.parser;
  const status = p.statusCode;
  if (run.server === undefined) run.server = p.server ?? '';
  run.bodyBytes += p.bodyBytes;
  let kind: FailureKind | undefined;
  if (status < 200 || status > 299) {
    run.non2xx++;
    kind = 'status';
  } else if (run.docLength < 0) {
    run.docLength = p.bodyBytes;
  } else if (p.bodyBytes !== run.docLength && !run.opts.variableLength) {
    kind = 'length';
  }
  const keep = run.opts.keepAlive && p.keepAlive && p.extraBytes === 0;
  if (keep) run.keepAliveRequests++;
  const total = now - slot.tIntended;
  if (kind === undefined) {
    const connect = slot.tConnected - slot.tStart;
    recordMs(run.connect, connect);
    recordMs(run.processing, total - connect);
    recordMs(run.waiting, slot.tFirstByte - slot.tWritten);
    recordMs(run.latency, total);
  } else {
    run.failures[kind]++;
    run.failed++;
    recordMs(run.failureTimes, total);
  }
  if (run.timeline !== undefined) appendTimeline(run.timeline, slot.tIntended - run.t0, total, kind === undefined, status, kind);
  slot.phase = P_NONE;
  if (!keep) retire(run, slot, now);
  next(run, slot, now);
}

/** A request ended on this slot: give the slot its next request, or park it. */
function next(run: Run, slot: Slot, now: number): void {
  run.inFlight--;
  run.finished++;
  run.lastDone = now;
  if (run.period === 0) {
    if (canIssue(run, now)) startRequest(run, slot, now);
    else maybeFinish(run, now);
    return;
  }
  if (canIssue(run, now) && intendedAt(run, run.issued) <= now) {
    startRequest(run, slot, intendedAt(run, run.issued));
  } else {
    run.free.push(slot);
    maybeFinish(run, now);
  }
}

function exhausted(run: Run, now: number): boolean {
  return !canIssue(run, now);
}

function maybeFinish(run: Run, now: number): void {
  if (run.inFlight === 0 && exhausted(run, now)) finish(run);
}

/** Open loop: start every request that is due and has a free slot, then sleep until the next. */
function tick(run: Run): void {
  run.rateTimer = undefined;
  if (run.done) return;
  const now = performance.now();
  while (run.free.length > 0 && canIssue(run, now) && intendedAt(run, run.issued) <= now) {
    startRequest(run, run.free.pop() as Slot, intendedAt(run, run.issued));
  }
  if (exhausted(run, now)) {
    maybeFinish(run, now);
    return;
  }
  // When every slot is busy, due requests wait for a slot (their latency keeps counting).
  const wait = Math.max(run.free.length > 0 ? 0 : 1, intendedAt(run, run.issued) - now);
  run.rateTimer = setTimeout(tick, wait, run);
}

/** A stalled request is classified by the phase it stalled in, like any other failure. */
function timeoutKind(phase: number): FailureKind {
  if (phase === P_CONNECTING) return 'connect_timeout';
  if (phase === P_HANDSHAKE) return 'tls_handshake';
  return 'timeout';
}

function sweep(run: Run): void {
  const now = performance.now();
  for (const slot of run.slots) {
    if (slot.phase !== P_NONE && now > slot.deadline) fail(run, slot, timeoutKind(slot.phase));
  }
  if (run.retiring.length > 0) {
    run.retiring = run.retiring.filter((r) => {
      if (r.sock.destroyed) return false;
      if (now < r.until) return true;
      r.sock.destroy();
      return false;
    });
  }
  if (run.opts.progress && !run.done && now - run.lastProgress >= 200) {
    run.lastProgress = now;
    renderProgress(run.finished, run.total, run.failed, now - run.t0);
  }
}

/** Stop issuing; requests still in flight are abandoned and not counted. */
function abort(run: Run): void {
  run.stopping = true;
  for (const slot of run.slots) {
    if (slot.phase !== P_NONE) {
      slot.phase = P_NONE;
      run.inFlight--;
    }
    drop(slot);
  }
  finish(run);
}

function finish(run: Run): void {
  if (run.done) return;
  run.done = true;
  if (run.sweepTimer !== undefined) clearInterval(run.sweepTimer);
  if (run.rateTimer !== undefined) clearTimeout(run.rateTimer);
  for (const slot of run.slots) drop(slot);
  for (const r of run.retiring) r.sock.destroy();
  run.retiring = [];
  if (run.timeline !== undefined) closeTimeline(run.timeline);
  if (run.opts.progress) clearProgress();
  run.resolve();
}

function buildReport(run: Run, startedAtMs: number): LoadReport {
  const timeTakenMs = (run.finished > 0 ? run.lastDone : performance.now()) - run.t0;
  const secs = timeTakenMs / 1000;
  return {
    url: run.opts.url,
    startedAtMs,
    serverSoftware: run.server ?? '',
    host: run.target.hostname,
    port: run.target.port,
    path: run.target.path,
    tlsProtocol: run.tlsProtocol,
    documentLength: run.opts.variableLength ? 'variable' : Math.max(0, run.docLength),
    concurrency: run.opts.concurrency,
    keepAlive: run.opts.keepAlive,
    timeTakenMs,
    completeRequests: run.finished,
    failedRequests: run.failed,
    failures: run.failures,
    non2xx: run.non2xx,
    keepAliveRequests: run.keepAliveRequests,
    totalTransferredBytes: run.totalBytes,
    htmlTransferredBytes: run.bodyBytes,
    requestsPerSecond: secs > 0 ? run.finished / secs : 0,
    connect: summarize(run.connect),
    processing: summarize(run.processing),
    waiting: summarize(run.waiting),
    total: summarize(run.latency),
    failureTimes: summarize(run.failureTimes),
    tlsServerName: run.servername ?? '',
    rate: run.opts.rate,
  };
}
