// Dynamic servers (`add server`, `del server`) and the sessions the workers hold (`show sess`,
// `shutdown session`, `shutdown sessions server`), for the runtime API. The master keeps the
// servers added at run time and puts them back into every configuration it loads, so they
// outlive reloads of both kinds (HAProxy loses them); a server the new configuration defines
// under the same name wins. Questions to the workers go over IPC with a bounded wait.
import type { Config, Server } from '../config/model.ts';
import type { LoadResult } from '../config/model.ts';
import { isDynamicAlgorithm, parseDynamicServer } from '../config/dynamic-server.ts';
import type { MasterToWorker, SessionLine, WorkerQuery, WorkerToMaster } from '../ipc/messages.ts';
import type { AdminAnswer, RuntimeServerSetting } from '../admin/target.ts';
import type { HealthChecker } from '../health/checker.ts';
import { liveWorkers, type Cohort } from './cohort.ts';
import type { WorkerProcess } from './worker-process.ts';
import type { Logger } from './log.ts';

/** How long a question to the workers waits for their answers. */
const QUERY_TIMEOUT_MS = 2000;

export interface DynamicDeps {
  current(): Cohort | undefined;
  cohorts(): Cohort[];
  runtime: Map<string, RuntimeServerSetting>;
  health: HealthChecker;
  broadcast(msg: MasterToWorker): void;
  broadcastServers(): void;
  log: Logger;
}

type Answer = Extract<WorkerToMaster, { type: 'admin-answer' }>;

export interface Dynamic {
  addServer(backend: string, name: string, words: string[]): AdminAnswer;
  delServer(backend: string, name: string): Promise<AdminAnswer>;
  sessions(): Promise<SessionLine[]>;
  shutdownSession(id: string): Promise<AdminAnswer>;
  shutdownServerSessions(backend: string, name: string): Promise<AdminAnswer>;
  /** Ask `workers` (default: every live one) and collect the answers that come within the bound. */
  ask(query: WorkerQuery, workers?: WorkerProcess[]): Promise<Answer[]>;
  /** A worker's `admin-answer`. */
  answered(msg: Answer): void;
  /** A configuration was loaded for a reload: the servers added at run time join it. */
  merge(result: LoadResult): LoadResult;
  /** A generation serves now: added servers join it, unless its configuration defines them itself. */
  activated(config: Config): void;
}

interface Added {
  backend: string;
  server: Server;
}

const ok = (message: string): AdminAnswer => ({ ok: true, message });
const err = (message: string): AdminAnswer => ({ ok: false, message });

export function createDynamic(deps: DynamicDeps): Dynamic {
  /** Servers added at run time, by id, in the order they were added. */
  const added = new Map<string, Added>();
  const pending = new Map<number, (a: Answer) => void>();
  let nextRequest = 1;

  const ask = (query: WorkerQuery, workers = deps.cohorts().flatMap(liveWorkers)): Promise<Answer[]> =>
    new Promise((resolve) => {
      const requestId = nextRequest++;
      const answers: Answer[] = [];
      const done = (): void => {
        clearTimeout(timer);
        pending.delete(requestId);
        resolve(answers);
      };
      const timer = setTimeout(done, QUERY_TIMEOUT_MS);
      pending.set(requestId, (a) => {
        answers.push(a);
        if (answers.length >= workers.length) done();
      });
      for (const w of workers) w.send({ type: 'admin-query', requestId, query });
      if (workers.length === 0) done();
    });
  const count = async (query: WorkerQuery): Promise<number> => (await ask(query)).reduce((n, a) => n + a.count, 0);

  return {
    addServer: (backend, name, words) => addServer(deps, added, backend, name, words),
    delServer: (backend, name) => delServer(deps, added, count, backend, name),
    async sessions() {
      return (await ask({ kind: 'sessions' })).flatMap((a) => a.sessions ?? []);
    },
    async shutdownSession(id) {
      if (!/^0x[0-9a-f]+$/i.test(id)) return err("Session pointer expected (use 'show sess').");
      return (await count({ kind: 'shutdown-session', id: id.toLowerCase() })) > 0 ? ok('') : err("No such session (use 'show sess').");
    },
    async shutdownServerSessions(backend, name) {
      const found = findServer(deps, backend, name);
      if (typeof found === 'string') return err(found);
      await count({ kind: 'shutdown-server', id: found.id });
      return ok('');
    },
    ask,
    answered(msg) {
      pending.get(msg.requestId)?.(msg);
    },
    merge: (result) => merge(deps, added, result),
    activated: (config) => reconcile(deps, added, config),
  };
}

/** HAProxy's look-up of `BACKEND/SERVER` in the configuration serving now, or its error. */
function findServer(deps: DynamicDeps, backend: string, name: string): Server | string {
  const be = deps.current()?.config.backends.find((b) => b.name === backend);
  if (be === undefined) return 'No such backend.';
  return be.servers.find((s) => s.name === name) ?? 'No such server.';
}

function addServer(deps: DynamicDeps, added: Map<string, Added>, backend: string, name: string, words: string[]): AdminAnswer {
  const cohort = deps.current();
  const be = cohort?.config.backends.find((b) => b.name === backend);
  if (cohort === undefined || be === undefined) return err('No such backend.');
  if (!isDynamicAlgorithm(be)) return err('Backend must use a dynamic load balancing to support dynamic servers.');
  const parsed = parseDynamicServer(be, name, words);
  if (!parsed.ok) return err(parsed.error);
  if (be.servers.some((s) => s.name === name)) return err('Already exists a server with the same name in backend.');
  const server = parsed.server;
  added.set(server.id, { backend, server });
  be.servers.push(server);
  // As HAProxy: a dynamic server starts in maintenance (`enable server` puts it in service). The
  // workers hear the state first, so the server is never picked before it is enabled.
  deps.runtime.set(server.id, { ...deps.runtime.get(server.id), admin: 'maint' });
  deps.broadcastServers();
  deps.broadcast({ type: 'server-add', backend, server });
  deps.health.apply(cohort.config);
  deps.log.notice(`server ${server.id} added from the runtime API (${server.host}:${server.port}), in maintenance`);
  return ok(['New server registered.', ...parsed.warnings].join('\n'));
}

async function delServer(deps: DynamicDeps, added: Map<string, Added>, count: (q: WorkerQuery) => Promise<number>, backend: string, name: string): Promise<AdminAnswer> {
  const found = findServer(deps, backend, name);
  if (typeof found === 'string') return err(found);
  const admin = deps.runtime.get(found.id)?.admin ?? (found.disabled ? 'maint' : 'ready');
  if (admin !== 'maint') return err('Only servers in maintenance mode can be deleted.');
  if ((await count({ kind: 'server-busy', id: found.id })) > 0) return err('Server still has connections attached to it, cannot remove it.');
  // Looked up again: the configuration may have changed while the workers answered.
  const config = deps.current()?.config;
  const be = config?.backends.find((b) => b.name === backend);
  const i = be?.servers.findIndex((s) => s.id === found.id) ?? -1;
  if (config === undefined || be === undefined || i === -1) return err('No such server.');
  be.servers.splice(i, 1);
  added.delete(found.id);
  deps.runtime.delete(found.id);
  deps.broadcast({ type: 'server-del', id: found.id });
  deps.health.apply(config);
  deps.broadcastServers();
  deps.log.notice(`server ${found.id} deleted from the runtime API`);
  return ok('Server deleted.');
}

/** Put the servers added at run time into a freshly loaded configuration. */
function merge(deps: DynamicDeps, added: Map<string, Added>, result: LoadResult): LoadResult {
  const config = result.config;
  if (config === undefined) return result;
  for (const [id, a] of added) {
    const be = config.backends.find((b) => b.name === a.backend);
    if (be === undefined || !isDynamicAlgorithm(be)) {
      deps.log.notice(`server ${id} added from the runtime API is dropped: backend '${a.backend}' ${be === undefined ? 'is no longer configured' : `balances with '${be.balance}', not a dynamic algorithm`}`);
      added.delete(id);
      deps.runtime.delete(id);
      continue;
    }
    if (!be.servers.some((s) => s.name === a.server.name)) be.servers.push(a.server);
  }
  return result;
}

/** A generation serves now. A server added while it was being prepared joins it (and its workers'
 * runtimes: they dedupe by name); one its configuration defines under the same name wins. */
function reconcile(deps: DynamicDeps, added: Map<string, Added>, config: Config): void {
  for (const [id, a] of added) {
    const be = config.backends.find((b) => b.name === a.backend);
    const own = be?.servers.find((s) => s.name === a.server.name);
    if (be !== undefined && own === undefined) {
      be.servers.push(a.server);
      deps.broadcast({ type: 'server-add', backend: a.backend, server: a.server });
      continue;
    }
    if (own === undefined || own === a.server) continue;
    deps.log.notice(`server ${id}: the configuration now defines it (${own.loc.file}:${own.loc.line}); the server added from the runtime API is replaced by it`);
    added.delete(id);
    // The runtime state was the added server's (maintenance, enable server): the configured one starts afresh.
    deps.runtime.delete(id);
  }
}
