// The Prometheus endpoint's renderer (`http-request use-service prometheus-exporter`): HAProxy
// 2.6's exporter families and labels from the stat rows, then what handoff adds (histograms, the
// reload story), written in the text exposition format by prom-client. A fresh registry per
// scrape: nothing here runs on the proxied requests' path.
import { Counter, Gauge, Histogram, Registry, type MetricType } from 'prom-client';
import type { MetricsExtra, StatsSnapshot } from '../ipc/messages.ts';
import type { AnyFamily, Family, HistogramFamily } from './prometheus-family.ts';
import { statFamilies } from './prometheus-stats.ts';
import { processFamilies } from './prometheus-process.ts';
import { latencyFamilies, reloadFamilies } from './prometheus-handoff.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4';

export type MetricsScope = 'global' | 'frontend' | 'backend' | 'server' | 'listener' | 'sticktable';
const ALL: readonly MetricsScope[] = ['global', 'frontend', 'backend', 'server', 'listener', 'sticktable'];

export interface MetricsQuery {
  scopes: ReadonlySet<MetricsScope>;
  noMaint: boolean;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * HAProxy's query string: `scope=NAME` (repeatable, in order; `scope=` clears, `scope=*` all;
 * none given: all) and `no-maint`. Undefined for what HAProxy answers 400 to (a `scope` without
 * value or unknown, a second `=`, bad %-encoding).
 */
export function parseMetricsQuery(uri: string): MetricsQuery | undefined {
  const q = uri.indexOf('?');
  const text = q === -1 ? '' : uri.slice(q + 1).split('#')[0] as string;
  let scopes: Set<MetricsScope> | undefined;
  let noMaint = false;
  for (const param of text.split('&')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const key = decode(eq === -1 ? param : param.slice(0, eq));
    const raw = eq === -1 ? undefined : param.slice(eq + 1);
    if (key === undefined || raw?.includes('=') === true) return undefined;
    const value = raw === undefined ? undefined : decode(raw);
    if (raw !== undefined && value === undefined) return undefined;
    if (key === 'no-maint') noMaint = true;
    if (key !== 'scope') continue;
    scopes ??= new Set();
    if (value === undefined) return undefined;
    if (value === '') scopes.clear();
    else if (value === '*') for (const s of ALL) scopes.add(s);
    else if ((ALL as readonly string[]).includes(value)) scopes.add(value as MetricsScope);
    else return undefined;
  }
  return { scopes: scopes ?? new Set(ALL), noMaint };
}

/** The families of a scrape, in HAProxy's order: process, frontends, backends, servers; handoff's after each. */
export function metricFamilies(snap: StatsSnapshot, extra: MetricsExtra, query: MetricsQuery): AnyFamily[] {
  const filter = { noMaint: query.noMaint, mode: (kind: string, px: string) => extra.modes[`${kind === 'frontend' ? 'fe' : 'be'}/${px}`] };
  const names = (kind: 'frontend' | 'backend'): string[] => snap.rows.filter((r) => r.kind === kind).map((r) => r.pxname);
  const out: AnyFamily[] = [];
  const has = (s: MetricsScope): boolean => query.scopes.has(s);
  if (has('global')) out.push(...processFamilies(snap, extra), ...reloadFamilies(extra, snap.generation));
  if (has('frontend')) out.push(...statFamilies(snap.rows, 'frontend', filter), ...latencyFamilies(extra, 'frontend', names('frontend')));
  if (has('backend')) out.push(...statFamilies(snap.rows, 'backend', filter), ...latencyFamilies(extra, 'backend', names('backend')));
  if (has('server')) out.push(...statFamilies(snap.rows, 'server', filter));
  return out;
}

/**
 * A histogram whose buckets were counted elsewhere (the workers): prom-client's Histogram only
 * counts observations it is given one by one, so this one answers `get()` with the totals; the
 * registry writes it like any other.
 */
class CountedHistogram extends Histogram<string> {
  readonly family: HistogramFamily;

  constructor(family: HistogramFamily, registry: Registry) {
    super({ name: family.name, help: family.help, labelNames: ['proxy'], buckets: family.boundsSeconds, registers: [registry] });
    this.family = family;
  }

  // The registry asks for getForPromString() where there is one, else get().
  async getForPromString(): ReturnType<Histogram<string>['get']> {
    return this.get();
  }

  override async get(): ReturnType<Histogram<string>['get']> {
    const f = this.family;
    const values = f.series.flatMap((s) => [
      ...s.cumulative.map((n, i) => ({ metricName: `${f.name}_bucket`, labels: { ...s.labels, le: i < f.boundsSeconds.length ? (f.boundsSeconds[i] as number) : '+Inf' }, value: n })),
      { metricName: `${f.name}_sum`, labels: s.labels, value: s.sum },
      { metricName: `${f.name}_count`, labels: s.labels, value: s.count },
    ]);
    // MetricType is a declared enum whose runtime values are these strings.
    return { name: f.name, help: f.help, type: 'histogram' as unknown as MetricType, aggregator: 'sum', collect: () => undefined, values };
  }
}

function register(f: AnyFamily, registry: Registry): void {
  if (f.type === 'histogram') {
    new CountedHistogram(f, registry);
    return;
  }
  const labelNames = Object.keys(f.samples[0]?.labels ?? {});
  const config = { name: f.name, help: f.help, labelNames, registers: [registry] };
  const metric = f.type === 'counter' ? new Counter(config) : new Gauge(config);
  for (const s of (f as Family).samples) {
    if (metric instanceof Counter) metric.inc(s.labels, s.value);
    else metric.set(s.labels, s.value);
  }
}

/** The exposition text of one scrape. */
export async function renderPrometheus(snap: StatsSnapshot, extra: MetricsExtra, query: MetricsQuery): Promise<string> {
  const registry = new Registry();
  for (const f of metricFamilies(snap, extra, query)) register(f, registry);
  return registry.metrics();
}
