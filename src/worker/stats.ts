// Requests to a frontend's `stats uri` are answered by the worker: ask the master for a snapshot
// (it aggregates every worker's counters), render HTML or CSV, guard with basic auth.
import type { StatsPage } from '../config/model.ts';
import type { StatsSnapshot } from '../ipc/messages.ts';
import { renderStatsHtml } from '../admin/stats-page.ts';
import { renderStatsCsv } from '../admin/stat-csv.ts';
import { errorBody } from './errors.ts';
import type { Http1Connection } from './http1/server.ts';
import type { RequestHead } from './http1/parse.ts';

export type SnapshotSource = (timeoutMs: number) => Promise<StatsSnapshot | undefined>;

export function authorized(page: StatsPage, header: string | undefined): boolean {
  if (page.auth.length === 0) return true;
  if (header === undefined || !/^basic /i.test(header)) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return page.auth.some((a) => a.user === user && a.password === password);
}

/** The request's Authorization header, if any. */
function authorization(head: RequestHead): string | undefined {
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) if ((h[i] as string).toLowerCase() === 'authorization') return h[i + 1];
  return undefined;
}

const NO_CACHE = ['cache-control', 'no-cache'];

export function serveStatsPage(page: StatsPage, snapshot: SnapshotSource, client: Http1Connection, head: RequestHead, done: (status: number) => void): void {
  if (!authorized(page, authorization(head))) {
    const realm = page.realm.replace(/"/g, '');
    client.respond(401, 'Unauthorized', ['www-authenticate', `Basic realm="${realm}"`, 'content-type', 'text/html', ...NO_CACHE], errorBody(401));
    done(401);
    return;
  }
  const csv = head.uri.slice(page.uri.length).startsWith(';csv');
  snapshot(1000).then(
    (snap) => {
      if (client.closedOrGone) return;
      if (snap === undefined) {
        client.respond(503, 'Service Unavailable', ['content-type', 'text/html', ...NO_CACHE], errorBody(503));
        done(503);
        return;
      }
      const body = csv
        ? renderStatsCsv(snap)
        : renderStatsHtml(snap, { uri: page.uri, pid: process.pid, ...(page.refresh !== undefined ? { refresh: Math.round(page.refresh / 1000) } : {}) });
      client.respond(200, 'OK', ['content-type', csv ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8', ...NO_CACHE], body);
      done(200);
    },
    () => client.abort(),
  );
}
