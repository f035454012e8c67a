// The upstream pools of a worker: one per server and settings, shared by the route sets that name
// the same server, so an in-place reload keeps its upstream connections warm.
import type { WorkerRuntime } from './runtime.ts';
import { UpstreamPool, type UpstreamOptions } from './upstream.ts';

export interface PoolsDeps {
  /** This process's share of a limit of `total` (split over the workers). */
  share(total: number): number;
  /** Every runtime that may still send a request: their pools stay open. */
  runtimesInUse(): Iterable<WorkerRuntime>;
}

export interface Pools {
  /** The pool for `options` (a server's maxconn given whole; this process takes its share). */
  poolFor(options: UpstreamOptions): UpstreamPool;
  /** Close the pools no runtime in use has (gracefully: requests already on them finish). */
  closeUnused(): void;
}

export function createPools(deps: PoolsDeps): Pools {
  const pools = new Map<string, UpstreamPool>();
  return {
    poolFor(given) {
      // A server's maxconn is split over the workers like the others, but never below 1: requests
      // cannot move to another worker's pool, so a share of 0 would starve this worker's clients.
      const max = given.connections;
      const limited = max === null ? given : { ...given, connections: Math.max(1, deps.share(max)) };
      const options = given.maxqueue === undefined ? limited : { ...limited, maxqueue: Math.max(1, deps.share(given.maxqueue)) };
      const key = JSON.stringify(options);
      let pool = pools.get(key);
      if (pool === undefined || pool.closed || pool.destroyed) pools.set(key, (pool = new UpstreamPool(options)));
      return pool;
    },
    closeUnused() {
      const used = new Set<UpstreamPool>();
      for (const rt of deps.runtimesInUse()) for (const be of rt.backends.values()) for (const srv of be.servers) used.add(srv.pool);
      for (const [key, pool] of pools) {
        if (used.has(pool)) continue;
        pools.delete(key);
        void pool.close().catch(noop);
      }
    },
  };
}

function noop(): void {}
