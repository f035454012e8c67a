// What every runtime-API command is: its usage line (also how a command line is matched), its
// help, the least socket level it needs, and what it runs. Each group of commands lives in its
// own file under src/admin/commands/; src/admin/commands.ts dispatches over all of them.
import type { AdminTarget } from './target.ts';

export type AccessLevel = 'user' | 'operator' | 'admin';

export interface Command {
  usage: string;
  help: string;
  level: AccessLevel;
  /** `level` is the socket's: a command may show less to a lower level. */
  run(target: AdminTarget, args: string[], level: AccessLevel): Promise<string> | string;
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
