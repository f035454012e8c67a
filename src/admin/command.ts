// What every runtime-API command is: its usage line (also how a command line is matched), its
// help, the least socket level it needs, and what it runs. Each group of commands lives in its
// own file under src/admin/commands/; src/admin/commands.ts dispatches over all of them.
import type { AdminTarget, ProcInfo } from './target.ts';

export type AccessLevel = 'user' | 'operator' | 'admin';

/** One runtime-API socket as `show cli sockets` lists it. */
export interface SocketDescription {
  /** HAProxy's address form: `unix@/path`, `ipv4@127.0.0.1:9999`, `ipv6@[::1]:9999`. */
  address: string;
  level: AccessLevel;
}

/** The session a command runs in (a CLI connection). */
export interface CommandContext {
  /** The session's level now: the socket's, or lower after `operator` / `user`. */
  level: AccessLevel;
  setLevel(level: AccessLevel): void;
  /** What followed a request ending in `<<`, up to the empty line (without it). */
  payload?: string;
  /** On the master socket: the worker a `@N` / `@!PID` prefix addressed. */
  worker?: ProcInfo;
  /** True on the master socket (`-S`). */
  master: boolean;
  /** Every runtime-API socket open now. */
  sockets(): SocketDescription[];
  /** `set timeout cli`: the session's idle limit from now on. */
  setTimeout(ms: number): void;
}

export interface Command {
  /** HAProxy's usage column: the literal first words name the command (`show info [desc|json|typed|float]*`). */
  usage: string;
  help: string;
  level: AccessLevel;
  /** `level` is the session's: a command may show less to a lower level. */
  run(target: AdminTarget, args: string[], level: AccessLevel, ctx: CommandContext): Promise<string> | string;
  /** Listed in `help` only on the master socket (HAProxy's master-CLI commands). */
  masterOnly?: boolean;
}

export const RANK: Record<AccessLevel, number> = { user: 0, operator: 1, admin: 2 };

export class CommandError extends Error {
  override name = 'CommandError';
}

/** HAProxy's uptime shape: `0d00h01m02s`. */
export function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

export function serverArg(arg: string | undefined): string {
  if (arg === undefined || !arg.includes('/')) throw new CommandError(`expected BACKEND/SERVER, got '${arg ?? ''}'`);
  return arg;
}
