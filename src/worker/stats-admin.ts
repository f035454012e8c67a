// The worker's half of the stats page's admin form: a posted form goes to the master as a
// `stats-admin` message; its `stats-admin-result` answers the request that sent it.
import type { StatsAdminCode, WorkerToMaster } from '../ipc/messages.ts';

/** The fields of HAProxy's form: `b` (backend), `action`, and every `s` (server); '' when absent. */
export interface PageForm {
  backend: string;
  action: string;
  servers: string[];
}

export type PageActionSink = (form: PageForm, timeoutMs: number) => Promise<StatsAdminCode | undefined>;

export interface PageActions {
  act: PageActionSink;
  answered(requestId: number, code: StatsAdminCode): void;
}

export function createPageActions(send: (msg: WorkerToMaster) => boolean): PageActions {
  const pending = new Map<number, (code: StatsAdminCode | undefined) => void>();
  let nextId = 1;
  return {
    act(form, timeoutMs) {
      return new Promise((resolve) => {
        const requestId = nextId++;
        const finish = (code: StatsAdminCode | undefined): void => {
          clearTimeout(timer);
          pending.delete(requestId);
          resolve(code);
        };
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        pending.set(requestId, finish);
        if (!send({ type: 'stats-admin', requestId, ...form })) finish(undefined);
      });
    },
    answered(requestId, code) {
      pending.get(requestId)?.(code);
    },
  };
}

/**
 * HAProxy's reading of the form (application/x-www-form-urlencoded): the last `b` and the last
 * `action` count, every `s` is a server; `+` is a space.
 */
export function parsePageForm(body: string): PageForm {
  const params = new URLSearchParams(body);
  return { backend: params.getAll('b').at(-1) ?? '', action: params.getAll('action').at(-1) ?? '', servers: params.getAll('s') };
}
