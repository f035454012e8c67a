// HAProxy-like statistics page: one HTML table per proxy, or HAProxy's CSV with `;csv`.
import type { StatsRow, StatsSnapshot } from '../ipc/messages.ts';

/** HAProxy's CSV columns, in HAProxy's order (the first 50; later ones are rarely scripted against). */
export const CSV_FIELDS = [
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim', 'stot', 'bin', 'bout', 'dreq', 'dresp', 'ereq', 'econ',
  'eresp', 'wretr', 'wredis', 'status', 'weight', 'act', 'bck', 'chkfail', 'chkdown', 'lastchg', 'downtime', 'qlimit',
  'pid', 'iid', 'sid', 'throttle', 'lbtot', 'tracked', 'type', 'rate', 'rate_lim', 'rate_max', 'check_status',
  'check_code', 'check_duration', 'hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'hanafail',
  'req_rate', 'req_rate_max', 'req_tot', 'cli_abrt', 'srv_abrt',
] as const;

const TYPE_CODE: Record<StatsRow['kind'], number> = { frontend: 0, backend: 1, server: 2 };

export function renderStatsCsv(snapshot: StatsSnapshot): string {
  let out = `# ${CSV_FIELDS.join(',')},\n`;
  for (const row of snapshot.rows) {
    const cells = CSV_FIELDS.map((field) => {
      switch (field) {
        case 'pxname':
          return row.pxname;
        case 'svname':
          return row.svname;
        case 'status':
          return row.status;
        case 'type':
          return String(TYPE_CODE[row.kind]);
        case 'check_status': {
          const v = row.values.check_status;
          return v === undefined ? '' : String(v);
        }
        default: {
          const v = row.values[field];
          return v === undefined ? '' : String(v);
        }
      }
    });
    out += `${cells.join(',')},\n`;
  }
  return out;
}

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

function num(row: StatsRow, field: string): string {
  const v = row.values[field];
  return v === undefined ? '' : String(v);
}

function statusClass(row: StatsRow): string {
  const s = row.status.toUpperCase();
  if (s.startsWith('UP') || s === 'OPEN') return 'up';
  if (s.startsWith('DOWN') || s === 'NOLB') return 'down';
  if (s.startsWith('MAINT') || s.startsWith('DRAIN')) return 'maint';
  return 'other';
}

const COLUMNS: { title: string; cell: (r: StatsRow) => string }[] = [
  { title: 'Name', cell: (r) => esc(r.kind === 'server' ? r.svname : r.svname) },
  { title: 'Status', cell: (r) => esc(r.status) },
  { title: 'Sessions cur', cell: (r) => num(r, 'scur') },
  { title: 'Sessions total', cell: (r) => num(r, 'stot') },
  { title: 'Requests', cell: (r) => num(r, 'req_tot') },
  { title: 'Bytes in', cell: (r) => num(r, 'bin') },
  { title: 'Bytes out', cell: (r) => num(r, 'bout') },
  { title: '2xx', cell: (r) => num(r, 'hrsp_2xx') },
  { title: '5xx', cell: (r) => num(r, 'hrsp_5xx') },
  { title: 'Req err', cell: (r) => num(r, 'ereq') },
  { title: 'Conn err', cell: (r) => num(r, 'econ') },
  { title: 'Resp err', cell: (r) => num(r, 'eresp') },
  { title: 'Retr', cell: (r) => num(r, 'wretr') },
  { title: 'Redis', cell: (r) => num(r, 'wredis') },
  { title: 'Weight', cell: (r) => num(r, 'weight') },
  { title: 'Check', cell: (r) => esc(String(r.values.check_status ?? (r.kind === 'server' ? '' : ''))) },
];

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
    tables += `<table class="px"><caption>${esc(name)}</caption>\n<tr>${COLUMNS.map((c) => `<th>${c.title}</th>`).join('')}</tr>\n`;
    for (const r of rows) {
      tables += `<tr class="${r.kind} ${statusClass(r)}">${COLUMNS.map((c) => `<td>${c.cell(r)}</td>`).join('')}</tr>\n`;
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
th { background: #ccc; } td:first-child, td:nth-child(2) { text-align: left; }
tr.frontend, tr.backend { background: #eee; font-weight: bold; }
tr.up td:nth-child(2) { background: #c0ffc0; } tr.down td:nth-child(2) { background: #ff9090; }
tr.maint td:nth-child(2) { background: #c07820; }
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
