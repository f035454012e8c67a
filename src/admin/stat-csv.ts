// The two CSV renderings of the stat field table: the runtime API's `show stat` and the stats
// page's `;csv`. Both are selections of src/admin/stat-fields.ts, with HAProxy's names.
import type { StatsSnapshot } from '../ipc/messages.ts';
import { statColumns, statFieldsThrough, statValue } from './stat-fields.ts';

/**
 * `show stat`: handoff's 22 columns so far (docs/runtime-api.md shows them), a value-less cell
 * as 0. To become every field of the table, in its order.
 */
export const SHOW_STAT_COLUMNS = statColumns([
  'pxname', 'svname', 'status', 'scur', 'stot', 'bin', 'bout', 'ereq', 'econ', 'eresp', 'wretr', 'wredis', 'weight',
  'req_tot', 'hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'cli_abrt', 'srv_abrt',
]);

/** The stats page's `;csv`: HAProxy's first 51 fields (later ones are rarely scripted against). */
export const PAGE_CSV_COLUMNS = statFieldsThrough('srv_abrt');

export function renderShowStat(s: StatsSnapshot): string {
  const head = `# ${SHOW_STAT_COLUMNS.map((f) => f.name).join(',')}\n`;
  return head + s.rows.map((r) => SHOW_STAT_COLUMNS.map((f) => statValue(r, f) ?? '0').join(',')).join('\n') + '\n';
}

/** As HAProxy's `;csv`: an empty cell for a value handoff does not have, a comma after each cell. */
export function renderStatsCsv(s: StatsSnapshot): string {
  let out = `# ${PAGE_CSV_COLUMNS.map((f) => f.name).join(',')},\n`;
  for (const row of s.rows) out += `${PAGE_CSV_COLUMNS.map((f) => statValue(row, f) ?? '').join(',')},\n`;
  return out;
}
