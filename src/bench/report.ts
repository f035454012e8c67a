// Self-contained HTML report of a reload bench: the table, then per run the latency over time and
// the failures over time, reload instants as vertical lines. uPlot's JS and CSS are inlined from
// node_modules so the file opens offline and fetches nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ReloadBenchRun } from './reload-bench.ts';
import { failText, HEADERS, SEED_REFERENCE, tableRows, testName } from './table.ts';
import type { ScenarioResult } from './types.ts';

export interface ReportParams {
  requests: number;
  concurrency: number;
  intervalMs: number;
  workers: number;
}

function uplotAssets(): { js: string; css: string } {
  const dist = dirname(createRequire(import.meta.url).resolve('uplot')); // uplot/dist
  return {
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside <script>: no `</script>`, no HTML comment openers. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

interface ChartData {
  id: string;
  title: string;
  summary: string;
  t: number[];
  p95: (number | null)[];
  max: (number | null)[];
  failed: number[];
  reloads: number[];
  bucketMs: number;
}

function chartData(r: ScenarioResult, i: number): ChartData {
  return {
    id: `run${i}`,
    title: `${r.proxy} — ${testName(r)}`,
    summary: `${r.completed} complete, ${failText(r)} failed, ${r.rps.toFixed(0)} req/s, reloads ${r.reloadsRequested} requested / ${r.reloadsCompleted ?? '?'} completed`,
    t: r.buckets.map((b) => b.t / 1000),
    p95: r.buckets.map((b) => b.p95),
    max: r.buckets.map((b) => b.max),
    failed: r.buckets.map((b) => b.failed),
    reloads: r.reloadTimesMs.filter((t) => t >= 0).map((t) => Math.round(t) / 1000),
    bucketMs: r.bucketMs,
  };
}

// Runs in the browser. Kept as plain JS text: it is not part of the Node program.
const CLIENT = `
function reloadLines(times) {
  return { hooks: { draw: [function (u) {
    var ctx = u.ctx; ctx.save(); ctx.strokeStyle = 'rgba(200,60,60,0.45)'; ctx.lineWidth = 1;
    for (var i = 0; i < times.length; i++) {
      var x = Math.round(u.valToPos(times[i], 'x', true)) + 0.5;
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    }
    ctx.restore();
  }] } };
}
function width() { return Math.min(1000, document.body.clientWidth - 40); }
for (var i = 0; i < RUNS.length; i++) {
  var d = RUNS[i];
  var el = document.getElementById(d.id);
  var x = { time: false, label: 'seconds since the load started' };
  new uPlot({ title: 'latency per ' + d.bucketMs + ' ms (successful requests, by start time)', width: width(), height: 260,
    scales: { x: { time: false } }, plugins: [reloadLines(d.reloads)],
    axes: [x, { label: 'ms' }],
    series: [{ label: 's' }, { label: 'p95', stroke: '#2a6fdb', width: 1.5, spanGaps: false },
             { label: 'max', stroke: '#9bb7e8', width: 1, spanGaps: false }] },
    [d.t, d.p95, d.max], el);
  new uPlot({ title: 'failed requests per ' + d.bucketMs + ' ms (when the failure was seen)', width: width(), height: 180,
    scales: { x: { time: false } }, plugins: [reloadLines(d.reloads)],
    axes: [x, { label: 'failures' }],
    series: [{ label: 's' }, { label: 'failed', stroke: '#c0392b', fill: 'rgba(192,57,43,0.35)', paths: uPlot.paths.bars({ size: [0.9, 50] }) }] },
    [d.t, d.failed], el);
}
`;

export function renderReport(run: ReloadBenchRun, p: ReportParams): string {
  const { js, css } = uplotAssets();
  const rows = tableRows(run.results);
  const table = [
    '<table><thead><tr>',
    ...HEADERS.map((h) => `<th>${esc(h)}</th>`),
    '</tr></thead><tbody>',
    ...rows.map((r) => `<tr>${r.map((c, i) => `<td${i === r.length - 1 && r.length < HEADERS.length ? ` colspan="${HEADERS.length - i}"` : ''}>${esc(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('');
  const measured = run.results.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 'ok');
  const charts = measured.map(({ r, i }) => chartData(r, i));
  const sections = charts
    .map((c) => `<section><h2>${esc(c.title)}</h2><p>${esc(c.summary)}</p><div id="${c.id}"></div></section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>handoff bench reload</title>
<style>${css}
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:nth-child(-n+4),td:nth-child(-n+4){text-align:left}pre{background:#f6f6f6;padding:8px}
section{margin-top:28px}.note{color:#666}</style></head>
<body>
<h1>handoff bench reload</h1>
<p>${p.requests} requests, ${p.concurrency} concurrent users, a reload every ${p.intervalMs / 1000} s while the load runs,
${p.workers} worker(s) per proxy. Vertical red lines: the instants reloads were requested.</p>
${table}
${run.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
<pre>${esc(SEED_REFERENCE)}</pre>
${sections}
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script>var RUNS = ${scriptJson(charts)};${CLIENT}</script>
</body></html>
`;
}
