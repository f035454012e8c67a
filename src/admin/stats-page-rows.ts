// One row of a proxy's table on the stats page, cell by cell as HAProxy 2.6 lays it out (the 29
// columns under Queue, Session rate, Sessions, Bytes, Denied, Errors, Warnings, Server). Values
// come from the stat table through statValue(); a field handoff leaves empty shows what HAProxy
// shows for a zero or unset value ("0", "-" for a limit, an empty cell for a check).
import type { StatsRow } from '../ipc/messages.ts';
import { STAT_FIELDS, statValue, type StatField, type StatFieldName } from './stat-fields.ts';

const FIELDS = new Map<string, StatField>((STAT_FIELDS as readonly StatField[]).map((f) => [f.name, f]));

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The field's value on the row, or undefined. */
export function field(row: StatsRow, name: StatFieldName): string | undefined {
  return statValue(row, FIELDS.get(name) as StatField);
}

function num(row: StatsRow, name: StatFieldName): number | undefined {
  const v = field(row, name);
  return v === undefined || v === '' || !/^-?\d+$/.test(v) ? undefined : Number(v);
}

/** A count with HAProxy's digit grouping: the digit before each group of three is spaced out. */
export function u2h(n: number): string {
  const digits = String(Math.trunc(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    const fromRight = digits.length - 1 - i;
    const d = digits[i] as string;
    out += fromRight > 0 && fromRight % 3 === 0 && d !== '-' ? `<span class="rls">${d}</span>` : d;
  }
  return out;
}

/** HAProxy's human_time: the two largest units of a duration in seconds (`1h2m`, `3d4h`, `0s`); `?` when unknown. */
export function humanTime(seconds: number | undefined): string {
  if (seconds === undefined || seconds < 0) return '?';
  const t = Math.floor(seconds);
  let out = '';
  let left = 2;
  const d = Math.floor(t / 86400);
  const h = Math.floor((t % 86400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  if (d > 0) (out += `${d}d`), left--;
  if (left > 0 && h > 0) (out += `${h}h`), left--;
  if (left > 0 && m > 0) (out += `${m}m`), left--;
  if ((left > 0 && s > 0) || t === 0) out += `${s}s`;
  return out;
}

const td = (text: string, cls = ''): string => `<td${cls}>${text}</td>`;
const ac = (text: string): string => `<td class=ac>${text}</td>`;
/** A count cell: an unset field reads 0, as HAProxy's unset counters do. */
const n = (row: StatsRow, name: StatFieldName): string => u2h(num(row, name) ?? 0);
/** A limit: `-` when unset or 0 (no limit). */
const lim = (row: StatsRow, name: StatFieldName): string => {
  const v = num(row, name);
  return v === undefined || v === 0 ? '-' : u2h(v);
};

function tips(value: string, lines: [string, string][]): string {
  return `<u>${value}<div class=tips><table class=det>${lines.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table></div></u>`;
}

function sessionTotal(row: StatsRow): string {
  const lines: [string, string][] = [['Cum. sessions:', n(row, 'stot')], ['Cum. HTTP requests:', n(row, 'req_tot')]];
  for (const [k, f] of [['1xx', 'hrsp_1xx'], ['2xx', 'hrsp_2xx'], ['3xx', 'hrsp_3xx'], ['4xx', 'hrsp_4xx'], ['5xx', 'hrsp_5xx']] as const) lines.push([`- HTTP ${k} responses:`, n(row, f)]);
  lines.push(['- other responses:', n(row, 'hrsp_other')]);
  return tips(n(row, 'stot'), lines);
}

function errorsResp(row: StatsRow): string {
  return `<u>${n(row, 'eresp')}<div class=tips>Connection resets during transfers: ${num(row, 'cli_abrt') ?? 0} client, ${num(row, 'srv_abrt') ?? 0} server</div></u>`;
}

/** Queue, session rate, sessions, bytes, denied, errors and warnings of a frontend (HAProxy leaves what a frontend has not empty). */
export function frontendCells(row: StatsRow): string {
  return (
    '<td colspan=3></td>' +
    td(n(row, 'rate')) + td(n(row, 'rate_max')) + td(lim(row, 'rate_lim')) +
    td(n(row, 'scur')) + td(n(row, 'smax')) + td(lim(row, 'slim')) + td(sessionTotal(row)) + '<td></td><td></td>' +
    td(n(row, 'bin')) + td(n(row, 'bout')) +
    td(n(row, 'dreq')) + td(n(row, 'dresp')) +
    td(n(row, 'ereq')) + '<td></td><td></td>' +
    '<td></td><td></td>' +
    ac(esc(row.status)) + '<td class=ac colspan=8></td>'
  );
}

export function backendCells(row: StatsRow): string {
  const status = row.status === 'DOWN' ? '<font color="red"><b>DOWN</b></font>' : esc(row.status);
  const weight = num(row, 'weight') ?? 0;
  const downtime = num(row, 'downtime');
  return (
    td(n(row, 'qcur')) + td(n(row, 'qmax')) + '<td></td>' +
    td(n(row, 'rate')) + td(n(row, 'rate_max')) + '<td></td>' +
    td(n(row, 'scur')) + td(n(row, 'smax')) + td(n(row, 'slim')) + td(sessionTotal(row)) + td(n(row, 'lbtot')) + td(humanTime(num(row, 'lastsess'))) +
    td(n(row, 'bin')) + td(n(row, 'bout')) +
    td(n(row, 'dreq')) + td(n(row, 'dresp')) +
    '<td></td>' + td(n(row, 'econ')) + td(errorsResp(row)) +
    td(n(row, 'wretr')) + td(n(row, 'wredis')) +
    ac(`${humanTime(num(row, 'lastchg') ?? 0)} ${status}`) + ac('&nbsp;') + ac(`${weight}/${num(row, 'uweight') ?? weight}`) +
    ac(String(num(row, 'act') ?? 0)) + ac(String(num(row, 'bck') ?? 0)) +
    ac('&nbsp;') + td(String(num(row, 'chkdown') ?? 0)) + td(downtime === undefined ? '&nbsp;' : humanTime(downtime)) + '<td></td>'
  );
}

/** HAProxy's row class of a server: its state, active or backup, with drain and maint distinct. */
export function serverClass(row: StatsRow): string {
  const s = row.status;
  if (s.startsWith('MAINT')) return 'maintain';
  const backup = num(row, 'bck') === 1 ? 'backup' : 'active';
  let style: string;
  if (s === 'DOWN' || s === 'DOWN (agent)') style = 'down';
  else if (s.startsWith('DOWN ')) style = 'going_up';
  else if (s === 'DRAIN') style = 'draining';
  else if (s.startsWith('NOLB ')) style = 'going_down';
  else if (s === 'NOLB') style = 'nolb';
  else if (s === 'no check') style = 'no_check';
  else if (!healthFalling(row)) style = (num(row, 'weight') ?? 1) > 0 ? 'up' : 'draining';
  else style = 'going_down';
  return `${backup}_${style}`;
}

/** Checks below full health (HAProxy's "going down"); false when handoff reports no check health. */
function healthFalling(row: StatsRow): boolean {
  const health = num(row, 'check_health');
  const rise = num(row, 'check_rise');
  const fall = num(row, 'check_fall');
  return num(row, 'chkfail') !== undefined && health !== undefined && rise !== undefined && fall !== undefined && health < rise + fall - 1;
}

function serverStatus(row: StatsRow): string {
  const s = row.status;
  const since = humanTime(num(row, 'lastchg') ?? 0);
  if (s.startsWith('MAINT')) return `${since} MAINT`;
  if (s === 'no check') return '<i>no check</i>';
  const health = num(row, 'check_health');
  const arrow = s.startsWith('DOWN') ? (health !== undefined && health > 0 ? ' &uarr;' : '') : healthFalling(row) ? ' &darr;' : '';
  return `${since} ${esc(s)}${arrow}`;
}

/** LastChk: the check's status, code and duration, its description on hover; empty without a check. */
function lastCheck(row: StatsRow): string {
  const status = field(row, 'check_status');
  if (status === undefined || status === '') return '<td></td>';
  const code = field(row, 'check_code');
  const duration = field(row, 'check_duration');
  const desc = field(row, 'check_desc') ?? '';
  const last = field(row, 'last_chk') ?? '';
  return `<td class=ac><u> ${esc(status)}${code ? `/${esc(code)}` : ''}${duration ? ` in ${esc(duration)}ms` : ''}<div class=tips>${esc(desc)}${last ? `: ${esc(last)}` : ''}</div></u></td>`;
}

function checkFailures(row: StatsRow): string {
  const chkfail = num(row, 'chkfail');
  if (chkfail === undefined) return '<td colspan=3></td>';
  return `<td><u>${chkfail}<div class=tips>Failed Health Checks</div></u></td>${td(String(num(row, 'chkdown') ?? 0))}${td(humanTime(num(row, 'downtime') ?? 0))}`;
}

export function serverCells(row: StatsRow): string {
  const weight = num(row, 'weight') ?? 0;
  const backup = num(row, 'bck') === 1;
  const throttle = num(row, 'throttle');
  return (
    td(n(row, 'qcur')) + td(n(row, 'qmax')) + td(lim(row, 'qlimit')) +
    td(n(row, 'rate')) + td(n(row, 'rate_max')) + '<td></td>' +
    td(n(row, 'scur')) + td(n(row, 'smax')) + td(lim(row, 'slim')) + td(sessionTotal(row)) + td(n(row, 'lbtot')) + td(humanTime(num(row, 'lastsess'))) +
    td(n(row, 'bin')) + td(n(row, 'bout')) +
    '<td></td>' + td(n(row, 'dresp')) +
    '<td></td>' + td(n(row, 'econ')) + td(errorsResp(row)) +
    td(n(row, 'wretr')) + td(n(row, 'wredis')) +
    ac(serverStatus(row)) + lastCheck(row) + ac(`${weight}/${num(row, 'uweight') ?? weight}`) +
    ac(backup ? '-' : 'Y') + ac(backup ? 'Y' : '-') +
    checkFailures(row) + ac(throttle === undefined ? '-' : `${throttle} %`)
  );
}
