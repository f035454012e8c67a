import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { renderReport } from '../../src/bench/report.ts';
import { SAMPLE } from './synthetic.ts';

/** Values made in another vm context have other prototypes: compare their JSON. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const PARAMS = { requests: 10_000, concurrency: 200, intervalMs: 200, workers: 2 };

test('report is self-contained: uPlot inlined, nothing loaded from the network', () => {
  const html = renderReport({ results: SAMPLE, notes: ['haproxy not installed — skipped'] }, PARAMS);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /uPlot/);
  assert.match(html, /\.uplot\s*\{/, 'uPlot CSS inlined');
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]*\s(src|href)\s*=/i, 'no external resource of any kind');
  assert.doesNotMatch(html, /https?:\/\/[^"'\s]*\.(js|css)/i);
  assert.match(html, /haproxy not installed — skipped/);
  assert.match(html, /4332 \(refused 4100, receive 232\)/);
  assert.ok(html.length < 200_000, `report is ${html.length} bytes`);
});

test('report charts: two per measured run, reload instants passed to the vertical-line plugin', () => {
  const html = renderReport({ results: SAMPLE, notes: [] }, PARAMS);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const client = scripts.at(-1)!;
  const charts: { title: string; data: unknown[][]; hooks: number }[] = [];
  function FakePlot(this: unknown, opts: { title: string; plugins: { hooks: { draw: unknown[] } }[] }, data: unknown[][]) {
    charts.push({ title: opts.title, data, hooks: opts.plugins[0]!.hooks.draw.length });
  }
  (FakePlot as unknown as { paths: unknown }).paths = { bars: () => () => null };
  const ids: string[] = [];
  runInNewContext(client, {
    uPlot: FakePlot,
    document: { body: { clientWidth: 1200 }, getElementById: (id: string) => (ids.push(id), {}) },
    Math,
  });
  // 3 measured runs (the unavailable one has no chart) × (latency + failures)
  assert.equal(charts.length, 6);
  assert.match(charts[0]!.title, /latency per 100 ms/);
  assert.match(charts[1]!.title, /failed requests per 100 ms/);
  assert.deepEqual(plain(charts[1]!.data[1]), [0, 2, 5]);
  assert.deepEqual(ids, ['run0', 'run1', 'run2']);
  const runs = runInNewContext(`${client.slice(0, client.indexOf(';'))}; RUNS`, { uPlot: FakePlot, document: { body: { clientWidth: 1 }, getElementById: () => ({}) } }) as { reloads: number[] }[];
  assert.deepEqual(plain(runs[1]!.reloads), [0.2, 0.4, 0.6]);
  assert.deepEqual(plain(runs[2]!.reloads), [0.15], 'reloads requested before the load started are left out of the chart');
});

test('notes and names are HTML-escaped; </script> in data cannot close the script', () => {
  const evil = SAMPLE.map((r) => ({ ...r, note: '</script><b>x</b>' }));
  evil[0] = { ...evil[0]!, status: 'error' };
  const html = renderReport({ results: evil, notes: ['<i>n</i>'] }, PARAMS);
  assert.doesNotMatch(html, /<b>x<\/b>/);
  assert.doesNotMatch(html, /<i>n<\/i>/);
  assert.equal(html.match(/<\/script>/g)?.length, 2);
});
