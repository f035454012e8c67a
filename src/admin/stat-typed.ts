// The typed and JSON renderings of the stat table (`show stat typed`, `show stat json`, the stats
// page's `;json`), in HAProxy 2.6's shapes: one line or one object per field that has a value on
// the row, with its position, its tags and its type.
import type { StatsRow } from '../ipc/messages.ts';
import { ALL_STAT_FIELDS, statTags, type StatField, type StatKind } from './stat-fields.ts';
import { viewValue, type StatView } from './stat-csv.ts';

const LETTER: Record<StatKind, string> = { frontend: 'F', backend: 'B', server: 'S' };
const OBJ_TYPE: Record<StatKind, string> = { frontend: 'Frontend', backend: 'Backend', server: 'Server' };
const ORIGIN: Record<string, string> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURE: Record<string, string> = { G: 'Gauge', L: 'Limit', M: 'Max', R: 'Rate', C: 'Counter', D: 'Duration', A: 'Age', T: 'Time', N: 'Name', O: 'Output', a: 'Avg' };
const SCOPE: Record<string, string> = { P: 'Process', S: 'Service', C: 'Cluster' };
/** HAProxy 2.6's process number: handoff's workers answer as one process. */
const PROCESS_NUM = 1;

/** Each field with a value on the row, with its position (HAProxy's `-` column has none). */
function present(row: StatsRow, view: StatView): { field: StatField; pos: number; value: string }[] {
  const out: { field: StatField; pos: number; value: string }[] = [];
  let pos = 0;
  for (const field of ALL_STAT_FIELDS) {
    if (field.name === '-') continue;
    const value = viewValue(row, field, view);
    if (value !== undefined) out.push({ field, pos, value });
    pos++;
  }
  return out;
}

export interface TypedOptions extends StatView {
  desc: boolean;
}

/** `F.2.0.4.scur.1:MGP:u32:0` lines. */
export function renderStatTyped(rows: readonly StatsRow[], opts: TypedOptions): string {
  let out = '';
  for (const row of rows) {
    const head = `${LETTER[row.kind]}.${row.iid ?? 0}.${row.sid ?? 0}`;
    for (const { field, pos, value } of present(row, opts)) {
      out += `${head}.${pos}.${field.name}.${PROCESS_NUM}:${statTags(field, row.kind)}:${field.type}:${value}${opts.desc ? `:"${field.desc}"` : ''}\n`;
    }
  }
  return out;
}

function tagsOf(letters: string): { origin: string; nature: string; scope: string } {
  return { origin: ORIGIN[letters[0] ?? ''] ?? '', nature: NATURE[letters[1] ?? ''] ?? '', scope: SCOPE[letters[2] ?? ''] ?? '' };
}

/** `show stat json`: an array of rows, each an array of field objects (HAProxy 2.6 adds no description). */
export function renderStatJson(rows: readonly StatsRow[], opts: StatView): string {
  const json = rows.map((row) =>
    present(row, opts).map(({ field, pos, value }) => ({
      objType: OBJ_TYPE[row.kind],
      proxyId: row.iid ?? 0,
      id: row.sid ?? 0,
      field: { pos, name: field.name },
      processNum: PROCESS_NUM,
      tags: tagsOf(statTags(field, row.kind)),
      value: { type: field.type, value: field.type === 'str' ? value : Number(value) },
    })),
  );
  return `${JSON.stringify(json)}\n`;
}
