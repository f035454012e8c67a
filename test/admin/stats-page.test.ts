// The stats page renderer alone: HAProxy's number and duration formats, row classes, the scope
// filters, the display options and messages, hide-version / show-node / show-desc / show-legends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatsHtml, type StatsPageOptions } from '../../src/admin/stats-page.ts';
import { humanTime, serverClass, u2h } from '../../src/admin/stats-page-rows.ts';
import { pageLink, parsePageRequest } from '../../src/admin/stats-page-request.ts';
import type { StatsRow, StatsSnapshot } from '../../src/ipc/messages.ts';

const row = (pxname: string, svname: string, kind: StatsRow['kind'], status: string, values: Record<string, number> = {}): StatsRow => ({ pxname, svname, kind, status, values });

const SNAP: StatsSnapshot = {
  generation: 2,
  workers: 2,
  uptimeMs: 3_723_000,
  rows: [
    row('www', 'FRONTEND', 'frontend', 'OPEN', { scur: 3, stot: 1234567, req_tot: 1234567 }),
    row('app', 's1', 'server', 'UP', { weight: 1 }),
    row('app', 's2', 'server', 'DRAIN', { weight: 1 }),
    row('app', 's3', 'server', 'MAINT', { weight: 1 }),
    row('app', 's4', 'server', 'DOWN', { weight: 1 }),
    row('app', 'BACKEND', 'backend', 'UP'),
    row('other', 'BACKEND', 'backend', 'DOWN'),
  ],
};

function options(over: Partial<StatsPageOptions['page']> = {}, uri = '', admin = false): StatsPageOptions {
  return {
    page: { uri: '/stats', realm: 'r', auth: [], ...over },
    request: parsePageRequest(uri, over.refresh !== undefined),
    admin,
    process: { pid: 42, workers: 2, uptimeMs: 3_723_000, hostname: 'lb-host', ulimitN: 1024, maxconn: 500 },
  };
}

test("HAProxy's formats: digit grouping, two-unit durations ('1h2m UP'), unknown as '?'", () => {
  assert.equal(u2h(985), '985');
  assert.equal(u2h(9985), '<span class="rls">9</span>985');
  assert.equal(u2h(1234567), '<span class="rls">1</span>23<span class="rls">4</span>567');
  assert.deepEqual([humanTime(0), humanTime(59), humanTime(3720), humanTime(3725), humanTime(90061), humanTime(undefined)], ['0s', '59s', '1h2m', '1h2m', '1d1h', '?']);
});

test('server rows get HAProxy classes: drain and maint distinct from up and down', () => {
  assert.equal(serverClass(row('a', 's', 'server', 'UP', { weight: 1 })), 'active_up');
  assert.equal(serverClass(row('a', 's', 'server', 'UP', { weight: 0 })), 'active_draining');
  assert.equal(serverClass(row('a', 's', 'server', 'DRAIN')), 'active_draining');
  assert.equal(serverClass(row('a', 's', 'server', 'MAINT')), 'maintain');
  assert.equal(serverClass(row('a', 's', 'server', 'DOWN')), 'active_down');
  assert.equal(serverClass(row('a', 's', 'server', 'NOLB')), 'active_nolb');
  assert.equal(serverClass(row('a', 's', 'server', 'no check')), 'active_no_check');
});

test('the page: process block, legend, one table per proxy in order, status cells; no external resource', () => {
  const html = renderStatsHtml(SNAP, options());
  assert.match(html, /<h1>handoff version \d+\.\d+\.\d+<\/h1>\n<h2>Statistics Report for pid 42<\/h2>/);
  assert.match(html, /<b>uptime = <\/b> 0d 1h02m03s<br>/);
  assert.match(html, /<b>maxsock = <\/b> 1024; <b>maxconn = <\/b> 500;/);
  assert.match(html, /current conns = 3;/);
  assert.match(html, /active or backup SOFT STOPPED for maintenance/);
  const order = [...html.matchAll(/<a class=px href="#(\w+)">/g)].map((m) => m[1]);
  assert.deepEqual(order, ['www', 'app', 'other']);
  assert.match(html, /<tr class="active_draining"><td class=ac><a name="app\/s2"><\/a><a class=lfsb href="#app\/s2">s2<\/a><\/td>/);
  assert.match(html, /<td class=ac>0s MAINT<\/td>/);
  assert.match(html, /<td class=ac>0s <font color="red"><b>DOWN<\/b><\/font><\/td>/);
  assert.match(html, /<u><span class="rls">1<\/span>23<span class="rls">4<\/span>567<div class=tips>/);
  assert.doesNotMatch(html, /<form method="post">|<script src|<link rel="stylesheet"/);
  assert.doesNotMatch(html, /Disable refresh/, 'no refresh link without stats refresh');
});

test('stats scope, the scope box and ;up filter what the page lists', () => {
  const scoped = renderStatsHtml(SNAP, options({ scope: ['app'] }));
  assert.deepEqual([...scoped.matchAll(/<a class=px href="#(\w+)">/g)].map((m) => m[1]), ['app']);
  const searched = renderStatsHtml(SNAP, options({}, '?scope=OTH'));
  assert.deepEqual([...searched.matchAll(/<a class=px href="#(\w+)">/g)].map((m) => m[1]), ['other']);
  assert.match(searched, /<input value="OTH" name="scope"/);
  assert.match(searched, /<a href="\/stats;up\?scope=OTH">Hide 'DOWN' servers<\/a>/);
  const up = renderStatsHtml(SNAP, options({}, ';up'));
  assert.doesNotMatch(up, /app\/s3|app\/s4/);
  assert.match(up, /app\/s2/);
});

test('hide-version, show-node, show-desc, show-legends; refresh links; ;st= messages', () => {
  const html = renderStatsHtml(SNAP, options({ hideVersion: true, showNode: '', showDesc: 'edge', showLegends: true, refresh: 5000 }, ';norefresh;st=PART'));
  assert.match(html, /<h1>handoff<\/h1>\n<h2>Statistics Report for pid 42 on lb-host: edge<\/h2>/);
  assert.match(html, /<title>Statistics Report for HAProxy on lb-host<\/title>/);
  assert.match(html, /<u><a class=px href="#app">app<\/a><div class=tips>cap: backend<\/div><\/u>/);
  assert.match(html, /<li><a href="\/stats">Enable refresh<\/a>/);
  assert.match(html, /<li><a href="\/stats;csv;norefresh">CSV export<\/a>/);
  assert.match(html, /<p><div class=active_going_down><a class=lfsb href="\/stats;norefresh" title="Remove this message">\[X\]<\/a> Action partially processed\./);
  assert.equal(pageLink('/stats', parsePageRequest(';up?scope=app', false), { st: 'DONE' }), '/stats;st=DONE;up?scope=app');
  assert.equal(parsePageRequest(';st=XYZW', false).st, 'UNKN');
  assert.equal(parsePageRequest(';norefresh', false).noRefresh, false, ';norefresh means nothing without stats refresh');
});

test('the admin form: a checkbox per server, the actions handoff applies, the backend by name', () => {
  const html = renderStatsHtml(SNAP, options({}, '', true));
  assert.match(html, /<form method="post"><table class="tbl" width="100%">\n<tr class="titre"><th class="pxname" width="10%"><a name="app">/);
  assert.match(html, /<input class='app-checkbox' type="checkbox" name="s" value="s4">/);
  assert.match(html, /<select name=action><option value=""><\/option><option value="ready">Set state to READY<\/option><option value="drain">Set state to DRAIN<\/option><option value="maint">Set state to MAINT<\/option><\/select><input type="hidden" name="b" value="app">/);
  // A proxy without servers gets the empty column, not a form.
  assert.match(html, /<tr class="titre"><th rowspan=2><\/th><th rowspan=2><\/th><th colspan=3>Queue/);
  assert.equal((html.match(/<form method="post">/g) ?? []).length, 1);
});
