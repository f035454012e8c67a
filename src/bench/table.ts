// The seed's results table, one row per (keep-alive, scenario, proxy), plus its own figures as a
// reference.
import type { FailureKind } from '../load/types.ts';
import type { ScenarioResult } from './types.ts';

const FAILURE_LABEL: Record<FailureKind, string> = {
  connect_refused: 'refused',
  connect_timeout: 'connect timeout',
  connect_error: 'connect error',
  tls_handshake: 'tls',
  send: 'send',
  receive: 'receive',
  timeout: 'timeout',
  length: 'length',
  status: 'non-2xx',
};

export function testName(r: Pick<ScenarioResult, 'scenario' | 'intervalMs' | 'keepAlive'>): string {
  const every = `${+(r.intervalMs / 1000).toFixed(3)}`;
  const name = r.scenario === 'baseline' ? 'baseline'
    : r.scenario === 'restart' ? `restart ${every}`
    : r.scenario === 'rebind' ? `reload ${every} (legacy)`
    : `reload ${every} (socket)`;
  return r.keepAlive ? `${name} keep-alive` : name;
}

/** `10k/200`, `3000/50`. */
export function reqUsers(requests: number, users: number): string {
  const req = requests >= 1000 && requests % 1000 === 0 ? `${requests / 1000}k` : String(requests);
  return `${req}/${users}`;
}

/** `4332 (refused 4100, receive 232)`; `0`. */
export function failText(r: Pick<ScenarioResult, 'failed' | 'failures'>): string {
  const parts = Object.entries(r.failures)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${FAILURE_LABEL[k as FailureKind] ?? k} ${n}`);
  return parts.length === 0 ? String(r.failed) : `${r.failed} (${parts.join(', ')})`;
}

/** A note on one line for the table: whitespace collapsed, cut at `max` characters. */
export function oneLine(note: string, max = 160): string {
  const flat = note.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' | ').replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function ms(x: number): string {
  return `${Math.round(x)}ms`;
}

export const HEADERS = ['proxy', 'test', '#req/users', '#fail', 'mean', 'p95', 'p99', 'rps', 'reloads requested', 'reloads completed'] as const;

export function tableRows(results: ScenarioResult[]): string[][] {
  return results.map((r) => {
    const head = [r.proxy, testName(r), reqUsers(r.requests, r.concurrency)];
    if (r.status !== 'ok') return [...head, oneLine(r.status === 'unavailable' ? `not available: ${r.note ?? ''}` : `error: ${r.note ?? ''}`)];
    return [
      ...head,
      failText(r),
      ms(r.meanMs),
      ms(r.p95Ms),
      ms(r.p99Ms),
      r.rps.toFixed(0),
      r.scenario === 'baseline' ? '-' : String(r.reloadsRequested),
      r.scenario === 'baseline' ? '-' : r.reloadsCompleted === null ? '?' : String(r.reloadsCompleted),
    ];
  });
}

/** Fixed-width text table; a row that stops early (not available, error) runs its last cell on. */
export function formatTable(results: ScenarioResult[]): string {
  const rows = tableRows(results);
  const full = rows.filter((r) => r.length === HEADERS.length);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...full.map((r) => r[i]!.length)));
  const numeric = new Set([4, 5, 6, 7, 8, 9]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 && cells.length < HEADERS.length ? c : numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), ...rows.map(line)].join('\n') + '\n';
}

export const SEED_REFERENCE = `reference, the seed article (HAProxy 1.8, 10k requests / 200 users, ab on a separate VM):
  test                      #fail   resp avg   95% resp
  baseline                      0     513ms      560ms
  restart 0.2                4332     147ms      253ms
  reload 0.2 (legacy)          10     455ms      815ms
  reload 0.2 (socket)           0     567ms      852ms
`;
