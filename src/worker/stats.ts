// Requests to a frontend's `stats uri` are answered by the worker: ask the master for a snapshot
// (it aggregates every worker's counters), render HTML or CSV, guard with basic auth.
import type http from 'node:http';
import type { StatsPage } from '../config/model.ts';
import type { StatsSnapshot } from '../ipc/messages.ts';
import { renderStatsHtml } from '../admin/stats-page.ts';
import { renderStatsCsv } from '../admin/stat-csv.ts';
import { errorBody } from './errors.ts';

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

export function serveStatsPage(page: StatsPage, snapshot: SnapshotSource, req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  if (!authorized(page, req.headers.authorization)) {
    const body = errorBody(401);
    res.writeHead(401, 'Unauthorized', {
      'www-authenticate': `Basic realm="${page.realm.replace(/"/g, '')}"`,
      'content-type': 'text/html',
      'cache-control': 'no-cache',
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
    return;
  }
  const url = req.url ?? page.uri;
  const csv = url.slice(page.uri.length).startsWith(';csv');
  snapshot(1000).then(
    (snap) => {
      if (res.destroyed) return;
      if (snap === undefined) {
        const body = errorBody(503);
        res.writeHead(503, { 'content-type': 'text/html', 'cache-control': 'no-cache', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
        return;
      }
      const body = csv
        ? renderStatsCsv(snap)
        : renderStatsHtml(snap, { uri: page.uri, pid: process.pid, ...(page.refresh !== undefined ? { refresh: Math.round(page.refresh / 1000) } : {}) });
      res.writeHead(200, {
        'content-type': csv ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
    },
    () => res.destroy(),
  );
}
