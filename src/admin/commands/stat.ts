// Statistics commands: `show stat` (HAProxy 2.6's filters and CSV, typed and JSON formats) and
// `clear counters [all]`.
import type { StatsRow } from '../../ipc/messages.ts';
import { CommandError, RANK, type AccessLevel, type Command } from '../command.ts';
import { renderStatCsv, type StatView } from '../stat-csv.ts';
import { renderStatJson, renderStatTyped } from '../stat-typed.ts';
import { hidden } from '../stats-page-request.ts';

/** HAProxy's type bits: 1 frontends, 2 backends, 4 servers (-1: all). */
const TYPE_BIT: Record<StatsRow['kind'], number> = { frontend: 1, backend: 2, server: 4 };

export interface StatRequest {
  /** A proxy id, a proxy name, or undefined for every proxy. */
  proxy?: number | string;
  types: number;
  sid: number;
  format: 'csv' | 'typed' | 'json';
  desc: boolean;
  up: boolean;
  noMaint: boolean;
}

/** `show stat [{<iid>|<proxy>} <type> <sid>] [typed|json] [desc] [up|no-maint]`, as HAProxy parses it. */
export function parseShowStat(args: readonly string[]): StatRequest {
  const req: StatRequest = { types: -1, sid: -1, format: 'csv', desc: false, up: false, noMaint: false };
  let i = 2;
  const [a, b, c] = [args[2], args[3], args[4]];
  if (a !== undefined && b !== undefined && c !== undefined && !isKeyword(a)) {
    // As HAProxy: a proxy's name, else its id (-1: every proxy; 0, or a name it does not know: none).
    const n = Number.parseInt(a, 10);
    if (n !== -1) req.proxy = Number.isNaN(n) ? a : n;
    req.types = Number.parseInt(b, 10) || 0;
    req.sid = Number.parseInt(c, 10) || 0;
    i = 5;
  }
  for (const w of args.slice(i)) {
    if (w === 'typed' || w === 'json') req.format = w;
    else if (w === 'desc') req.desc = true;
    else if (w === 'up') req.up = true;
    else if (w === 'no-maint') req.noMaint = true;
  }
  return req;
}

const isKeyword = (w: string): boolean => ['typed', 'json', 'desc', 'up', 'no-maint'].includes(w);

/** The rows the request selects, or HAProxy's error for a proxy name it does not know. */
export function selectRows(rows: readonly StatsRow[], req: StatRequest): StatsRow[] {
  if (req.proxy === 0 || (typeof req.proxy === 'string' && !rows.some((r) => r.pxname === req.proxy))) throw new CommandError('No such proxy.');
  return rows.filter((r) => {
    if (typeof req.proxy === 'string' && r.pxname !== req.proxy) return false;
    if (typeof req.proxy === 'number' && r.iid !== req.proxy) return false;
    if (req.types !== -1 && (req.types & TYPE_BIT[r.kind]) === 0) return false;
    if (r.kind !== 'server') return true;
    if (req.sid !== -1 && r.sid !== req.sid) return false;
    // As the stats page's `;up` and `;no-maint`.
    return !hidden(r, { hideDown: req.up, hideMaint: req.noMaint });
  });
}

export function renderStat(rows: readonly StatsRow[], req: StatRequest, level: AccessLevel): string {
  const view: StatView = { legends: RANK[level] >= RANK.operator };
  if (req.format === 'typed') return renderStatTyped(rows, { ...view, desc: req.desc });
  if (req.format === 'json') return renderStatJson(rows, view);
  return renderStatCsv(rows, view);
}

export const statCommands: Command[] = [
  {
    // HAProxy's help line; the filter `{<iid>|<proxy>} <type> <sid>` may come first.
    usage: 'show stat [desc|json|no-maint|typed|up]*',
    help: 'report counters for each proxy and server',
    level: 'user',
    async run(target, args, level) {
      const req = parseShowStat(args);
      return renderStat(selectRows((await target.stats()).rows, req), req, level);
    },
  },
  {
    usage: 'clear counters [all]',
    help: 'clear max statistics counters (or all counters)',
    level: 'operator',
    async run(target, args, level) {
      const all = args[2] === 'all';
      if (all && RANK[level] < RANK.admin) throw new CommandError('Permission denied');
      await target.clearCounters(all);
      return '';
    },
  },
];
