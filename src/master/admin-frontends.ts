// `disable frontend`, `enable frontend`, `shutdown frontend` without a reload. A frontend stops
// accepting when every copy of its sockets stops listening: the workers close theirs, and the
// master swaps its own for a new socket bound to the same address but not listening (SO_REUSEPORT
// allows both for the moment they overlap), so new clients are refused as by HAProxy's paused
// listeners. `enable` hands that socket to the current workers, whose listen() opens it again.
// A reload enables every frontend again, as HAProxy's new process does; a worker replacing a
// crashed one is stopped again once ready.
import { proxyIds } from '../config/proxy-ids.ts';
import type { Config, Frontend } from '../config/model.ts';
import type { AdminAnswer, FrontendAction } from '../admin/target.ts';
import { bindListener, type ListenerRegistry } from './listeners.ts';
import { liveWorkers, type Cohort, type CohortEvent } from './cohort.ts';
import type { Dynamic } from './admin-dynamic.ts';
import type { Logger } from './log.ts';

export interface FrontendControlDeps {
  current(): Cohort | undefined;
  listeners: ListenerRegistry;
  ask: Dynamic['ask'];
  log: Logger;
}

export interface FrontendControl {
  run(name: string, action: FrontendAction): Promise<AdminAnswer>;
  /** Before a reload takes a new configuration: every stopped frontend accepts again. */
  resumeAll(): Promise<void>;
  /** `show stat`'s status of a frontend: `PAUSED` after `disable frontend`, `STOP` after `shutdown frontend`. */
  status(name: string): 'OPEN' | 'PAUSED' | 'STOP';
}

const ok = (message: string): AdminAnswer => ({ ok: true, message });
const err = (message: string): AdminAnswer => ({ ok: false, message });

/** `NAME` or HAProxy's `#ID` (the ids of `show stat`'s `iid`, src/config/proxy-ids.ts). */
function findFrontend(config: Config | undefined, name: string): Frontend | undefined {
  if (config === undefined) return undefined;
  if (name.startsWith('#')) {
    const id = Number(name.slice(1));
    const wanted = [...proxyIds(config)].find(([, n]) => n === id)?.[0];
    return config.frontends.find((f) => f.name === wanted);
  }
  return config.frontends.find((f) => f.name === name);
}

export function createFrontendControl(deps: FrontendControlDeps): FrontendControl {
  /** Frontends not accepting now, and whether `shutdown frontend` ended them for good. */
  const stopped = new Map<string, 'disabled' | 'shutdown'>();

  /** Once the workers closed their copies: the master's own for one bound but not listening. */
  function swapHandles(fe: Frontend): string | null {
    for (const bind of fe.binds) {
      const l = deps.listeners.get(bind.key);
      if (l === undefined || bind.unix !== undefined) continue;
      const fresh = bindListener({ ...bind, port: l.port });
      if (typeof fresh === 'string') return fresh;
      l.handle.close();
      l.handle = fresh.handle;
    }
    return null;
  }

  /** A worker that replaces a crashed one listens on every socket it is given: stop it again. */
  const onEvent = (e: CohortEvent): void => {
    if (e.kind !== 'ready' || stopped.size === 0) return;
    const fes = [...stopped.keys()].flatMap((n) => deps.current()?.config.frontends.filter((f) => f.name === n) ?? []);
    void deps.ask({ kind: 'pause-listeners', keys: fes.flatMap((f) => f.binds.map((b) => b.key)) }, [e.worker]).then(() => {
      for (const fe of fes) {
        const problem = swapHandles(fe);
        if (problem !== null) deps.log.alert(`frontend ${fe.name} stays stopped only partly: ${problem}`);
        else deps.log.notice(`frontend ${fe.name} stays stopped on the worker (pid ${e.worker.pid}) that replaced a dead one`);
      }
    });
  };

  async function pause(fe: Frontend, how: 'disabled' | 'shutdown', cohort: Cohort): Promise<AdminAnswer> {
    const keys = fe.binds.map((b) => b.key);
    if (fe.binds.some((b) => b.unix !== undefined)) return err(`frontend '${fe.name}' listens on a unix socket: handoff cannot pause it without a reload.`);
    await deps.ask({ kind: 'pause-listeners', keys });
    const problem = swapHandles(fe);
    if (problem !== null) {
      deps.log.alert(`disable frontend ${fe.name}: ${problem}`);
      return err('Failed to pause frontend, check logs for precise cause.');
    }
    stopped.set(fe.name, how);
    cohort.watchers.add(onEvent);
    deps.log.notice(`frontend ${fe.name} ${how === 'shutdown' ? 'shut down' : 'disabled'} from the runtime API (${keys.join(', ')})`);
    return ok('');
  }

  async function resume(name: string, cohort: Cohort): Promise<AdminAnswer> {
    const fe = cohort.config.frontends.find((f) => f.name === name);
    stopped.delete(name);
    if (stopped.size === 0) cohort.watchers.delete(onEvent);
    if (fe === undefined) return ok('');
    const keys = fe.binds.map((b) => b.key);
    const workers = liveWorkers(cohort);
    for (const w of workers) {
      for (const key of keys) {
        const l = deps.listeners.get(key);
        if (l !== undefined) w.sendListener(key, l.handle);
      }
    }
    // The handles travel first on the same channel: once answered, every worker listens.
    const answers = await deps.ask({ kind: 'resume-listeners', keys }, workers);
    if (answers.some((a) => a.count < keys.length)) return err('Failed to resume frontend, check logs for precise cause (port conflict?).');
    deps.log.notice(`frontend ${name} enabled from the runtime API`);
    return ok('');
  }

  return {
    async run(name, action) {
      const cohort = deps.current();
      const fe = findFrontend(cohort?.config, name);
      if (cohort === undefined || fe === undefined) return err('No such frontend.');
      const state = stopped.get(fe.name);
      switch (action) {
        case 'shutdown':
          return state !== undefined ? ok('Frontend was already shut down.') : pause(fe, 'shutdown', cohort);
        case 'disable':
          if (state === 'shutdown') return ok('Frontend was previously shut down, cannot disable.');
          return state === 'disabled' ? ok('All sockets are already disabled.') : pause(fe, 'disabled', cohort);
        case 'enable':
          if (state === 'shutdown') return err('Frontend was previously shut down, cannot enable.');
          return state === undefined ? ok('All sockets are already enabled.') : resume(fe.name, cohort);
      }
    },
    async resumeAll() {
      const cohort = deps.current();
      if (cohort === undefined) return;
      for (const name of [...stopped.keys()]) await resume(name, cohort);
    },
    status(name) {
      const state = stopped.get(name);
      return state === undefined ? 'OPEN' : state === 'shutdown' ? 'STOP' : 'PAUSED';
    },
  };
}
