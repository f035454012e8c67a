// What the runtime API needs from whoever it controls (the master): the members its commands call,
// with their types declared here so that src/admin imports nothing from src/master. The master
// satisfies AdminTarget structurally.
import type { StickTableAccess } from '../stick/table.ts';
import type { ServerState, SessionLine, StatsSnapshot } from '../ipc/messages.ts';

export type { SessionLine } from '../ipc/messages.ts';

/** A runtime change to a server (`set server`, `set weight`, the server state file), kept across reloads. */
export interface RuntimeServerSetting {
  admin?: ServerState['admin'];
  weight?: number;
  /** `set server addr … [port …]`: where traffic goes from the next connection. */
  addr?: string;
  port?: number;
  /** `set maxconn server`. */
  maxconn?: number;
  /** `set server check-port`. */
  checkPort?: number;
  /** `set server health`: the operational state forced on a server whose checks do not run. */
  health?: 'up' | 'stopping' | 'down';
  /** `disable health` (true) / `enable health` (false). */
  checksDisabled?: boolean;
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
  /** `global maxconn`, when set (`show info` Maxconn). */
  maxconn?: number;
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

/** One line of `show servers state` / `show servers conn`, `get weight`. */
export interface ServerReport {
  id: string;
  state: ServerState;
  /** The last health check's outcome, `pending` or `no check`. */
  check: string;
  backend: string;
  name: string;
  /** HAProxy's `be_id` and `srv_id` (src/config/proxy-ids.ts). */
  backendId: number;
  serverId: number;
  /** Where traffic goes now (after `set server addr`). */
  addr: string;
  /** The name DNS resolves for it (`srv_fqdn`); an SRV slot's record target. */
  fqdn?: string;
  /** `server-template … _svc._tcp.name`: the SRV record its slot is filled from. */
  srvrecord?: string;
  /** In maintenance because its name does not resolve (RMAINT). */
  rmaint?: true;
  /** An SRV slot with its address from a record: HAProxy's HMAINT bit in srv_admin_state. */
  hmaint?: true;
  /** Has been in resolution maintenance: HAProxy leaves an unchecked server's check health at 0. */
  rmaintSeen?: true;
  port: number;
  /** The configured weight (`srv_iweight`); `state.weight` is the runtime one when set. */
  initialWeight: number;
  /** `ssl`: traffic to the server is TLS (`srv_use_ssl`). */
  ssl?: true;
  /** Epoch ms of the last change of operational or admin state. */
  lastChange: number;
  /** `disabled` in the configuration (HAProxy's CMAINT). */
  configMaint: boolean;
  rise: number;
  fall: number;
  /** The active check (`check`): absent when the server has none. `present`: the checker runs it now. */
  health?: { present: boolean; status: string; successes: number; failures: number; enabled: boolean; port?: number; addr?: string };
  /** Without a check: the forced operational state (`set server health`). */
  forced?: 'up' | 'stopping' | 'down';
  maxconn?: number;
  /** The backend balances with a static algorithm: only weights 0% and 100% (HAProxy). */
  staticLb?: true;
  /** This server's current and highest connections (`scur`, `smax`), from the counters. */
  used?: { cur: number; max: number };
}

/** What `reload` answers (the master's outcome may carry more). */
export type ReloadResult =
  | { ok: true; generation: number; tookMs: number; warnings: string[] }
  | { ok: false; message: string; tookMs: number };

/** Which runtime API family names a pattern reference: `… map` or `… acl`. */
export type PatternKind = 'map' | 'acl';

/** One line of `show map` / `show acl` without an argument. */
export interface PatternRefSummary {
  id: number;
  path: string;
  /** `pattern loaded from file 'F' used by map at file 'C' line N` */
  description: string;
  entries: number;
}

/** One entry of a map or ACL file; `ref` is its identifier (`0x…`, usable as `#0x…`). */
export interface PatternEntry {
  ref: string;
  key: string;
  value: string;
}

/** `get map` / `get acl`: how the file is matched and the entry a sample finds. */
export interface PatternMatch {
  match: string;
  ignoreCase: boolean;
  /** HAProxy's index kind for this match (`tree` or `list`). */
  idx: 'tree' | 'list';
  /** The map's value type (`str`, `int`, `ip`). */
  output?: string;
  entry?: { key: string; value: string };
}

export type PatternChange = { op: 'add' | 'set' | 'del'; key: string; value?: string } | { op: 'clear' };
/** What a runtime-API action answers: HAProxy's message ('' for none), and whether it failed. */
export interface AdminAnswer {
  ok: boolean;
  message: string;
}

/** `disable frontend`, `enable frontend`, `shutdown frontend`. */
export type FrontendAction = 'disable' | 'enable' | 'shutdown';

export interface AdminTarget {
  /** The stick tables (`show table`, `clear table`, `set table`): src/master/stick-tables.ts. */
  stickTables(): StickTableAccess;
  /** `full`: new worker processes even if the code is unchanged. */
  reload(full?: boolean): Promise<ReloadResult>;
  info(): MasterInfo;
  procs(): ProcInfo[];
  /** The stat rows, the workers' counters asked for first (bounded wait). */
  stats(): Promise<StatsSnapshot>;
  /** `clear counters` (maxima and rates' maxima) or `clear counters all` (every counter). */
  clearCounters(all: boolean): Promise<void>;
  servers(): ServerReport[];
  /** Every backend's name, in declaration order (`show backend`). */
  backendNames(): string[];
  /** An error message, or null when applied. */
  setServer(id: string, setting: RuntimeServerSetting): string | null;
  /** Map and ACL files of the configuration serving now (src/master/admin-maps.ts). */
  patternRefs(kind: PatternKind): PatternRefSummary[];
  /** The entries of the reference named `#ID` or by its file, or an error message. */
  patternEntries(kind: PatternKind, name: string): PatternEntry[] | string;
  patternLookup(kind: PatternKind, name: string, sample: string): PatternMatch | string;
  /** Applied in the master and every worker at once; an error message, or null when applied. */
  changePatterns(kind: PatternKind, name: string, change: PatternChange): string | null;
  /** `add server BACKEND/NAME ADDR [options]`: `words` are ADDR and the options. */
  addServer(backend: string, name: string, words: string[]): AdminAnswer;
  /** `del server BACKEND/NAME`. */
  delServer(backend: string, name: string): Promise<AdminAnswer>;
  /** `show sess`: every worker's streams (bounded wait). */
  sessions(): Promise<SessionLine[]>;
  /** `show resolvers`: each resolvers section of the configuration serving now, with its nameservers' counts. */
  resolvers?(): { name: string; nameservers: NameserverCounters[] }[];
  /** `shutdown session ID`. */
  shutdownSession(id: string): Promise<AdminAnswer>;
  /** `shutdown sessions server BACKEND/NAME`. */
  shutdownServerSessions(backend: string, name: string): Promise<AdminAnswer>;
  /** `disable|enable|shutdown frontend NAME`: stop or resume accepting in every worker. */
  frontend(name: string, action: FrontendAction): Promise<AdminAnswer>;
}

/** One nameserver's counts for `show resolvers` (src/master/dns-ask.ts). */
export interface NameserverCounters {
  name: string;
  sent: number;
  valid: number;
  nx: number;
  timeout: number;
  refused: number;
  other: number;
}
