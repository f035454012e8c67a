// Server selection for one backend: small closures over the backend's server list and the runtime
// state the master sends (health, admin state, weight overrides). Every picker skips servers that
// must get no new traffic, and uses backup servers only when no active server is usable.
import type { BalanceAlgorithm, BalanceOptions, HashType } from '../config/model.ts';
import { hashAddress, hashKey } from './hash.ts';
import { consistentLookup, mapLookup, type HashLookup } from './hash-lookup.ts';

/** What a picker needs to know about a server; the worker keeps these objects up to date. */
export interface Candidate {
  readonly name: string;
  /** Effective weight (runtime override or configured); 0 means no new traffic. */
  weight: number;
  /** Up, admin `ready`, not `disabled`: may receive new traffic at all. */
  usable: boolean;
  readonly backup: boolean;
  /** Requests (or tcp sessions) in flight on this server, for leastconn and first. */
  active: number;
  readonly maxconn?: number;
  /** Requests waiting for a slot of this server's maxconn, and how many may (`maxqueue`). */
  readonly queued?: number;
  readonly maxqueue?: number;
}

export interface PickContext {
  /** Client address, for `source`. */
  clientIp: string;
  /** `uri`, `url_param`, `hdr`: the request's key (src/worker/balance-key.ts); undefined when the
   * request has none, and the pick falls back to round robin as HAProxy does. */
  hashKey?: string | undefined;
  /** Servers already tried for this request (redispatch after a connect failure). */
  exclude?: ReadonlySet<Candidate>;
}

export type Picker<S extends Candidate> = (ctx: PickContext) => S | undefined;

/** The servers eligible right now: active ones if any is usable, else backups. */
export function eligible<S extends Candidate>(servers: readonly S[], exclude?: ReadonlySet<Candidate>): S[] {
  const active: S[] = [];
  const backups: S[] = [];
  for (const s of servers) {
    if (!s.usable || s.weight <= 0 || exclude?.has(s) === true) continue;
    (s.backup ? backups : active).push(s);
  }
  if (active.length > 0) return active;
  // Backups are judged on the whole set: an excluded-but-up active server still keeps them idle.
  if (exclude !== undefined && servers.some((s) => !s.backup && s.usable && s.weight > 0)) return [];
  return backups;
}

/** Servers below their maxconn, when any is: as HAProxy, a full server is skipped while another
 * has a free slot; when all are full the request waits in the chosen server's queue, skipping
 * servers whose queue holds `maxqueue` while another's does not (HAProxy then redispatches). When
 * every queue is full it still waits in one (HAProxy waits in the backend's queue instead). */
export function withFreeSlot<S extends Candidate>(list: S[]): S[] {
  let full = 0;
  for (const s of list) if (s.maxconn !== undefined && s.active >= s.maxconn) full++;
  if (full === 0) return list;
  if (full < list.length) return list.filter((s) => s.maxconn === undefined || s.active < s.maxconn);
  const room = list.filter((s) => s.maxqueue === undefined || (s.queued ?? 0) < s.maxqueue);
  return room.length === 0 || room.length === list.length ? list : room;
}

/** What a picker is built from: a backend's `balance` (with its arguments) and `hash-type`. */
export interface PickerSpec {
  balance: BalanceAlgorithm;
  balanceOptions?: BalanceOptions;
  hashType?: HashType;
  /** `hash-balance-factor` (0: off), for a consistent hash. */
  hashBalanceFactor?: number;
}

const MAP_BASED: HashType = { method: 'map-based', fn: 'sdbm', avalanche: false };

export function createPicker<S extends Candidate>(spec: BalanceAlgorithm | PickerSpec, servers: readonly S[]): Picker<S> {
  const { balance: algorithm, balanceOptions = {}, hashType = MAP_BASED, hashBalanceFactor = 0 } = typeof spec === 'string' ? { balance: spec } : spec;
  switch (algorithm) {
    case 'roundrobin':
      return smoothRoundRobin(servers);
    case 'static-rr':
      return staticRoundRobin(servers);
    case 'leastconn':
      return leastConn(servers);
    case 'source':
      return hashPicker(servers, hashType, hashBalanceFactor, (ctx) => hashAddress(hashType, ctx.clientIp));
    case 'uri':
    case 'url_param':
    case 'hdr':
    case 'hash':
      return hashPicker(servers, hashType, hashBalanceFactor, (ctx) => (ctx.hashKey === undefined ? undefined : hashKey(hashType, ctx.hashKey)));
    case 'first':
      return firstAvailable(servers);
    case 'random':
      return powerOfChoices(servers, balanceOptions.draws ?? 2);
  }
}

/** nginx's smooth weighted round-robin: weights 5,1,1 give a,a,b,a,c,a,a — spread, not bursts. */
function smoothRoundRobin<S extends Candidate>(servers: readonly S[]): Picker<S> {
  const current = new Map<Candidate, number>();
  return (ctx) => {
    const list = withFreeSlot(eligible(servers, ctx.exclude));
    let total = 0;
    let best: S | undefined;
    let bestValue = -Infinity;
    for (const s of list) {
      const v = (current.get(s) ?? 0) + s.weight;
      current.set(s, v);
      total += s.weight;
      if (v > bestValue) {
        bestValue = v;
        best = s;
      }
    }
    if (best !== undefined) current.set(best, bestValue - total);
    return best;
  };
}

/** Weighted round-robin without smoothing: each server gets `weight` consecutive turns. */
function staticRoundRobin<S extends Candidate>(servers: readonly S[]): Picker<S> {
  let index = 0;
  let served = 0;
  return (ctx) => {
    const list = withFreeSlot(eligible(servers, ctx.exclude));
    if (list.length === 0) return undefined;
    if (index >= list.length) {
      index = 0;
      served = 0;
    }
    let s = list[index] as S;
    if (served >= s.weight) {
      index = (index + 1) % list.length;
      served = 0;
      s = list[index] as S;
    }
    served++;
    return s;
  };
}

/** Fewest in-flight requests relative to weight; ties rotate so equal servers share the load. */
function leastConn<S extends Candidate>(servers: readonly S[]): Picker<S> {
  let rotate = 0;
  return (ctx) => {
    const list = withFreeSlot(eligible(servers, ctx.exclude));
    const n = list.length;
    if (n === 0) return undefined;
    rotate = (rotate + 1) % n;
    let best: S | undefined;
    let bestLoad = Infinity;
    for (let i = 0; i < n; i++) {
      const s = list[(rotate + i) % n] as S;
      const load = s.active / s.weight;
      if (load < bestLoad) {
        bestLoad = load;
        best = s;
      }
    }
    return best;
  };
}

/** A hash-based algorithm: the key's hash mapped onto the eligible servers, by `hash-type`. Same
 * key, same server — even a full one: the request waits in its queue, as HAProxy's hash-based
 * algorithms do. No key (a unix socket's client, a missing header) is spread round robin, as
 * HAProxy falls back when it cannot hash. A server's ring id is its position in the backend
 * (HAProxy's default server id), so every worker and every reload builds the same ring. */
function hashPicker<S extends Candidate>(servers: readonly S[], type: HashType, factor: number, hashOf: (ctx: PickContext) => number | undefined): Picker<S> {
  const fallback = smoothRoundRobin(servers);
  const ids = new Map<S, number>();
  const id = (s: S): number => {
    let n = ids.get(s);
    if (n === undefined) ids.set(s, (n = servers.indexOf(s) + 1));
    return n;
  };
  const lookup: HashLookup<S> = type.method === 'consistent' ? consistentLookup(id, factor) : mapLookup(id, servers);
  return (ctx) => {
    const h = hashOf(ctx);
    if (h === undefined) return fallback(ctx);
    return lookup(eligible(servers, ctx.exclude), h);
  };
}

/** The first server (config order) with a free slot below its maxconn; all full → the first whose queue has room. */
function firstAvailable<S extends Candidate>(servers: readonly S[]): Picker<S> {
  return (ctx) => withFreeSlot(eligible(servers, ctx.exclude))[0];
}

/** `random(N)`: N weighted random draws, the least loaded of them (in-flight requests relative
 * to weight) wins — HAProxy's power of N choices; N = 1 is plain weighted random. */
function powerOfChoices<S extends Candidate>(servers: readonly S[], draws: number): Picker<S> {
  return (ctx) => {
    const list = withFreeSlot(eligible(servers, ctx.exclude));
    if (list.length === 0) return undefined;
    let best = weightedDraw(list);
    for (let i = 1; i < draws; i++) {
      const next = weightedDraw(list);
      if (next.active * best.weight < best.active * next.weight) best = next;
    }
    return best;
  };
}

function weightedDraw<S extends Candidate>(list: readonly S[]): S {
  let total = 0;
  for (const s of list) total += s.weight;
  let point = Math.random() * total;
  for (const s of list) {
    if (point < s.weight) return s;
    point -= s.weight;
  }
  return list[list.length - 1] as S;
}
