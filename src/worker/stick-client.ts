// The worker's side of the stick tables the master holds (src/master/stick-tables.ts): a
// tracking is one round trip (a `stick-ops` batch → `stick-entries`), so every worker counts on the same
// entry and a rate read after tracking includes every request of every worker up to this one;
// what follows (the tracker's end, errors, bytes, gpc) is sent without waiting.
import type { StickSnapshot, StickTrackEvents, StickUpdate } from '../stick/types.ts';
import type { StickAnswer, StickOp, WorkerToMaster } from '../ipc/messages.ts';

export interface StickClient {
  track(table: string, key: string, ev: StickTrackEvents): Promise<StickSnapshot | undefined>;
  /** Read `key`'s entry without tracking it (created when `create`); undefined without an answer. */
  lookup(table: string, key: string, create: boolean): Promise<StickAnswer | undefined>;
  update(table: string, key: string, u: StickUpdate): void;
  /** The master's answer in `stick-entries`. */
  answered(answer: StickAnswer): void;
}

/** Without an answer in this time (the master busy or gone) the request goes on untracked. */
const ANSWER_TIMEOUT_MS = 1000;

export function createStickClient(send: (msg: WorkerToMaster) => void): StickClient {
  const pending = new Map<number, (answer: StickAnswer | undefined) => void>();
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
  // One answered operation: resolved with the master's answer, or undefined after the timeout.
  const ask = (op: (requestId: number) => StickOp): Promise<StickAnswer | undefined> => {
    const requestId = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(requestId);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      pending.set(requestId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      queue(op(requestId));
    });
  };
  return {
    track(table, key, ev) {
      return ask((requestId) => ({ op: 'track', requestId, table, key, events: ev })).then((a) => a?.entry);
    },
    lookup(table, key, create) {
      return ask((requestId) => ({ op: 'lookup', requestId, table, key, create }));
    },
    update(table, key, u) {
      queue({ op: 'update', table, key, update: u });
    },
    answered(answer) {
      const done = pending.get(answer.requestId);
      pending.delete(answer.requestId);
      done?.(answer);
    },
  };
}

/** A request's (or a TCP session's) stick counters: the entry each slot tracks, as last read. */
export interface StickState {
  client: StickClient;
  slots: (StickSnapshot | undefined)[];
  /** Slots the connection tracks (`tcp-request connection track-sc*`): not released at the request's end. */
  connSlots?: boolean[];
  /** The proxy whose rules run (its table is the default of `src_*([T])`, `table_cnt([T])`). */
  proxy?: string;
  /** Untracked entries of the client's address looked up, by table (entry absent: not in it). */
  lookups?: Map<string, StickAnswer>;
  /** Tables a fetch of the rule being evaluated needs looked up first (true: create the entry). */
  needs?: Map<string, boolean>;
}
