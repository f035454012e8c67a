// The runtime API: commands accepted on the master socket (`-S`) and on `stats socket` paths,
// answered as text. Names follow HAProxy's CLI where a counterpart exists. Commands live in
// src/admin/commands/, one file per group; this file finds the one a line names and runs it.
import type { AdminTarget } from './target.ts';
import { CommandError, RANK, type AccessLevel, type Command } from './command.ts';
import { processCommands } from './commands/process.ts';
import { statCommands } from './commands/stat.ts';
import { serverCommands } from './commands/servers.ts';
import { mapCommands } from './commands/maps.ts';
import { dynamicCommands } from './commands/dynamic.ts';
import { sessionCommands } from './commands/sessions.ts';

export type { AdminTarget } from './target.ts';
export type { AccessLevel } from './command.ts';

const commands: Command[] = [
  { usage: 'help', help: 'list the commands this socket allows', level: 'user', run: () => '' },
  ...processCommands,
  ...statCommands,
  ...serverCommands,
  ...mapCommands,
  ...dynamicCommands,
  ...sessionCommands,
];

function helpText(level: AccessLevel): string {
  return `The following commands are valid at this level:\n${commands
    .filter((c) => RANK[c.level] <= RANK[level])
    .map((c) => `  ${c.usage}\n      ${c.help}`)
    .join('\n')}\n`;
}

function matches(usage: string, words: string[]): boolean {
  const parts = usage.split(' ');
  const lead: string[] = [];
  for (const w of parts) {
    if (!/^[a-z]+$/.test(w)) break;
    lead.push(w);
  }
  if (!lead.every((w, i) => words[i] === w)) return false;
  const rest = parts.slice(lead.length);
  // A usage made only of literal words matches exactly: `show stat` is not `show stat json`.
  if (rest.length === 0) return words.length === lead.length;
  return rest.every((p) => p.startsWith('[')) ? words.length >= lead.length : words.length > lead.length;
}

/** Run one command line. Errors come back as `{ ok: false }` with a message naming the problem. */
export async function executeCommand(target: AdminTarget, line: string, level: AccessLevel): Promise<{ ok: boolean; output: string }> {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return { ok: false, output: 'empty command; try help\n' };
  const cmd = commands.find((c) => matches(c.usage, words));
  if (cmd === undefined) return { ok: false, output: `Unknown command: '${line.trim()}'\n${helpText(level)}` };
  if (cmd.usage === 'help') return { ok: true, output: helpText(level) };
  if (RANK[cmd.level] > RANK[level]) return { ok: false, output: `Permission denied: '${cmd.usage}' needs level ${cmd.level}\n` };
  try {
    return { ok: true, output: await cmd.run(target, words, level) };
  } catch (err) {
    if (err instanceof CommandError) return { ok: false, output: `${err.message}\n` };
    return { ok: false, output: `internal error: ${(err as Error).message}\n` };
  }
}
