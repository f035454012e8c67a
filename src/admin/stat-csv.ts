// The CSV rendering of the stat field table: the runtime API's `show stat` and the stats page's
// `;csv`, byte for byte HAProxy 2.6's (every field of src/admin/stat-fields.ts, a comma after each
// cell, an empty cell where handoff has no value). The empty line that ends a CLI answer is the
// socket's framing, not part of this text.
import type { StatsRow } from '../ipc/messages.ts';
import { ALL_STAT_FIELDS, statValue, type StatField } from './stat-fields.ts';

/** What a CLI below the operator level, or a stats page without `stats show-legends`, does not show: addr and algo. */
export interface StatView {
  legends: boolean;
}

const LEGENDS = new Set(['addr', 'algo']);

/** The field's value as the view shows it ('' when absent or hidden). */
export function viewValue(row: StatsRow, field: StatField, view: StatView): string | undefined {
  if (!view.legends && LEGENDS.has(field.name)) return undefined;
  return statValue(row, field);
}

/** As HAProxy's csv_enc: a cell with a comma, a quote or a line break is quoted, quotes doubled. */
function csvCell(v: string | undefined): string {
  if (v === undefined) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const STAT_CSV_HEADER = `# ${ALL_STAT_FIELDS.map((f) => `${f.name},`).join('')}\n`;

export function renderStatRowCsv(row: StatsRow, view: StatView): string {
  let out = '';
  for (const f of ALL_STAT_FIELDS) out += `${csvCell(viewValue(row, f, view))},`;
  return `${out}\n`;
}

/** `show stat` and `;csv`: the header, then one line per row. */
export function renderStatCsv(rows: readonly StatsRow[], view: StatView = { legends: true }): string {
  return STAT_CSV_HEADER + rows.map((r) => renderStatRowCsv(r, view)).join('');
}
