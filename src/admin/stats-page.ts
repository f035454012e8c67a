// HAProxy-like statistics page: one HTML table per proxy, its columns the stat fields that have a
// page title, in the table's order (HAProxy's). The page's `;csv` is in src/admin/stat-csv.ts.
import type { StatsRow, StatsSnapshot } from '../ipc/messages.ts';
import { STAT_FIELDS, statValue, type StatField } from './stat-fields.ts';

export interface StatsPageOptions {
  /** Seconds between automatic reloads of the page (`stats refresh`). */
  refresh?: number;
  /** The URI the page is served at, for the CSV link. */
  uri: string;
  pid: number;
  now?: Date;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function statusClass(row: StatsRow): string {
  const s = row.status.toUpperCase();
  if (s.startsWith('UP') || s === 'OPEN') return 'up';
  if (s.startsWith('DOWN') || s === 'NOLB') return 'down';
  if (s.startsWith('MAINT') || s.startsWith('DRAIN')) return 'maint';
  return 'other';
}

const COLUMNS = (STAT_FIELDS as readonly StatField[]).filter((f) => f.page !== undefined);

function cell(row: StatsRow, field: StatField): string {
  const text = esc(statValue(row, field) ?? '');
  return field.source.from === 'status' ? `<td class="status">${text}</td>` : `<td>${text}</td>`;
}

export function renderStatsHtml(snapshot: StatsSnapshot, options: StatsPageOptions): string {
  const proxies = new Map<string, StatsRow[]>();
  for (const row of snapshot.rows) {
    let rows = proxies.get(row.pxname);
    if (rows === undefined) proxies.set(row.pxname, (rows = []));
    rows.push(row);
  }
  const order: Record<StatsRow['kind'], number> = { frontend: 0, server: 1, backend: 2 };
  let tables = '';
  for (const [name, rows] of proxies) {
    rows.sort((a, b) => order[a.kind] - order[b.kind]);
    tables += `<table class="px"><caption>${esc(name)}</caption>\n<tr>${COLUMNS.map((c) => `<th>${c.page ?? ''}</th>`).join('')}</tr>\n`;
    for (const r of rows) {
      tables += `<tr class="${r.kind} ${statusClass(r)}">${COLUMNS.map((c) => cell(r, c)).join('')}</tr>\n`;
    }
    tables += '</table>\n';
  }
  const refresh = options.refresh !== undefined && options.refresh > 0 ? `<meta http-equiv="refresh" content="${Math.round(options.refresh)}">\n` : '';
  const now = options.now ?? new Date();
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
${refresh}<title>Statistics Report for handoff</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; font-size: 12px; }
table.px { border-collapse: collapse; margin: 1em 0; }
caption { text-align: left; font-weight: bold; background: #20a0ff; color: #fff; padding: 2px 6px; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: right; }
th { background: #ccc; } td:first-child, td.status { text-align: left; }
tr.frontend, tr.backend { background: #eee; font-weight: bold; }
tr.up td.status { background: #c0ffc0; } tr.down td.status { background: #ff9090; }
tr.maint td.status { background: #c07820; }
</style></head>
<body><h1>handoff statistics</h1>
<p>pid ${options.pid}, generation ${snapshot.generation}, ${snapshot.workers} worker(s), uptime ${formatUptime(snapshot.uptimeMs)}, at ${esc(now.toISOString())} —
<a href="${esc(options.uri)};csv">CSV export</a></p>
${tables}</body></html>
`;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}
