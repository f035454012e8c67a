// The stat table's rows, in HAProxy's order (each proxy in declaration order: FRONTEND, its
// servers, BACKEND; a `listen` gives both), with what the master knows beyond the workers'
// counters: ids, limits, weights, server and backend states, health-check results, rates.
import type { Backend, Config, Frontend, Server } from '../config/model.ts';
import type { ServerState, ServerStates, StatsRow } from '../ipc/messages.ts';
import type { HealthEntry } from '../health/checker.ts';
import { CHECK_DESCRIPTIONS } from '../health/status.ts';
import { counterFields, gaugeFields } from '../admin/stat-fields.ts';
import { createStateHistory, type StateHistory } from './state-history.ts';
import { proxyIds } from '../config/proxy-ids.ts';

export interface RowSources {
  values(obj: string): Record<string, number>;
  servers: ServerStates;
  health: ReadonlyMap<string, HealthEntry>;
  history: StateHistory;
  now: number;
  /** When the master started: a state first seen has held since then. */
  startedAt: number;
  /** A frontend's status: `OPEN`, `PAUSED` (`disable frontend`), `STOP` (`shutdown frontend`). */
  frontendStatus?: (name: string) => string;
}

export { createStateHistory };

/** Every row of the configuration serving now, each proxy under HAProxy's id (src/config/proxy-ids.ts). */
export function statRows(config: Config, src: RowSources): StatsRow[] {
  const rows: StatsRow[] = [];
  for (const [name, iid] of proxyIds(config)) {
    const fe = config.frontends.find((f) => f.name === name);
    const be = config.backends.find((b) => b.name === name);
    if (fe !== undefined) rows.push(frontendRow(fe, iid, config, src));
    if (be !== undefined) {
      const servers = be.servers.map((s, i) => serverRow(be, s, iid, i + 1, src));
      rows.push(...servers.map((s) => s.row), backendRow(be, servers, iid, config, src));
    }
  }
  return rows;
}

const defaults = (v: Record<string, number>, names: readonly string[]): void => {
  for (const n of names) v[n] ??= 0;
};

/** What the workers count for a kind starts at zero, as HAProxy's counters do. */
const COUNTED: Record<StatsRow['kind'], readonly string[]> = {
  frontend: [...counterFields('frontend'), ...gaugeFields('frontend')],
  backend: [...counterFields('backend'), ...gaugeFields('backend')].filter((n) => n !== 'lastsess'),
  server: [...counterFields('server'), ...gaugeFields('server')].filter((n) => n !== 'lastsess'),
};

function frontendRow(fe: Frontend, iid: number, config: Config, src: RowSources): StatsRow {
  const v = src.values(`fe/${fe.name}`);
  defaults(v, COUNTED.frontend);
  defaults(v, ['smax', 'rate', 'rate_max', 'req_rate', 'req_rate_max', 'conn_rate', 'conn_rate_max']);
  Object.assign(v, { pid: 1, iid, sid: 0, rate_lim: 0 });
  const slim = fe.maxconn ?? config.global.maxconn;
  if (slim !== undefined) v.slim = slim;
  const status = src.frontendStatus?.(fe.name) ?? 'OPEN';
  return { pxname: fe.name, svname: 'FRONTEND', kind: 'frontend', status, values: v, texts: { mode: fe.mode }, iid, sid: 0 };
}

const TIMES = ['qtime', 'ctime', 'rtime', 'ttime'] as const;

/** The values both servers and backends show. */
function commonBs(v: Record<string, number>, kind: 'backend' | 'server', iid: number, sid: number, now: number): void {
  defaults(v, COUNTED[kind]);
  defaults(v, ['qcur', 'qmax', 'scur', 'smax', 'rate', 'rate_max', 'lbtot']);
  for (const t of TIMES) {
    v[t] = Math.round(v[t] ?? 0);
    v[`${t}_max`] = Math.round(v[`${t}_max`] ?? 0);
  }
  v.lastsess = v.lastsess === undefined ? -1 : Math.floor((now - v.lastsess) / 1000);
  // Request and connection rates are the frontends' (HAProxy shows none for backends and servers).
  for (const r of ['req_rate', 'req_rate_max', 'conn_rate', 'conn_rate_max']) delete v[r];
  Object.assign(v, { pid: 1, iid, sid });
}

interface ServerView {
  row: StatsRow;
  server: Server;
  usable: boolean;
  weight: number;
}

function serverRow(be: Backend, s: Server, iid: number, sid: number, src: RowSources): ServerView {
  const st = src.servers[s.id];
  const health = s.check && !s.disabled ? src.health.get(s.id) : undefined;
  const v = src.values(`srv/${be.name}/${s.name}`);
  commonBs(v, 'server', iid, sid, src.now);
  const status = serverStatus(s, st, health);
  const uweight = st?.weight ?? s.weight;
  // HAProxy 2.6 shows a drained server's weight unchanged; only the backend's sum leaves it out.
  const weight = uweight;
  Object.assign(v, { weight, uweight, act: s.backup ? 0 : 1, bck: s.backup ? 1 : 0 });
  if (s.maxconn !== undefined) v.slim = s.maxconn;
  const texts: Record<string, string> = { mode: be.mode };
  if (s.portOffset === undefined) texts.addr = `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
  // HAProxy shows a server's persistence cookie value (when its backend has `cookie`).
  if (be.cookie !== undefined && s.cookie !== undefined) texts.cookie = s.cookie;
  const seen = src.history.observe(s.id, status, src.now, src.startedAt);
  if (health !== undefined) {
    checkValues(v, texts, s, health, src.now);
  } else {
    v.lastchg = Math.floor((src.now - seen.changedAt) / 1000);
  }
  // In the balancer's tree (HAProxy's srv_act/srv_bck): neither DOWN, MAINT, NOLB nor DRAIN.
  const usable = status.startsWith('UP') || status === 'no check';
  return { row: { pxname: be.name, svname: s.name, kind: 'server', status, values: v, texts, iid, sid }, server: s, usable, weight };
}

/** HAProxy's health level: rise..rise+fall-1 while UP, 0..rise-1 while DOWN. */
function level(s: Server, h: HealthEntry): number {
  return h.up ? s.rise + s.fall - 1 - h.failures : h.successes;
}

/** HAProxy's server status: MAINT first; DOWN (going up: `DOWN 1/2`); NOLB and DRAIN; UP (going down: `UP 2/3`). */
function serverStatus(s: Server, st: ServerState | undefined, h: HealthEntry | undefined): string {
  if (st?.resolution === true) return 'MAINT (resolution)';
  if (s.disabled || st?.admin === 'maint') return 'MAINT';
  const up = h !== undefined ? h.up : (st?.up ?? true);
  const health = h !== undefined ? level(s, h) : 0;
  const going = h !== undefined && health < s.rise + s.fall - 1;
  if (!up) return h !== undefined && health > 0 ? `DOWN ${health}/${s.rise}` : 'DOWN';
  const frac = `${health - s.rise + 1}/${s.fall}`;
  if (h !== undefined ? h.nolb : st?.nolb === true) return going ? `NOLB ${frac}` : 'NOLB';
  if (st?.admin === 'drain') return going ? `DRAIN ${frac}` : 'DRAIN';
  if (going) return `UP ${frac}`;
  return h === undefined ? 'no check' : 'UP';
}

const CHECK_DESC: Record<HealthEntry['status'], string> = { ...CHECK_DESCRIPTIONS, HANA: 'Health analyze' };

function checkValues(v: Record<string, number>, texts: Record<string, string>, s: Server, h: HealthEntry, now: number): void {
  texts.check_status = `${h.running ? '* ' : ''}${h.status}`;
  texts.check_desc = CHECK_DESC[h.status];
  if (h.info !== undefined && h.info !== '') texts.last_chk = h.info;
  if (h.code !== undefined) v.check_code = h.code;
  if (h.durationMs !== undefined) v.check_duration = h.durationMs;
  const down = h.downMs + (h.downSince !== undefined ? now - h.downSince : 0);
  Object.assign(v, {
    chkfail: h.chkfail,
    chkdown: h.chkdown,
    lastchg: Math.floor((now - h.changedAt) / 1000),
    downtime: Math.floor(down / 1000),
    check_rise: s.rise,
    check_fall: s.fall,
    check_health: level(s, h),
  });
}

function backendRow(be: Backend, servers: ServerView[], iid: number, config: Config, src: RowSources): StatsRow {
  const v = src.values(`be/${be.name}`);
  commonBs(v, 'backend', iid, 0, src.now);
  const active = servers.filter((s) => s.usable && !s.server.backup);
  const backup = servers.filter((s) => s.usable && s.server.backup);
  const serving = active.length > 0 ? active : backup;
  const up = serving.length > 0;
  const status = up ? 'UP' : 'DOWN';
  const seen = src.history.observe(`be/${be.name}`, status, src.now, src.startedAt);
  Object.assign(v, {
    act: active.length,
    bck: backup.length,
    weight: serving.reduce((n, s) => n + s.weight, 0),
    uweight: serving.reduce((n, s) => n + (s.row.values.uweight ?? 0), 0),
    chkdown: seen.downs,
    lastchg: Math.floor((src.now - seen.changedAt) / 1000),
    downtime: Math.floor(seen.downMsAt(src.now) / 1000),
  });
  const full = fullconn(be, config);
  if (full !== undefined) v.slim = full;
  return { pxname: be.name, svname: 'BACKEND', kind: 'backend', status, values: v, texts: { mode: be.mode, algo: be.balance, ...(be.cookie !== undefined ? { cookie: be.cookie.name } : {}) }, iid, sid: 0 };
}

/** HAProxy's default `fullconn`: a tenth of the maxconn of the frontends that route to the backend
 * (at least 1); unknown when no maxconn is set (handoff derives none from the system's limits). */
function fullconn(be: Backend, config: Config): number | undefined {
  let sum = 0;
  let known = config.global.maxconn !== undefined;
  for (const fe of config.frontends) {
    const routes = fe.defaultBackend === be.name || fe.useBackends.some((u) => u.backend === be.name) || (fe.name === be.name && fe.loc.line === be.loc.line);
    if (!routes) continue;
    const m = fe.maxconn ?? config.global.maxconn;
    if (m !== undefined) known = true;
    sum += m ?? 0;
  }
  return known ? Math.max(1, Math.ceil(sum / 10)) : undefined;
}
