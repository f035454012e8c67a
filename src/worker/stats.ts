// Requests to a frontend's `stats uri` are answered by the worker: ask the master for a snapshot
// (it aggregates every worker's counters), render HTML or CSV, guard with basic auth. A POST of
// the admin form (`stats admin if …` held for the request) goes to the master, and is answered
// with HAProxy's 303 to `;st=CODE`.
import fs from 'node:fs';
import os from 'node:os';
import type { StatsPage } from '../config/model.ts';
import type { StatsAdminCode, StatsSnapshot } from '../ipc/messages.ts';
import { pageRows, renderStatsHtml, type PageProcess, type PageRequest } from '../admin/stats-page.ts';
import { parsePageRequest, pageLink } from '../admin/stats-page-request.ts';
import { renderStatCsv } from '../admin/stat-csv.ts';
import { renderStatJson } from '../admin/stat-typed.ts';
import { errorBody } from './errors.ts';
import { parsePageForm, type PageActionSink } from './stats-admin.ts';
import type { Http1Connection } from './http1/server.ts';
import type { RequestHead } from './http1/parse.ts';

export type SnapshotSource = (timeoutMs: number) => Promise<StatsSnapshot | undefined>;

/** What the page needs of the master, and of the process it runs in. */
export interface StatsMaster {
  snapshot: SnapshotSource;
  act: PageActionSink;
  /** The global `maxconn` of the configuration serving. */
  maxconn(): number | undefined;
}

/** HAProxy reads at most a buffer of form; more is EXCD ("retry with less servers at a time"). */
const MAX_FORM_BYTES = 15 * 1024;

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

const CONTENT_TYPE = { csv: 'text/plain', json: 'application/json', html: 'text/html; charset=utf-8' } as const;

/** `admin`: a `stats admin` condition held for this request. */
export function serveStatsPage(page: StatsPage, master: StatsMaster, client: Http1Connection, head: RequestHead, admin: boolean, done: (status: number) => void): void {
  if (!authorized(page, authorization(head))) {
    const realm = page.realm.replace(/"/g, '');
    client.respond(401, 'Unauthorized', ['www-authenticate', `Basic realm="${realm}"`, 'content-type', 'text/html', ...NO_CACHE], errorBody(401));
    done(401);
    return;
  }
  const request = parsePageRequest(head.uri.slice(page.uri.length), page.refresh !== undefined);
  if (head.method === 'POST') {
    if (!admin) {
      client.stop();
      redirect(page, request, 'DENY', client, done);
    } else readForm(client, head, (body) => (body === undefined ? redirect(page, request, 'EXCD', client, done) : postForm(page, master, request, body, client, done)));
    return;
  }
  const rest = head.uri.slice(page.uri.length);
  const format = rest.startsWith(';csv') ? 'csv' : rest.startsWith(';json') ? 'json' : 'html';
  const csv = format !== 'html';
  master.snapshot(1000).then(
    (snap) => {
      if (client.closedOrGone) return;
      if (snap === undefined) return unavailable(client, done);
      const headers = ['content-type', CONTENT_TYPE[format], ...NO_CACHE];
      if (!csv && page.refresh !== undefined && !request.noRefresh) headers.push('refresh', String(Math.max(1, Math.round(page.refresh / 1000))));
      const view = { legends: page.showLegends === true };
      const rows = format === 'html' ? snap.rows : pageRows(snap.rows, page, request);
      const body = format === 'csv' ? renderStatCsv(rows, view) : format === 'json' ? renderStatJson(rows, view) : renderStatsHtml(snap, { page, request, admin, process: processInfo(snap, master) });
      client.respond(200, 'OK', headers, body);
      done(200);
    },
    () => client.abort(),
  );
}

function unavailable(client: Http1Connection, done: (status: number) => void): void {
  client.respond(503, 'Service Unavailable', ['content-type', 'text/html', ...NO_CACHE], errorBody(503));
  done(503);
}

/** HAProxy's answer to a POST: never the page itself (a reload would post again), a 303 to it. */
function redirect(page: StatsPage, request: PageRequest, code: StatsAdminCode, client: Http1Connection, done: (status: number) => void): void {
  client.respond(303, 'See Other', [...NO_CACHE, 'content-type', 'text/plain', 'location', pageLink(page.uri, request, { st: code })], '');
  done(303);
}

/** The request body as text, or undefined when it is longer than a form may be. */
function readForm(client: Http1Connection, head: RequestHead, then: (body: string | undefined) => void): void {
  if (!head.chunked && head.contentLength <= 0) return then('');
  if (head.contentLength > MAX_FORM_BYTES) {
    client.stop();
    return then(undefined);
  }
  const pieces: Buffer[] = [];
  let size = 0;
  client.start({
    data(piece) {
      size += piece.length;
      if (size <= MAX_FORM_BYTES) pieces.push(Buffer.from(piece));
    },
    end() {
      then(size > MAX_FORM_BYTES ? undefined : Buffer.concat(pieces).toString('latin1'));
    },
    abort() {
      client.abort();
    },
  });
}

function postForm(page: StatsPage, master: StatsMaster, request: PageRequest, body: string, client: Http1Connection, done: (status: number) => void): void {
  master.act(parsePageForm(body), 1000).then((code) => {
    if (client.closedOrGone) return;
    if (code === undefined) return unavailable(client, done);
    redirect(page, request, code, client, done);
  });
}

let ulimitN: number | undefined;

/** The soft limit of open files, as HAProxy's `ulimit-n` (Linux: /proc/self/limits), read once. */
function openFilesLimit(): number | undefined {
  if (ulimitN !== undefined) return ulimitN;
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft !== undefined && /^\d+$/.test(soft)) ulimitN = Number(soft);
  } catch {
    // Not Linux: the page leaves the limit out.
  }
  return ulimitN;
}

function processInfo(snap: StatsSnapshot, master: StatsMaster): PageProcess {
  const limit = openFilesLimit();
  const maxconn = master.maxconn();
  return {
    pid: process.pid,
    workers: snap.workers,
    uptimeMs: snap.uptimeMs,
    hostname: os.hostname(),
    ...(limit !== undefined ? { ulimitN: limit } : {}),
    ...(maxconn !== undefined ? { maxconn } : {}),
  };
}
