// The stat rows from a loaded configuration and fake health results: HAProxy's status words for
// transitions (`UP 2/3`, `DOWN 1/2`, `NOLB`, `DRAIN`, `MAINT`, `no check`), the check fields,
// a backend's act/bck/weight, and rows in declaration order with HAProxy's ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/model.ts';
import type { HealthEntry } from '../../src/health/checker.ts';
import type { ServerStates, StatsRow } from '../../src/ipc/messages.ts';
import { createStateHistory, statRows } from '../../src/master/stat-rows.ts';

async function config(): Promise<Config> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-stat-rows-'));
  const file = path.join(dir, 'h.cfg');
  fs.writeFileSync(
    file,
    `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
backend early
    server e1 127.0.0.1:9000
frontend web
    bind 127.0.0.1:8080
    maxconn 200
    default_backend app
backend app
    balance leastconn
    server up 127.0.0.1:9001 check rise 2 fall 3 weight 5
    server going-down 127.0.0.1:9002 check rise 2 fall 3
    server down 127.0.0.1:9003 check rise 2 fall 3
    server going-up 127.0.0.1:9004 check rise 2 fall 3
    server nolb 127.0.0.1:9005 check
    server drained 127.0.0.1:9006
    server maint 127.0.0.1:9007 disabled
    server spare 127.0.0.1:9008 backup
`,
  );
  const loaded = await loadConfig([file]);
  assert.ok(loaded.config, JSON.stringify(loaded.diagnostics));
  return loaded.config;
}

function health(id: string, o: Partial<HealthEntry>): HealthEntry {
  return { id, up: true, nolb: false, lastCheck: '', status: 'L4OK', successes: 0, failures: 0, running: false, chkfail: 0, chkdown: 0, changedAt: 0, downMs: 0, durationMs: 1, ...o };
}

test('server statuses and check fields in HAProxy’s words; a backend counts its usable servers; rows in declaration order', async () => {
  const c = await config();
  const entries = new Map<string, HealthEntry>([
    ['app/up', health('app/up', { successes: 5, changedAt: 1000 })],
    ['app/going-down', health('app/going-down', { failures: 1, chkfail: 1, running: true })],
    ['app/down', health('app/down', { up: false, status: 'L4CON', chkfail: 3, chkdown: 1, changedAt: 5000, downSince: 5000 })],
    ['app/going-up', health('app/going-up', { up: false, successes: 1, status: 'L7OK', code: 200, info: 'OK' })],
    ['app/nolb', health('app/nolb', { nolb: true, status: 'L7OKC' })],
  ]);
  const servers: ServerStates = { 'app/drained': { up: true, admin: 'drain' } };
  const rows = statRows(c, { values: () => ({}), servers, health: entries, history: createStateHistory(), now: 11_000, startedAt: 0 });
  const by = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
  const row = (k: string): StatsRow => by.get(k) as StatsRow;
  // Ids from src/config/proxy-ids.ts (from 1 without a global stats socket), as `show servers state`'s be_id.
  assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}:${r.iid}.${r.sid}`), [
    'early/e1:1.1', 'early/BACKEND:1.0', 'web/FRONTEND:2.0',
    'app/up:3.1', 'app/going-down:3.2', 'app/down:3.3', 'app/going-up:3.4', 'app/nolb:3.5', 'app/drained:3.6', 'app/maint:3.7', 'app/spare:3.8', 'app/BACKEND:3.0',
  ]);
  assert.deepEqual(rows.filter((r) => r.pxname === 'app').map((r) => r.status), ['UP', 'UP 2/3', 'DOWN', 'DOWN 1/2', 'NOLB', 'DRAIN', 'MAINT', 'no check', 'UP']);
  assert.equal(row('app/going-down').texts?.check_status, '* L4OK');
  assert.equal(row('app/going-down').values.check_health, 3);
  assert.equal(row('app/down').texts?.check_desc, 'Layer4 connection problem');
  assert.equal(row('app/down').values.downtime, 6);
  assert.equal(row('app/down').values.chkdown, 1);
  assert.equal(row('app/up').values.lastchg, 10);
  assert.equal(row('app/going-up').values.check_code, 200);
  assert.equal(row('app/going-up').texts?.last_chk, 'OK');
  assert.equal(row('app/drained').values.weight, 1, 'HAProxy 2.6 shows a drained server with its weight');
  assert.equal(row('app/spare').values.bck, 1);
  const be = row('app/BACKEND');
  assert.equal(be.values.act, 2, 'up and going-down serve');
  assert.equal(be.values.bck, 1);
  assert.equal(be.values.weight, 6);
  assert.equal(be.values.slim, 20, "fullconn: a tenth of web's maxconn");
  assert.equal(be.texts?.algo, 'leastconn');
  assert.equal(row('web/FRONTEND').values.slim, 200);
  assert.equal(row('app/up').values.lastsess, -1);
});
