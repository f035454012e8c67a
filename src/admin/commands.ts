// The runtime API: commands accepted on the master socket (`-S`) and on `stats socket` paths,
// answered as text. Names follow HAProxy's CLI where a counterpart exists. Commands live in
// src/admin/commands/, one file per group; this file finds the one a request names and runs it.
import type { AdminTarget } from './target.ts';
import { CommandError, RANK, type AccessLevel, type Command, type CommandContext } from './command.ts';
import { keywordOf, usageMessage } from './cli-usage.ts';
import { splitArgs } from './cli-input.ts';
import { processCommands } from './commands/process.ts';
import { cliCommands } from './commands/cli.ts';
import { statCommands } from './commands/stat.ts';
import { serverCommands } from './commands/servers.ts';
import { mapCommands } from './commands/maps.ts';
import { stickTableCommands } from './commands/stick-tables.ts';
import { dynamicCommands } from './commands/dynamic.ts';
import { sessionCommands } from './commands/sessions.ts';
import { resolverCommands } from './commands/resolvers.ts';

export type { AdminTarget } from './target.ts';
export type { AccessLevel, CommandContext } from './command.ts';

const commands: Command[] = [...processCommands, ...cliCommands, ...statCommands, ...serverCommands, ...mapCommands, ...stickTableCommands, ...dynamicCommands, ...sessionCommands, ...resolverCommands];

/** HAProxy's answer to a command the session's level does not allow. */
export const PERMISSION_DENIED = 'Permission denied\n';

export interface CommandResult {
  ok: boolean;
  output: string;
}

/** The commands `help` lists in this session. */
function visible(ctx: CommandContext): Command[] {
  return commands.filter((c) => ctx.master || c.masterOnly !== true);
}

function matches(usage: string, words: string[]): boolean {
  const lead = keywordOf(usage);
  if (lead.length === 0) return false;
  if (!lead.every((w, i) => words[i] === w)) return false;
  const rest = usage.split(' ').slice(lead.length);
  // A usage made only of literal words matches exactly: `show stat` is not `show stat json`.
  if (rest.length === 0) return words.length === lead.length;
  return rest.every((p) => p.startsWith('[')) ? words.length >= lead.length : words.length > lead.length;
}

/** The command a request names: one whose usage fits the words, else the one whose keyword is the longest prefix of them (it answers what is missing). */
function find(words: string[], ctx: CommandContext): Command | undefined {
  const list = visible(ctx);
  const exact = list.find((c) => matches(c.usage, words));
  if (exact !== undefined) return exact;
  let best: Command | undefined;
  for (const c of list) {
    const kw = keywordOf(c.usage);
    if (kw.every((w, i) => words[i] === w) && kw.length > (best === undefined ? 0 : keywordOf(best.usage).length)) best = c;
  }
  return best;
}

/** Run one request given as its words. Errors come back as `{ ok: false }` with HAProxy's message. */
export async function executeArgs(target: AdminTarget, words: string[], ctx: CommandContext): Promise<CommandResult> {
  if (words[0] === 'help') return { ok: true, output: usageMessage(visible(ctx), words, true) };
  const cmd = words.length === 0 ? undefined : find(words, ctx);
  if (cmd === undefined) return { ok: false, output: usageMessage(visible(ctx), words, false) };
  if (RANK[cmd.level] > RANK[ctx.level]) return { ok: false, output: PERMISSION_DENIED };
  try {
    return { ok: true, output: await cmd.run(target, words, ctx.level, ctx) };
  } catch (err) {
    if (err instanceof CommandError) return { ok: false, output: `${err.message}\n` };
    return { ok: false, output: `internal error: ${(err as Error).message}\n` };
  }
}

/** A context for one request outside a CLI session (tests, embedding). */
export function oneShotContext(level: AccessLevel, master = false): CommandContext {
  const ctx: CommandContext = { level, master, setLevel: (l) => (ctx.level = l), sockets: () => [], setTimeout: () => {} };
  return ctx;
}

/** Run one request line with HAProxy's word splitting. */
export function executeCommand(target: AdminTarget, line: string, level: AccessLevel): Promise<CommandResult> {
  return executeArgs(target, splitArgs(line), oneShotContext(level));
}
