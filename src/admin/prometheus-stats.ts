// The stat rows as HAProxy's exporter families: `haproxy_frontend_*` {proxy}, `haproxy_backend_*`
// {proxy}, `haproxy_server_*` {proxy,server}, each field in the stat table's order, every row of
// its kind under it; a row without a value for the field has no sample (and a family without a
// sample is not written), `status` and `check_status` one-hot per state as HAProxy 2.6 does.
import type { StatsRow } from '../ipc/messages.ts';
import { statColumns, statValue, type StatField, type StatKind } from './stat-fields.ts';
import { BACKEND_STATES, CHECK_STATES, FRONTEND_STATES, PROM_FIELDS, SERVER_STATES, serverState, type PromField } from './prometheus-fields.ts';
import type { Family, Labels } from './prometheus-family.ts';

/** What decides which rows are exported beyond their kind. */
export interface RowFilter {
  /** `no-maint`: servers in maintenance are left out. */
  noMaint: boolean;
  /** A proxy's mode by `fe/NAME` or `be/NAME` (HTTP-only families skip tcp proxies). */
  mode(kind: StatKind, pxname: string): 'http' | 'tcp' | undefined;
}

const PREFIX: Record<StatKind, string> = { frontend: 'haproxy_frontend_', backend: 'haproxy_backend_', server: 'haproxy_server_' };

const labelsOf = (row: StatsRow): Labels => (row.kind === 'server' ? { proxy: row.pxname, server: row.svname } : { proxy: row.pxname });

/** A counter or gauge the workers keep for this kind of row: not yet reported means 0. */
function counted(field: StatField, kind: StatKind): boolean {
  return 'counted' in field.source && field.source.counted.includes(kind);
}

/** The field's number on the row, in the metric's unit; undefined when the row has none. */
function numberOf(row: StatsRow, f: PromField): number | undefined {
  const field = statColumns([f.stat])[0] as StatField;
  const text = statValue(row, field) ?? (counted(field, row.kind) ? '0' : undefined);
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) return undefined;
  return f.ms === true ? n / 1000 : n;
}

/** `check_status` cell without HAProxy's `* ` (check in progress) mark. */
function checkStatus(row: StatsRow): string | undefined {
  const v = statValue(row, statColumns(['check_status'])[0] as StatField);
  return v === undefined || v === '' ? undefined : v.replace(/^\* /, '');
}

function stateOf(row: StatsRow): string {
  if (row.kind === 'frontend') return row.status === 'STOP' ? 'DOWN' : 'UP';
  if (row.kind === 'backend') return row.status.startsWith('UP') ? 'UP' : 'DOWN';
  return serverState(row.status);
}

const STATES: Record<StatKind, readonly string[]> = { frontend: FRONTEND_STATES, backend: BACKEND_STATES, server: SERVER_STATES };

function oneHot(f: PromField, row: StatsRow): { state: string; value: number }[] {
  if (f.stat === 'status') {
    const s = stateOf(row);
    return STATES[row.kind].map((state) => ({ state, value: state === s ? 1 : 0 }));
  }
  const c = checkStatus(row);
  return c === undefined ? [] : CHECK_STATES.map((state) => ({ state, value: state === c ? 1 : 0 }));
}

/** The samples of field `f` on one row. */
function samplesOf(f: PromField, row: StatsRow): { labels: Labels; value: number }[] {
  const labels = labelsOf(row);
  if (f.oneHot === true) return oneHot(f, row).map((s) => ({ labels: { ...labels, state: s.state }, value: s.value }));
  const value = numberOf(row, f);
  if (value === undefined) return [];
  return [{ labels: f.code === undefined ? labels : { ...labels, code: f.code }, value }];
}

/** Every family of one kind, in the table's order. */
export function statFamilies(rows: readonly StatsRow[], kind: StatKind, filter: RowFilter): Family[] {
  const own = rows.filter((r) => r.kind === kind && !(kind === 'server' && filter.noMaint && serverState(r.status) === 'MAINT'));
  const byName = new Map<string, Family>();
  for (const f of PROM_FIELDS) {
    if (!f.kinds.includes(kind)) continue;
    const name = PREFIX[kind] + f.name;
    const family = byName.get(name) ?? { name, help: f.help, type: f.type, samples: [] };
    for (const row of own) {
      if (f.http === true && filter.mode(kind === 'server' ? 'backend' : kind, row.pxname) === 'tcp') continue;
      family.samples.push(...samplesOf(f, row));
    }
    byName.set(name, family);
  }
  const out = [...byName.values()];
  if (kind === 'backend') out.push(...aggregates(rows, filter));
  return out.filter((fam) => fam.samples.length > 0);
}

/** HAProxy 2.6's `agg_*` backend families: its servers counted per state and per check result. */
function aggregates(rows: readonly StatsRow[], filter: RowFilter): Family[] {
  const servers = rows.filter((r) => r.kind === 'server' && !(filter.noMaint && serverState(r.status) === 'MAINT'));
  const backends = rows.filter((r) => r.kind === 'backend');
  const count = (states: readonly string[], of: (r: StatsRow) => string | undefined): { labels: Labels; value: number }[] =>
    backends.flatMap((b) => {
      const mine = servers.filter((s) => s.pxname === b.pxname);
      if (mine.length === 0) return [];
      return states.map((state) => ({ labels: { proxy: b.pxname, state }, value: mine.filter((s) => of(s) === state).length }));
    });
  const byState = count(SERVER_STATES, (s) => serverState(s.status));
  const checked = servers.some((s) => checkStatus(s) !== undefined);
  return [
    { name: 'haproxy_backend_agg_server_status', help: "Backend's aggregated gauge of servers' status", type: 'gauge', samples: byState },
    { name: 'haproxy_backend_agg_server_check_status', help: "Backend's aggregated gauge of servers' state check status", type: 'gauge', samples: byState },
    { name: 'haproxy_backend_agg_check_status', help: "Backend's aggregated gauge of servers' state check status", type: 'gauge', samples: checked ? count(CHECK_STATES, checkStatus) : [] },
  ];
}
