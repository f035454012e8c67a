// `show info [desc|json|typed|float]*`: HAProxy 2.6's fields in its order with handoff's values
// (the master's, or a worker's under a master-CLI `@` prefix), then handoff's own fields.
import os from 'node:os';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { INFO_FIELDS, type InfoType } from './info-fields.ts';
import { RANK, type CommandContext } from './command.ts';
import type { AdminTarget } from './target.ts';
import type { StatsSnapshot } from '../ipc/messages.ts';
import { VERSION } from '../version.ts';

/** The date of this release line (HAProxy prints its source date). */
const RELEASE_DATE = '2026/12/02';

interface InfoValue {
  pos: number;
  name: string;
  tags: string;
  type: InfoType;
  desc: string;
  value: string | number;
}

function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** HAProxy's `show info` uptime: `0d 0h01m02s`. */
export function infoUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, ' ')}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

function frontendSum(stats: StatsSnapshot, field: string): number {
  return stats.rows.filter((r) => r.kind === 'frontend').reduce((n, r) => n + (r.values[field] ?? 0), 0);
}

/** HAProxy's values, by field name; a field absent here is left out, as HAProxy leaves out an empty one. */
function haproxyValues(target: AdminTarget, stats: StatsSnapshot, ctx: CommandContext, floats: boolean): Record<string, string | number> {
  const i = target.info();
  const w = ctx.worker;
  const uptimeMs = w !== undefined ? w.uptimeMs : Date.now() - i.startedAt;
  const limit = openFilesLimit();
  const maxconn = i.maxconn ?? 0;
  const curr = frontendSum(stats, 'scur');
  const stopping = target.procs().some((p) => p.role === 'master' && p.state === 'stopping');
  return {
    Name: 'handoff', Version: VERSION, Release_date: RELEASE_DATE, Nbthread: i.workers, Nbproc: 1,
    Process_num: w !== undefined ? w.index + 1 : 1, Pid: w?.pid ?? i.pid,
    Uptime: infoUptime(uptimeMs), Uptime_sec: floats ? (uptimeMs / 1000).toFixed(6) : Math.floor(uptimeMs / 1000),
    Memmax_MB: 0, PoolAlloc_MB: 0, PoolUsed_MB: 0, PoolFailed: 0, 'Ulimit-n': limit, Maxsock: limit,
    Maxconn: maxconn, Hard_maxconn: maxconn, CurrConns: curr, CumConns: frontendSum(stats, 'stot'), CumReq: frontendSum(stats, 'req_tot'),
    MaxSslConns: 0, CurrSslConns: 0, CumSslConns: 0, Maxpipes: 0, PipesUsed: 0, PipesFree: 0,
    ConnRate: frontendSum(stats, 'conn_rate'), ConnRateLimit: 0, MaxConnRate: frontendSum(stats, 'conn_rate_max'),
    SessRate: frontendSum(stats, 'rate'), SessRateLimit: 0, MaxSessRate: frontendSum(stats, 'rate_max'),
    SslRate: 0, SslRateLimit: 0, MaxSslRate: 0, SslFrontendKeyRate: 0, SslFrontendMaxKeyRate: 0, SslFrontendSessionReuse_pct: 0,
    SslBackendKeyRate: 0, SslBackendMaxKeyRate: 0, SslCacheLookups: 0, SslCacheMisses: 0, CompressBpsIn: 0, CompressBpsOut: 0, CompressBpsRateLim: 0,
    Tasks: 0, Run_queue: 0, Idle_pct: Math.round(100 * (1 - performance.eventLoopUtilization().utilization)), node: os.hostname(),
    Stopping: stopping ? 1 : 0, Jobs: curr + i.listeners.length, 'Unstoppable Jobs': 0, Listeners: i.listeners.length,
    ActivePeers: 0, ConnectedPeers: 0, DroppedLogs: stats.droppedLogs ?? 0, BusyPolling: 0, FailedResolutions: 0,
    TotalBytesOut: frontendSum(stats, 'bout'), TotalSplicdedBytesOut: 0, BytesOutRate: 0, DebugCommandsIssued: 0, CumRecvLogs: 0,
    'Build info': VERSION, Memmax_bytes: 0, PoolAlloc_bytes: 0, PoolUsed_bytes: 0, Start_time_sec: Math.floor((Date.now() - uptimeMs) / 1000), Tainted: '0',
  };
}

/** handoff's own fields, after HAProxy's (positions from 72). */
function handoffValues(target: AdminTarget, level: CommandContext['level']): [string, string | number, string][] {
  const i = target.info();
  return [
    ['Generation', i.generation, 'The configuration version serving now'],
    ['Reloads', i.reloads, 'Successful reloads since the master started'],
    ['ReloadsInPlace', i.reloadsInPlace, 'Of them, reloads applied in place (same worker processes)'],
    ['ReloadsFailed', i.reloadsFailed, 'Reloads that failed (the previous generation kept serving)'],
    ['ReloadsRequested', i.reloadsRequested, 'Reloads requested'],
    ['Workers', i.workers, 'Worker processes of the generation serving now'],
    ['DrainingGenerations', i.drainingGenerations, 'Previous generations still finishing their connections'],
    // A path is not a statistic: as HAProxy's `show env`, operator and admin only.
    ...(RANK[level] >= RANK.operator ? [['ConfigFile', i.configFile, 'The configuration files'] as [string, string, string]] : []),
    ...i.listeners.map((l): [string, string, string] => ['Listener', `${l.key} port ${l.port}`, 'A listening address and its port']),
  ];
}

export function infoFields(target: AdminTarget, stats: StatsSnapshot, ctx: CommandContext, floats: boolean): InfoValue[] {
  const values = haproxyValues(target, stats, ctx, floats);
  const out: InfoValue[] = [];
  for (const [pos, name, tags, type, desc] of INFO_FIELDS) {
    const value = values[name];
    if (value !== undefined) out.push({ pos, name, tags, type, desc, value });
  }
  handoffValues(target, ctx.level).forEach(([name, value, desc], k) => out.push({ pos: 72 + k, name, tags: 'SGP', type: typeof value === 'number' ? 'u32' : 'str', desc, value }));
  return out;
}

const ORIGIN: Record<string, string> = { P: 'Product', C: 'Config', K: 'Key', S: 'Status', M: 'Metric' };
const NATURE: Record<string, string> = { G: 'Gauge', L: 'Limit', M: 'Max', R: 'Rate', C: 'Counter', D: 'Duration', A: 'Age', T: 'Time', N: 'Name', O: 'Output', a: 'Avg' };
const SCOPE: Record<string, string> = { P: 'Process', S: 'Service', s: 'System' };

function jsonField(f: InfoValue, processNum: number): unknown {
  const [o = '', n = '', s = ''] = f.tags.split('');
  const value = f.type === 'str' ? String(f.value) : Number(f.value);
  return { field: { pos: f.pos, name: f.name }, processNum, tags: { origin: ORIGIN[o], nature: NATURE[n], scope: SCOPE[s] }, value: { type: f.type, value } };
}

/** The text of `show info` with its options (`desc`, `json`, `typed`, `float`, any order). */
export function renderInfo(fields: InfoValue[], opts: string[], processNum: number): string {
  if (opts.includes('json')) return `${JSON.stringify(fields.map((f) => jsonField(f, processNum)))}\n`;
  const desc = opts.includes('desc');
  const typed = opts.includes('typed');
  return fields
    .map((f) => (typed ? `${f.pos}.${f.name}.${processNum}:${f.tags}:${f.type}:${f.value}` : `${f.name}: ${f.value}`) + (desc ? `:"${f.desc}"` : '') + '\n')
    .join('');
}
