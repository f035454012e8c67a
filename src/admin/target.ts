// What the runtime API needs from whoever it controls (the master): the members its commands call,
// with their types declared here so that src/admin imports nothing from src/master. The master
// satisfies AdminTarget structurally.
import type { ServerState, StatsSnapshot } from '../ipc/messages.ts';

/** A runtime change to a server (`set server`, `set weight`), kept across reloads. */
export interface RuntimeServerSetting {
  admin?: ServerState['admin'];
  weight?: number;
}

/** `show info`. */
export interface MasterInfo {
  pid: number;
  startedAt: number;
  /** The configuration version serving now. */
  generation: number;
  reloads: number;
  reloadsInPlace: number;
  reloadsFailed: number;
  /** Of reloadsFailed, those that failed on each path (the others: before one was chosen). */
  reloadsFailedInPlace?: number;
  reloadsFailedNewProcesses?: number;
  /** The last reload's duration in ms, succeeded or failed. */
  lastReloadMs?: number;
  reloadsRequested: number;
  workers: number;
  drainingGenerations: number;
  configFile: string;
  listeners: { key: string; port: number }[];
}

/** One line of `show proc`. */
export interface ProcInfo {
  pid: number;
  role: 'master' | 'worker' | 'spare';
  generation: number;
  index: number;
  state: string;
  uptimeMs: number;
}

/** One line of `show servers state`. */
export interface ServerReport {
  id: string;
  state: ServerState;
  /** The last health check's outcome, `pending` or `no check`. */
  check: string;
}

/** What `reload` answers (the master's outcome may carry more). */
export type ReloadResult =
  | { ok: true; generation: number; tookMs: number; warnings: string[] }
  | { ok: false; message: string; tookMs: number };

export interface AdminTarget {
  /** `full`: new worker processes even if the code is unchanged. */
  reload(full?: boolean): Promise<ReloadResult>;
  info(): MasterInfo;
  procs(): ProcInfo[];
  stats(): StatsSnapshot;
  servers(): ServerReport[];
  /** An error message, or null when applied. */
  setServer(id: string, setting: RuntimeServerSetting): string | null;
}
