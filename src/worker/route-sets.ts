// The route sets of a worker (one per generation it holds) and the protocol layer of each
// listening socket. An in-place reload prepares a route set beside the active one, then activates
// it: a socket's layer is kept when its shape is unchanged, so kept-alive connections carry on and
// their next request meets the new configuration; layers that cannot be kept drain beside the new
// ones, as do the previous route set's requests in flight.
import type { Config } from '../config/model.ts';
import { createConnectionRegistry, markKilled } from './connections.ts';
import type { HttpDeps } from './http-proxy.ts';
import { createLayer, prepareRoute, type BindRoute, type ProtocolLayer } from './protocol.ts';
import type { WorkerRuntime } from './runtime.ts';
import type { Clock } from './http1/clock.ts';

/** How long a kept-alive connection must have been idle before a drain closes it. */
const DRAIN_IDLE_GRACE_MS = 1000;

/** One generation's worth of runtime inside this process, with a checked route per listener. */
export interface RouteSet {
  generation: number;
  config: Config;
  runtime: WorkerRuntime;
  routes: Map<string, BindRoute>;
  listenerKeys: string[];
}

/** What an activation (or the process's drain) leaves behind: it drains, then `generation` is done. */
interface DrainingSet {
  generation: number;
  /** Layers that could not be kept. */
  layers: ProtocolLayer[];
  /** The previous route set's runtime: requests it still carries on kept layers finish first. */
  runtime?: WorkerRuntime;
  timer?: NodeJS.Timeout;
}

/** The sockets this process accepts on, each under the limits of a route set. */
export interface Listeners {
  has(key: string): boolean;
  keys(): string[];
  /** Stop accepting on `key` (the master keeps its copy). */
  close(key: string): void;
  /** Take `set`'s limits on `key`. */
  follow(key: string, set: RouteSet): void;
  /** Accept on a copy of `key` under `set`'s limits. */
  add(key: string, handle: unknown, set: RouteSet): void;
}

export interface RouteSetsDeps {
  buildRuntime(config: Config): WorkerRuntime;
  serveStats: HttpDeps['serveStats'];
  ticketKeys(): Buffer;
  /** The deadlines of every client connection (http1/clock.ts). */
  clock: Clock;
  listeners: Listeners;
  /** A route set or layer went: pools no runtime in use has may close. */
  closeUnusedPools(): void;
  /** The route set of `generation` has drained (or was killed). */
  drained(generation: number): void;
  say(message: string): void;
}

export interface RouteSets {
  active(): RouteSet | undefined;
  prepared(): RouteSet | undefined;
  /** The layer socket `key`'s new connections go to. */
  layerFor(key: string): ProtocolLayer | undefined;
  /** Build the first route set and serve it; a message if the worker cannot. */
  start(generation: number, config: Config, listenerKeys: string[]): string | undefined;
  /** Build a route set beside the active one (discarding an earlier prepared one); a message if the worker cannot. */
  prepare(generation: number, config: Config, listenerKeys: string[]): string | undefined;
  /** Keep a socket copy for the prepared route set until it is activated. */
  park(key: string, handle: unknown): void;
  /** The prepared route set's generation once each of its sockets is held or parked. */
  preparedReady(): number | undefined;
  /** Serve the prepared route set of `generation`; the previous one drains. False if none matches. */
  /** Undefined when `generation` is not the prepared one; else the client connections the kept layers carry into it. */
  activate(generation: number, hardStopAfterMs: number, maxDraining: number): { carried: number } | undefined;
  discard(generation: number): void;
  /** The whole process goes: every layer drains; `whenDrained` once nothing is left. */
  drainAll(hardStopAfterMs: number, whenDrained: () => void): void;
  /** Every runtime that may still serve a request. */
  runtimesInUse(): Set<WorkerRuntime>;
  /** Every protocol layer with connections: each socket's, and the draining ones (`show sess`). */
  layers(): ProtocolLayer[];
}

export function createRouteSets(deps: RouteSetsDeps): RouteSets {
  let active: RouteSet | undefined;
  let prepared: RouteSet | undefined;
  /** The protocol layer each socket's new connections go to. */
  const layers = new Map<string, ProtocolLayer>();
  /** Handles received for the prepared route set, listened on when it is activated. */
  const parked = new Map<string, unknown>();
  const draining = createDrainingSets(deps);

  function activate(generation: number, hardStopAfterMs: number, maxDraining: number): { carried: number } | undefined {
    const next = prepared;
    if (next === undefined || next.generation !== generation) return undefined;
    prepared = undefined;
    const previous = active;
    active = next;
    const { left, carried } = adoptRoutes(layers, next, deps.ticketKeys(), deps.clock);
    // Sockets the new configuration no longer names: stop accepting (the master closes its copy).
    // The others take the new shares of maxconn (a lower one pauses accepting, never closes).
    for (const key of deps.listeners.keys()) {
      if (!next.listenerKeys.includes(key)) deps.listeners.close(key);
      else deps.listeners.follow(key, next);
    }
    for (const [key, handle] of parked) deps.listeners.add(key, handle, next);
    parked.clear();
    if (previous !== undefined) draining.drain({ generation: previous.generation, layers: left, runtime: previous.runtime }, hardStopAfterMs);
    draining.keepAtMost(maxDraining);
    deps.closeUnusedPools();
    return { carried };
  }

  function discard(generation: number): void {
    if (prepared === undefined || prepared.generation !== generation) return;
    prepared = undefined;
    for (const handle of parked.values()) (handle as { close?: () => void }).close?.();
    parked.clear();
    deps.closeUnusedPools();
  }

  function drainAll(hardStopAfterMs: number, whenDrained: () => void): void {
    if (prepared !== undefined) discard(prepared.generation);
    const current = [...layers.values()];
    layers.clear();
    draining.drain({ generation: active?.generation ?? 0, layers: current, ...(active ? { runtime: active.runtime } : {}) }, hardStopAfterMs);
    // Sets already draining get the same bound as the process.
    if (hardStopAfterMs > 0) setTimeout(() => draining.killAll(), hardStopAfterMs).unref();
    draining.whenEmpty(whenDrained);
  }

  function runtimesInUse(): Set<WorkerRuntime> {
    const runtimes = new Set<WorkerRuntime>(draining.runtimes());
    if (active !== undefined) runtimes.add(active.runtime);
    if (prepared !== undefined) runtimes.add(prepared.runtime);
    for (const layer of layers.values()) runtimes.add(layer.route.runtime);
    return runtimes;
  }

  return {
    active: () => active,
    prepared: () => prepared,
    layerFor: (key) => layers.get(key),
    start(generation, config, listenerKeys) {
      const set = buildRouteSet(deps, generation, config, listenerKeys);
      if (typeof set === 'string') return set;
      active = set;
      adoptRoutes(layers, set, deps.ticketKeys(), deps.clock);
      return undefined;
    },
    prepare(generation, config, listenerKeys) {
      if (prepared !== undefined) discard(prepared.generation);
      const set = buildRouteSet(deps, generation, config, listenerKeys);
      if (typeof set === 'string') return set;
      prepared = set;
      return undefined;
    },
    park(key, handle) {
      parked.set(key, handle);
    },
    preparedReady() {
      const set = prepared;
      if (set === undefined) return undefined;
      for (const key of set.listenerKeys) if (!deps.listeners.has(key) && !parked.has(key)) return undefined;
      return set.generation;
    },
    activate,
    discard,
    drainAll,
    runtimesInUse,
    layers: () => [...layers.values(), ...draining.layers()],
  };
}

/** Runtime and, per bind, a checked route, or why not. Nothing accepts yet. An internal error (a
 * check the configuration should have made) refuses the generation rather than crash the process
 * with the connections it serves. */
function buildRouteSet(deps: RouteSetsDeps, generation: number, config: Config, listenerKeys: string[]): RouteSet | string {
  try {
    return routeSetOf(deps, generation, config, listenerKeys);
  } catch (err) {
    deps.closeUnusedPools();
    return err instanceof Error ? err.message : String(err);
  }
}

function routeSetOf(deps: RouteSetsDeps, generation: number, config: Config, listenerKeys: string[]): RouteSet | string {
  const runtime = deps.buildRuntime(config);
  const set: RouteSet = { generation, config, runtime, routes: new Map(), listenerKeys };
  for (const fe of runtime.frontends) {
    for (const bind of fe.frontend.binds) {
      const other = set.routes.get(bind.key);
      // src/config/validate.ts refuses an address bound twice.
      if (other !== undefined) {
        throw new Error(`internal error: listener ${bind.key} is used by two frontends ('${other.fe.frontend.name}' and '${fe.frontend.name}'); the configuration check should have refused it`);
      }
      const r = prepareRoute(fe, bind, runtime, deps.serveStats);
      if (!r.ok) return r.message;
      set.routes.set(bind.key, r.route);
    }
  }
  return set;
}

/** Point every socket in `layers` at `set`: keep layers of the same shape, replace the others
 * (returned, to drain). */
function adoptRoutes(layers: Map<string, ProtocolLayer>, set: RouteSet, ticketKeys: Buffer, clock: Clock): { left: ProtocolLayer[]; carried: number } {
  const left: ProtocolLayer[] = [];
  let carried = 0;
  for (const [key, route] of set.routes) {
    const layer = layers.get(key);
    if (layer !== undefined && layer.shape === route.shape) {
      layer.setRoute(route);
      carried += layer.connections.openCount;
      continue;
    }
    if (layer !== undefined) left.push(layer);
    layers.set(key, createLayer(route, ticketKeys, createConnectionRegistry(), clock));
  }
  for (const [key, layer] of layers) {
    if (set.routes.has(key)) continue;
    layers.delete(key);
    left.push(layer);
  }
  return { left, carried };
}

/** The sets draining side by side, each ended by its drain or a kill. */
interface DrainingSets {
  /** Let the set's layers finish their connections (drain rules in connections.ts) and its
   * runtime its requests in flight on kept layers, then free them. */
  drain(set: DrainingSet, hardStopAfterMs: number): void;
  /** Kill the oldest sets while more than `max` drain. */
  keepAtMost(max: number): void;
  killAll(): void;
  /** The runtimes of the sets and of their layers' routes. */
  runtimes(): WorkerRuntime[];
  layers(): ProtocolLayer[];
  /** `done` once no set drains (now if none does). */
  whenEmpty(done: () => void): void;
}

function createDrainingSets(deps: Pick<RouteSetsDeps, 'closeUnusedPools' | 'drained' | 'say'>): DrainingSets {
  const draining = new Set<DrainingSet>();
  let onEmpty: (() => void) | undefined;

  function drain(set: DrainingSet, hardStopAfterMs: number): void {
    const rt = set.runtime;
    if (set.layers.length === 0 && (rt === undefined || rt.inflight.size === 0)) {
      deps.drained(set.generation);
      return;
    }
    draining.add(set);
    if (hardStopAfterMs > 0) {
      set.timer = setTimeout(() => {
        if (!draining.has(set)) return;
        const open = set.layers.reduce((n, l) => n + l.connections.openCount, 0) + (rt?.inflight.size ?? 0);
        deps.say(`hard-stop-after reached, killing ${open} connection(s) of generation ${set.generation}`);
        kill(set);
      }, hardStopAfterMs);
      set.timer.unref();
    }
    let left = set.layers.length + 1;
    const done = () => {
      if (--left === 0) drained(set);
    };
    for (const layer of set.layers) {
      const t = layer.route.fe.frontend.timeouts;
      const grace = Math.min(DRAIN_IDLE_GRACE_MS, ...[t.httpKeepAlive ?? t.client].filter((x) => x > 0));
      layer.connections.drain(grace, done);
    }
    // One-shot: once the runtime is idle, what it could still serve is on the set's layers, whose
    // own drain waits for it.
    if (rt === undefined || rt.inflight.size === 0) done();
    else
      rt.onIdle = () => {
        rt.onIdle = undefined;
        done();
      };
  }

  /** End a set now: its layers' connections and its requests on kept layers. */
  function kill(set: DrainingSet): void {
    for (const layer of set.layers) layer.connections.killAll();
    for (const x of set.runtime?.inflight.values() ?? []) {
      markKilled(x.clientSocket);
      x.clientSocket.destroy();
    }
    drained(set);
  }

  function drained(set: DrainingSet): void {
    if (!draining.delete(set)) return;
    if (set.timer !== undefined) clearTimeout(set.timer);
    if (set.runtime !== undefined) set.runtime.onIdle = undefined;
    deps.closeUnusedPools();
    deps.drained(set.generation);
    if (draining.size === 0) emptied();
  }

  function emptied(): void {
    const done = onEmpty;
    onEmpty = undefined;
    done?.();
  }

  return {
    drain,
    keepAtMost(max) {
      for (const set of draining) {
        if (draining.size <= max) break;
        // Wording matched by test/integration/lifecycle.test.ts.
        deps.say(`more than ${max} generations draining, closing generation ${set.generation} now`);
        kill(set);
      }
    },
    killAll() {
      for (const set of draining) kill(set);
    },
    runtimes: () => [...draining].flatMap((set) => [...(set.runtime ? [set.runtime] : []), ...set.layers.map((l) => l.route.runtime)]),
    layers: () => [...draining].flatMap((set) => set.layers),
    whenEmpty(done) {
      onEmpty = done;
      if (draining.size === 0) emptied();
    },
  };
}
