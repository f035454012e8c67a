// The worker's side of the stick tables the master holds (src/master/stick-tables.ts): a
// tracking is one round trip (a `stick-ops` batch → `stick-entries`), so every worker counts on the same
// entry and a rate read after tracking includes every request of every worker up to this one;
// what follows (the tracker's end, errors, bytes, gpc) is sent without waiting.
import type { StickSnapshot, StickTrackEvents, StickUpdate } from '../stick/types.ts';
import type { StickOp, WorkerToMaster } from '../ipc/messages.ts';

export interface StickClient {
  track(table: string, key: string, ev: StickTrackEvents): Promise<StickSnapshot | undefined>;
  update(table: string, key: string, u: StickUpdate): void;
  /** The master's `stick-entry` answer. */
  answered(requestId: number, entry: StickSnapshot | undefined): void;
}

/** Without an answer in this time (the master busy or gone) the request goes on untracked. */
const ANSWER_TIMEOUT_MS = 1000;

export function createStickClient(send: (msg: WorkerToMaster) => void): StickClient {
  const pending = new Map<number, (entry: StickSnapshot | undefined) => void>();
  let nextId = 1;
  // The operations of one event-loop turn go in one message, in order.
  let ops: StickOp[] = [];
  const flush = (): void => {
    const batch = ops;
    ops = [];
    send({ type: 'stick-ops', ops: batch });
  };
  const queue = (op: StickOp): void => {
    if (ops.length === 0) setImmediate(flush);
    ops.push(op);
  };
  return {
    track(table, key, ev) {
      const requestId = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          resolve(undefined);
        }, ANSWER_TIMEOUT_MS);
        timer.unref();
        pending.set(requestId, (entry) => {
          clearTimeout(timer);
          resolve(entry);
        });
        queue({ op: 'track', requestId, table, key, events: ev });
      });
    },
    update(table, key, u) {
      queue({ op: 'update', table, key, update: u });
    },
    answered(requestId, entry) {
      const done = pending.get(requestId);
      pending.delete(requestId);
      done?.(entry);
    },
  };
}

/** A request's (or a TCP session's) stick counters: the entry each slot tracks, as last read. */
export interface StickState {
  client: StickClient;
  slots: (StickSnapshot | undefined)[];
}
