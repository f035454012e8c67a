// HAProxy 2.6's statistics page: the process block, the legend, the display options and the
// result of the last action, then one table per proxy with HAProxy's two-level header and its
// frontend, server and backend rows (stats-page-rows.ts), and, for a request that `stats admin`
// allows, the form that acts on a backend's servers. Self-contained: inline style, no fetch.
// The page's `;csv` is in src/admin/stat-csv.ts.
import type { StatsPage } from '../config/model.ts';
import type { StatsAdminCode, StatsRow, StatsSnapshot } from '../ipc/messages.ts';
import { backendCells, esc, field, frontendCells, serverCells, serverClass } from './stats-page-rows.ts';
import { hidden, pageLink, scopeSuffix, SCOPE_MAX, type PageRequest } from './stats-page-request.ts';
import { STATS_PAGE_STYLE } from './stats-page-style.ts';
import { VERSION } from '../version.ts';

export type { PageRequest } from './stats-page-request.ts';

/** The process block's figures (HAProxy shows its own process; handoff shows the worker answering). */
export interface PageProcess {
  pid: number;
  workers: number;
  uptimeMs: number;
  hostname: string;
  ulimitN?: number;
  maxconn?: number;
}

export interface StatsPageOptions {
  page: StatsPage;
  request: PageRequest;
  /** A `stats admin` condition held: show the servers' checkboxes and the action form. */
  admin: boolean;
  process: PageProcess;
}

/** The actions the form offers: the ones handoff applies (health and agent forcing, kill sessions: not yet). */
const FORM_ACTIONS: readonly [string, string][] = [
  ['ready', 'Set state to READY'],
  ['drain', 'Set state to DRAIN'],
  ['maint', 'Set state to MAINT'],
];

export function renderStatsHtml(snapshot: StatsSnapshot, o: StatsPageOptions): string {
  let tables = '';
  for (const [name, rows] of proxies(snapshot.rows, o)) tables += proxyTable(name, rows, o);
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"
"http://www.w3.org/TR/html4/loose.dtd">
<html><head><title>Statistics Report for HAProxy${node(o)}</title>
<link rel="icon" href="data:,">
<meta http-equiv="content-type" content="text/html; charset=utf-8">
<style type="text/css"><!--
${STATS_PAGE_STYLE}-->
</style></head>
${infoBlock(snapshot, o)}${message(o)}${tables}</body></html>
`;
}

function node(o: StatsPageOptions): string {
  const n = o.page.showNode;
  return n === undefined ? '' : ` on ${esc(n === '' ? o.process.hostname : n)}`;
}

/** The rows the page shows: filtered by `stats scope`, the scope box, `;up` and `;no-maint` (its HTML, `;csv` and `;json` alike). */
export function pageRows(all: readonly StatsRow[], page: StatsPage, request: PageRequest): StatsRow[] {
  const allowed = page.scope;
  const search = request.scope.toLowerCase();
  return all.filter((row) => {
    if (allowed !== undefined && !allowed.includes(row.pxname)) return false;
    if (search !== '' && !row.pxname.toLowerCase().includes(search)) return false;
    return !(row.kind === 'server' && hidden(row, request));
  });
}

/** The rows by proxy, in order of first appearance, each frontend → servers → backend (pageRows). */
function proxies(all: readonly StatsRow[], o: StatsPageOptions): Map<string, StatsRow[]> {
  const out = new Map<string, StatsRow[]>();
  for (const row of pageRows(all, o.page, o.request)) {
    let rows = out.get(row.pxname);
    if (rows === undefined) out.set(row.pxname, (rows = []));
    rows.push(row);
  }
  const order: Record<StatsRow['kind'], number> = { frontend: 0, server: 1, backend: 2 };
  for (const rows of out.values()) rows.sort((a, b) => order[a.kind] - order[b.kind]);
  return out;
}

function infoBlock(snap: StatsSnapshot, o: StatsPageOptions): string {
  const p = o.process;
  const version = o.page.hideVersion === true ? '' : ` version ${esc(VERSION)}`;
  const desc = o.page.showDesc !== undefined ? `: ${esc(o.page.showDesc)}` : '';
  const up = Math.floor(p.uptimeMs / 1000);
  const uptime = `${Math.floor(up / 86400)}d ${Math.floor((up % 86400) / 3600)}h${pad(Math.floor((up % 3600) / 60))}m${pad(up % 60)}s`;
  const conns = snap.rows.reduce((sum, r) => sum + (r.kind === 'frontend' ? Number(field(r, 'scur') ?? 0) : 0), 0);
  const ulimit = p.ulimitN === undefined ? '' : `; ulimit-n = ${p.ulimitN}`;
  return `<body><h1>handoff${version}</h1>
<h2>Statistics Report for pid ${p.pid}${node(o)}${desc}</h2>
<hr width="100%" class="hr">
<h3>&gt; General process information</h3>
<table border=0><tr><td align="left" nowrap width="1%">
<p><b>pid = </b> ${p.pid} (generation ${snap.generation}, workers = ${p.workers})<br>
<b>uptime = </b> ${uptime}<br>
<b>system limits:</b> memmax = unlimited${ulimit}<br>
<b>maxsock = </b> ${p.ulimitN ?? '-'}; <b>maxconn = </b> ${p.maxconn ?? '-'}; <b>maxpipes = </b> 0<br>
current conns = ${conns}; current pipes = 0/0<br>
</td><td align="center" nowrap>
${LEGEND}</td>${displayOptions(o)}</tr></table>
`;
}

const pad = (v: number): string => String(v).padStart(2, '0');

const LEGEND = `<table class="lgd"><tr>
<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>
<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>
<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>
<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>
<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>
<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>
Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.`;

/** The scope box and the links that change the view: `;up`, `;norefresh`, refresh now, CSV. */
function displayOptions(o: StatsPageOptions): string {
  const uri = o.page.uri;
  const r = o.request;
  const links: string[] = [];
  links.push(r.hideDown ? `<a href="${esc(pageLink(uri, r, { hideDown: false }))}">Show all servers</a>` : `<a href="${esc(pageLink(uri, r, { hideDown: true }))}">Hide 'DOWN' servers</a>`);
  if (o.page.refresh !== undefined) {
    links.push(r.noRefresh ? `<a href="${esc(pageLink(uri, r, { noRefresh: false }))}">Enable refresh</a>` : `<a href="${esc(pageLink(uri, r, { noRefresh: true }))}">Disable refresh</a>`);
  }
  links.push(`<a href="${esc(pageLink(uri, r))}">Refresh now</a>`);
  links.push(`<a href="${esc(`${uri};csv${o.page.refresh !== undefined ? ';norefresh' : ''}${scopeSuffix(r)}`)}">CSV export</a>`);
  return `<td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;"><li><form method="GET">Scope : <input value="${esc(r.scope)}" name="scope" size="8" maxlength="${SCOPE_MAX}" tabindex="1"/></form>
${links.map((l) => `<li>${l}<br>\n`).join('')}</ul></td>`;
}

const MESSAGES: Record<StatsAdminCode, [string, string]> = {
  DONE: ['active_up', 'Action processed successfully.'],
  NONE: ['active_going_down', 'Nothing has changed.'],
  PART: ['active_going_down', 'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).'],
  ERRP: [
    'active_down',
    'Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>',
  ],
  EXCD: ['active_down', "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>"],
  DENY: ['active_down', '<b>Action denied.</b>'],
  IVAL: ['active_down', '<b>Invalid requests (unsupported method or chunked encoded request).</b>'],
  UNKN: ['active_no_check', 'Unexpected result.'],
};

/** `;st=CODE`: what the last POST did, with a link that removes the message. */
function message(o: StatsPageOptions): string {
  const st = o.request.st;
  if (st === undefined) return '';
  const [cls, text] = MESSAGES[st];
  return `<p><div class=${cls}><a class=lfsb href="${esc(pageLink(o.page.uri, o.request))}" title="Remove this message">[X]</a> ${text}</div>\n`;
}

const HEADER_GROUPS =
  '<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n';
const HEADER_COLUMNS =
  '<tr class="titre"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n</tr>\n';

function proxyTable(name: string, rows: readonly StatsRow[], o: StatsPageOptions): string {
  const n = esc(name);
  const form = o.admin && rows.some((r) => r.kind === 'server');
  const legend = o.page.showLegends === true ? `<div class=tips>${proxyLegend(rows)}</div>` : '';
  const u = (s: string): string => (o.page.showLegends === true ? `<u>${s}</u>` : s);
  const check = form ? `<th rowspan=2 width=1><input type="checkbox" onclick="for(c in document.getElementsByClassName('${n}-checkbox')) document.getElementsByClassName('${n}-checkbox').item(c).checked = this.checked"></th>` : o.admin ? '<th rowspan=2></th>' : '';
  let out = `${form ? '<form method="post">' : ''}<table class="tbl" width="100%">
<tr class="titre"><th class="pxname" width="10%"><a name="${n}"></a>${u(`<a class=px href="#${n}">${n}</a>${legend}`)}</th><th class="empty" width="90%"></th></tr>
</table>
<table class="tbl" width="100%">
<tr class="titre">${check}<th rowspan=2></th>${HEADER_GROUPS}${HEADER_COLUMNS}`;
  for (const r of rows) out += rowHtml(r, o);
  out += '</table>';
  if (form) {
    const options = FORM_ACTIONS.map(([v, label]) => `<option value="${v}">${label}</option>`).join('');
    out += `Choose the action to perform on the checked servers : <select name=action><option value=""></option>${options}</select><input type="hidden" name="b" value="${n}">&nbsp;<input type="submit" value="Apply"></form>`;
  }
  return `${out}<p>\n`;
}

/** `stats show-legends`: what HAProxy's tip on a proxy's name says that handoff knows. */
function proxyLegend(rows: readonly StatsRow[]): string {
  const fe = rows.some((r) => r.kind === 'frontend');
  const be = rows.some((r) => r.kind === 'backend');
  const cap = fe && be ? 'listen' : fe ? 'frontend' : 'backend';
  const any = rows[0] as StatsRow;
  const mode = field(any, 'mode');
  const id = field(any, 'iid');
  return `cap: ${cap}${mode ? `, mode: ${esc(mode)}` : ''}${id ? `, id: ${esc(id)}` : ''}`;
}

function rowHtml(r: StatsRow, o: StatsPageOptions): string {
  const px = esc(r.pxname);
  const legends = o.page.showLegends === true;
  if (r.kind === 'server') {
    const sv = esc(r.svname);
    const box = o.admin ? `<td><input class='${px}-checkbox' type="checkbox" name="s" value="${sv}"></td>` : '';
    const tip = legends ? `<div class=tips>${serverLegend(r)}</div>` : '';
    const name = `<a name="${px}/${sv}"></a>${legends ? '<u>' : ''}<a class=lfsb href="#${px}/${sv}">${sv}</a>${tip}${legends ? '</u>' : ''}`;
    return `<tr class="${serverClass(r)}">${box}<td class=ac>${name}</td>${serverCells(r)}</tr>\n`;
  }
  const label = r.kind === 'frontend' ? 'Frontend' : 'Backend';
  const tip = legends && r.kind === 'backend' && field(r, 'algo') ? `<div class=tips>balancing: ${esc(field(r, 'algo') as string)}</div>` : '';
  const name = `<a name="${px}/${label}"></a>${legends ? '<u>' : ''}<a class=lfsb href="#${px}/${label}">${label}</a>${tip}${legends ? '</u>' : ''}`;
  return `<tr class="${r.kind}">${o.admin ? '<td></td>' : ''}<td class=ac>${name}</td>${r.kind === 'frontend' ? frontendCells(r) : backendCells(r)}</tr>\n`;
}

function serverLegend(r: StatsRow): string {
  const addr = field(r, 'addr');
  const where = addr === undefined || addr === '' ? '' : /^\d/.test(addr) ? `IPv4: ${esc(addr)}, ` : addr.startsWith('[') ? `IPv6: ${esc(addr)}, ` : `${esc(addr)}, `;
  return `${where}id: ${esc(field(r, 'sid') ?? '0')}`;
}
