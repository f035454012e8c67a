// One retry decision for every data path (HTTP requests, Upgrade tunnels and TCP sessions): what
// kind of failure an attempt ended with, whether it may be retried, and which server the next
// attempt goes to. HAProxy's `retries`, `retry-on` and `option redispatch [interval]`.
import type { Backend, RetryCondition, RetryOn } from '../config/model.ts';
import type { Candidate, PickContext, Picker } from '../balance/algorithms.ts';
import { UPSTREAM_CLOSED, UPSTREAM_HEADERS_TIMEOUT, UPSTREAM_PARSE, type UpstreamFailureInfo } from './upstream.ts';

/** How one attempt failed, in `retry-on`'s words; `status` is a response whose code is retried. */
export type FailureKind = RetryCondition | 'status';

export interface Failure {
  kind: FailureKind;
  /** The attempt ran on a kept-alive connection that had served a request before. */
  reused: boolean;
  /** For `status`: the response's status code. */
  status?: number;
}

/** What the decision needs to know about the backend (a `Backend` is one). */
export type RetryPolicy = Pick<Backend, 'mode' | 'retries' | 'retryOn' | 'redispatch' | 'redispatchInterval' | 'balance' | 'timeouts'>;

/** Per request (or TCP session): retries used so far, and whether the stale-connection retry was. */
export interface RetryState {
  retries: number;
  staleRetried: boolean;
}

export interface RetryContext {
  /** The request may be sent again after the server saw it: an idempotent method without a body.
   * A connection failure is always replayable (nothing was sent; the body is read only once connected). */
  replayable: boolean;
  /** The failed server may still take new traffic (the master or passive health may have said otherwise). */
  serverUsable: boolean;
  /** Usable active (non-backup) servers of the backend, the failed one included (HAProxy's srv_act). */
  usableActive: number;
  /** The server was chosen by a persistence cookie (HAProxy's SF_DIRECT): no immediate redispatch. */
  direct?: boolean;
  /** `force-persist` held (HAProxy's SF_FORCE_PRST): never redispatched. */
  forced?: boolean;
}

export type RetryDecision =
  | { retry: false }
  | {
      retry: true;
      target: 'same' | 'other';
      /** Counts against `retries` (the stale-connection retry does not). */
      counted: boolean;
      /** HAProxy's turn-around: min(timeout connect, 1 s) before reconnecting to a server that refused. */
      delayMs: number;
    };

export type Retry = Extract<RetryDecision, { retry: true }>;

/** `mode tcp` ignores `retry-on`, as HAProxy does: connection failures only. */
const TCP_RETRY_ON: RetryOn = { conditions: ['conn-failure'], statuses: [] };
/** RFC 9110 §9.2.2: sending these again has the same effect as sending them once. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Algorithms whose choice is a function of the request: a retry keeps the server unless the interval says. */
const HASH_ALGORITHMS = new Set(['source', 'random', 'uri', 'url_param', 'hdr', 'hash']);

/** An HTTP request can be replayed once a server has seen it: idempotent, and no body to stream again. */
export function isReplayable(method: string, hasBody: boolean): boolean {
  return !hasBody && IDEMPOTENT_METHODS.has(method);
}

/**
 * The failure an upstream (HTTP) error stands for, or undefined when it is not a retry case at all
 * (the client went away, the exchange was refused before dispatch). `info` is what the pool knew
 * about the connection when the error happened.
 */
export function classifyUpstreamError(code: string, info: UpstreamFailureInfo | undefined): Failure | undefined {
  if (code === UPSTREAM_CLOSED) return { kind: 'conn-failure', reused: false };
  if (info === undefined) return undefined;
  if (!info.connected) return { kind: 'conn-failure', reused: false };
  if (code === UPSTREAM_HEADERS_TIMEOUT) return { kind: 'response-timeout', reused: info.reused };
  if (code === UPSTREAM_PARSE) return { kind: 'junk-response', reused: info.reused };
  // Closed or reset under us: nothing at all came back, or a partial head.
  return { kind: info.received ? 'junk-response' : 'empty-response', reused: info.reused };
}

/** Usable active servers (weight > 0, not backup), as HAProxy counts srv_act. */
export function usableActive(servers: readonly Candidate[]): number {
  let n = 0;
  for (const s of servers) if (s.usable && s.weight > 0 && !s.backup) n++;
  return n;
}

/** Retry number `n` (1-based) goes to another server? HAProxy's stream_choose_redispatch. */
export function redispatchNow(policy: RetryPolicy, n: number, ctx: RetryContext): boolean {
  if (!policy.redispatch || ctx.forced === true) return false;
  if (!ctx.serverUsable) return true;
  const every = policy.redispatchInterval;
  if (every > 0 && n % every === 0) return true;
  if (every < 0) {
    const m = policy.retries + 1 + every; // -1: the last retry
    if (m > 0 && n % m === 0) return true;
  }
  // A non-deterministic algorithm with more than one server does not care which server it gets.
  return ctx.direct !== true && !HASH_ALGORITHMS.has(policy.balance) && ctx.usableActive > 1;
}

/** The one decision: retry this failure, and where. */
export function decideRetry(policy: RetryPolicy, failure: Failure, state: RetryState, ctx: RetryContext): RetryDecision {
  // A kept-alive connection the server closed just as we reused it: sent again once, silently, on the
  // same server's pool (a fresh or another idle connection), whatever retry-on says.
  if (failure.kind === 'empty-response' && failure.reused && ctx.replayable && !state.staleRetried) {
    return { retry: true, target: 'same', counted: false, delayMs: 0 };
  }
  if (state.retries >= policy.retries) return { retry: false };
  const on = policy.mode === 'tcp' ? TCP_RETRY_ON : policy.retryOn;
  if (failure.kind === 'status') {
    if (failure.status === undefined || !on.statuses.includes(failure.status)) return { retry: false };
  } else if (!on.conditions.includes(failure.kind)) {
    return { retry: false };
  }
  if (failure.kind !== 'conn-failure' && !ctx.replayable) return { retry: false };
  const target = redispatchNow(policy, state.retries + 1, ctx) ? 'other' : 'same';
  const turnAround = failure.kind === 'conn-failure' && !failure.reused && (target === 'same' || ctx.usableActive <= 1);
  const connect = policy.timeouts.connect;
  return { retry: true, target, counted: true, delayMs: turnAround ? (connect > 0 ? Math.min(connect, 1000) : 1000) : 0 };
}

/** What nextServer counts on (a ServerRuntime and a BackendRuntime are). */
export interface Counted {
  readonly counters: { readonly values: { wretr: number; wredis: number } };
}

/** Spend the retry `d` from `state`: one of `retries`, or the one stale-connection retry. */
export function spendRetry(state: RetryState, d: Retry): void {
  if (d.counted) state.retries++;
  else state.staleRetried = true;
}

/**
 * The server the retry `d` of an attempt that failed on `failed` goes to: the same one, or (a
 * redispatch) the balancer's pick outside `tried`, starting over once every server was tried.
 * Counts the retry (wretr) and a move to another server (wredis). Undefined: no server is left.
 */
export function nextServer<S extends Candidate & Counted>(be: Counted & { pick: Picker<S> }, request: string | Omit<PickContext, 'exclude'>, failed: S, tried: Set<S>, d: Retry): S | undefined {
  const ctx = typeof request === 'string' ? { clientIp: request } : request;
  failed.counters.values.wretr++;
  be.counters.values.wretr++;
  if (d.target === 'same') return failed;
  tried.add(failed);
  let next = be.pick({ ...ctx, exclude: tried });
  if (next === undefined) {
    tried.clear();
    next = be.pick(ctx);
  }
  if (next !== undefined && next !== failed) {
    failed.counters.values.wredis++;
    be.counters.values.wredis++;
  }
  return next;
}
