// Passive health (`observe layer4|layer7`, `error-limit`, `on-error`): a worker counts the
// consecutive errors it sees on real traffic per server. At `error-limit` it tells the master
// (`server-errors`), which owns health state and applies `on-error`, and it stops picking that
// server itself until the master's answer (a `servers` message) arrives.
import type { Server } from '../config/model.ts';
import type { WorkerToMaster } from '../ipc/messages.ts';

/** What an attempt showed about a server: its connection (L4) and its response (L7). */
export type Observation = 'l4-ok' | 'l4-error' | 'l7-ok' | 'l7-error';

type Effect = 'error' | 'reset' | 'ignore';

/** HAProxy's analysis table: in layer4 only connections count; in layer7 a good response resets,
 * and connection errors still count. */
const EFFECT: Record<'layer4' | 'layer7', Record<Observation, Effect>> = {
  layer4: { 'l4-ok': 'reset', 'l4-error': 'error', 'l7-ok': 'ignore', 'l7-error': 'ignore' },
  layer7: { 'l4-ok': 'ignore', 'l4-error': 'error', 'l7-ok': 'reset', 'l7-error': 'error' },
};

export type ServerErrorsMessage = Extract<WorkerToMaster, { type: 'server-errors' }>;
export type ServerErrorReporter = (msg: ServerErrorsMessage) => void;

/** The worker's count for one server. */
export interface PassiveState {
  errors: number;
}

/** What observing needs of a server's runtime state. */
export interface Observed {
  readonly server: Server;
  readonly passive: PassiveState;
  usable: boolean;
}

/** HAProxy's valid statuses for layer7 observing: 100–499, 501 and 505. */
export function healthyStatus(status: number): boolean {
  return (status >= 100 && status < 500) || status === 501 || status === 505;
}

/** Count one observation; at `error-limit` consecutive errors, report and stop picking the server. */
export function observe(srv: Observed, what: Observation, detail: string, report: ServerErrorReporter): void {
  const s = srv.server;
  // As in HAProxy, observing needs health checks: the master decides through them.
  if (s.observe === 'none' || !s.check) return;
  const effect = EFFECT[s.observe][what];
  if (effect === 'ignore') return;
  if (effect === 'reset') {
    srv.passive.errors = 0;
    return;
  }
  if (++srv.passive.errors < s.errorLimit) return;
  const errors = srv.passive.errors;
  srv.passive.errors = 0;
  srv.usable = false;
  report({ type: 'server-errors', id: s.id, errors, last: detail });
}

/** The worker's channel to the master (nothing when run without one, as in unit tests). */
export const reportToMaster: ServerErrorReporter = (msg) => {
  if (process.connected && process.send !== undefined) process.send(msg);
};
