// `slowstart`: a server that came back UP gets its weight back progressively, from 1 to its full
// weight over the slowstart time, as HAProxy ramps its effective weight, so a cold server is not
// flooded at once. Only dynamic algorithms (roundrobin, leastconn, random, a consistent hash) ramp:
// with static-rr, first and a map-based hash the weight is static, as in HAProxy. One unref'd timer per ramping server.
import type { ServerRuntime } from './runtime.ts';

const STATIC = new Set(['static-rr', 'first']);
const HASHED = new Set(['source', 'uri', 'url_param', 'hdr', 'hash']);
const timers = new WeakMap<ServerRuntime, NodeJS.Timeout>();

/** HAProxy's ramp: the share of the slowstart elapsed, rounded up, never below 1. */
export function rampedWeight(weight: number, elapsedMs: number, slowstartMs: number): number {
  if (weight <= 0 || elapsedMs >= slowstartMs) return weight;
  return Math.max(1, Math.ceil((weight * Math.max(0, elapsedMs)) / slowstartMs));
}

/** Set `srv.weight` from `full` and `upSince`, and keep it moving until the ramp ends. */
export function applySlowstart(srv: ServerRuntime, full: number, upSince: number | undefined, now = Date.now()): void {
  const prev = timers.get(srv);
  if (prev !== undefined) clearTimeout(prev);
  timers.delete(srv);
  const slowstart = srv.server.slowstart;
  if (slowstart === undefined || upSince === undefined || isStatic(srv.backend.backend) || now - upSince >= slowstart) {
    srv.weight = full;
    return;
  }
  srv.weight = rampedWeight(full, now - upSince, slowstart);
  // Twenty steps over the ramp (at least 100 ms apart) follow HAProxy's smooth rise closely enough.
  const t = setTimeout(() => applySlowstart(srv, full, upSince), Math.max(100, Math.floor(slowstart / 20)));
  t.unref();
  timers.set(srv, t);
}

function isStatic(b: ServerRuntime['backend']['backend']): boolean {
  return STATIC.has(b.balance) || (HASHED.has(b.balance) && b.hashType.method === 'map-based');
}
