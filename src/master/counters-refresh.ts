// Counters current when read: before `show stat`, the stats page or the exporter answers, the
// master asks every live worker for its counters (`counters-request`) and waits for their
// `counters` answers, at most REFRESH_TIMEOUT_MS; a worker that does not answer in time counts
// with its last report.
import type { MasterToWorker } from '../ipc/messages.ts';

export const REFRESH_TIMEOUT_MS = 200;

export interface Askable {
  pid: number;
  send(msg: MasterToWorker): void;
}

export interface CounterRefresh {
  /** Resolves once every worker answered, or after the timeout. */
  refresh(): Promise<void>;
  /** A worker's `counters` message carried `requestId` (call after its counters were added). */
  answered(requestId: number, pid: number): void;
}

export function createCounterRefresh(workers: () => Askable[], timeoutMs = REFRESH_TIMEOUT_MS): CounterRefresh {
  let nextId = 1;
  const pending = new Map<number, { waiting: Set<number>; done: () => void }>();

  return {
    refresh() {
      const id = nextId++;
      const asked = workers();
      const waiting = new Set(asked.map((w) => w.pid));
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          pending.delete(id);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        pending.set(id, { waiting, done });
        for (const w of asked) w.send({ type: 'counters-request', requestId: id });
        if (waiting.size === 0) done();
      });
    },
    answered(requestId, pid) {
      const p = pending.get(requestId);
      if (p === undefined) return;
      p.waiting.delete(pid);
      if (p.waiting.size === 0) p.done();
    },
  };
}
