// Statistics commands: show stat.
import type { Command } from '../command.ts';
import { renderShowStat } from '../stat-csv.ts';

export const statCommands: Command[] = [
  { usage: 'show stat', help: 'counters per frontend, backend and server (HAProxy CSV columns)', level: 'user', run: (target) => renderShowStat(target.stats()) },
  { usage: 'show stat json', help: 'the same as JSON', level: 'user', run: (target) => JSON.stringify(target.stats(), null, 2) + '\n' },
];
