// Mapping a hash onto the eligible servers, `hash-type map-based` or `consistent`. Both are built
// from the eligible list and its weights, and rebuilt only when that list or a weight changes.
import { avalanche } from './hash.ts';
import type { Candidate } from './algorithms.ts';

/** HAProxy: a server has weight × 16 points on the consistent ring (BE_WEIGHT_SCALE). */
const POINTS_PER_WEIGHT = 16;
/** HAProxy's SRV_EWGHT_RANGE: a server's points are keyed from `id × 4096`. */
const ID_SPAN = 4096;

export type HashLookup<S extends Candidate> = (list: readonly S[], hash: number) => S | undefined;

/** A signature of the eligible list: the lookup is rebuilt when it changes. */
function signature<S extends Candidate>(list: readonly S[], id: (s: S) => number): string {
  let sig = '';
  for (const s of list) sig += `${id(s)}:${s.weight},`;
  return sig;
}

/** map-based: the servers laid out over `total weight` slots in HAProxy's order (weights scaled
 * by 16 over their greatest common divisor, interleaved first-declared first); the slot is
 * `hash % slots`, so the same key reaches the same server as in HAProxy. Most keys move when a
 * server comes or goes. */
export function mapLookup<S extends Candidate>(id: (s: S) => number, all: readonly S[]): HashLookup<S> {
  let sig = '';
  let table: S[] = [];
  return (list, hash) => {
    if (list.length === 0) return undefined;
    const now = signature(list, id);
    if (now !== sig) {
      sig = now;
      table = interleave(list, weightGcd(all));
    }
    return table[hash % table.length];
  };
}

function weightGcd(all: readonly Candidate[]): number {
  let g = 0;
  for (const s of all) {
    let w = s.weight;
    let a = g;
    while (w > 0) [a, w] = [w, a % w];
    g = a;
  }
  return g === 0 ? 1 : g;
}

function interleave<S extends Candidate>(list: readonly S[], gcd: number): S[] {
  const weights = list.map((s) => Math.ceil((s.weight * POINTS_PER_WEIGHT) / gcd));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 1) return [list[0] as S];
  const score = list.map(() => 0);
  const out: S[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best = -1;
    let max = 0;
    for (let i = 0; i < list.length; i++) {
      score[i] = (score[i] as number) + (weights[i] as number);
      const v = Math.floor(((score[i] as number) + total) / total);
      if (best === -1 || v > max) {
        max = v;
        best = i;
      }
    }
    score[best] = (score[best] as number) - total;
    out.push(list[best] as S);
  }
  return out;
}

interface Ring<S> {
  keys: Uint32Array;
  owners: S[];
}

/** consistent: weight × 16 points per server, keyed by the avalanche of `id × 4096 + n` as HAProxy
 * keys them; a hash goes to the closest point (before or after it). A server leaving takes only
 * its own points: the other servers' keys stay where they were. */
export function consistentLookup<S extends Candidate>(id: (s: S) => number, balanceFactor = 0): HashLookup<S> {
  let sig = '';
  let ring: Ring<S> = { keys: new Uint32Array(0), owners: [] };
  return (list, hash) => {
    if (list.length === 0) return undefined;
    const now = signature(list, id);
    if (now !== sig) {
      sig = now;
      ring = buildRing(list, id);
    }
    const at = closest(ring, hash >>> 0);
    if (at === undefined || balanceFactor <= 0) return at === undefined ? undefined : ring.owners[at];
    return boundedLoad(ring, at, list, balanceFactor);
  };
}

/** `hash-balance-factor F`: from the chosen point onwards, the first server whose in-flight
 * requests stay under F% of the average for its weight (HAProxy's bounded-load consistent hash;
 * each worker judges the requests it has in flight). */
function boundedLoad<S extends Candidate>(ring: Ring<S>, at: number, list: readonly S[], factor: number): S | undefined {
  let served = 0;
  let total = 0;
  for (const s of list) {
    served += s.active;
    total += s.weight;
  }
  const slots = Math.ceil(((served + 1) * factor) / 100);
  const room = new Map<Candidate, boolean>();
  let cumulative = 0;
  for (const s of list) {
    const own = Math.floor(((cumulative + s.weight) * slots) / total) - Math.floor((cumulative * slots) / total);
    cumulative += s.weight;
    room.set(s, s.active < Math.max(1, own));
  }
  const n = ring.owners.length;
  for (let k = 0; k < n; k++) {
    const owner = ring.owners[(at + k) % n] as S;
    if (room.get(owner) === true) return owner;
  }
  return ring.owners[at];
}

function buildRing<S extends Candidate>(list: readonly S[], id: (s: S) => number): Ring<S> {
  const points: { key: number; owner: S }[] = [];
  for (const s of list) {
    const n = s.weight * POINTS_PER_WEIGHT;
    for (let j = 0; j < n; j++) points.push({ key: avalanche(id(s) * ID_SPAN + j), owner: s });
  }
  points.sort((a, b) => a.key - b.key);
  return { keys: Uint32Array.from(points, (p) => p.key), owners: points.map((p) => p.owner) };
}

/** The index of the ring point closest to `hash` (before or after it). */
function closest<S>(ring: Ring<S>, hash: number): number | undefined {
  const { keys } = ring;
  const n = keys.length;
  if (n === 0) return undefined;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < hash) lo = mid + 1;
    else hi = mid;
  }
  const next = lo === n ? 0 : lo;
  const prev = next === 0 ? n - 1 : next - 1;
  // Distances modulo 2^32, as the unsigned arithmetic of a ring.
  const dn = ((keys[next] as number) - hash) >>> 0;
  const dp = (hash - (keys[prev] as number)) >>> 0;
  return dp <= dn ? prev : next;
}
