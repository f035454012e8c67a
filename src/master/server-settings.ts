// The runtime API's server settings (`set server`, `set weight`, `disable health`, the server state
// file): kept in the master across reloads, merged with the health checks' verdicts into the
// states the workers apply, and written into every configuration loaded (address, port,
// maxconn, check port), so a server moved by `set server addr` stays moved after a reload.
import type { Config, Server } from '../config/model.ts';
import { proxyIds } from '../config/proxy-ids.ts';
import { isDynamicAlgorithm } from '../config/dynamic-server.ts';
import type { MasterToWorker, ServerStates, StatsSnapshot } from '../ipc/messages.ts';
import type { HealthChecker } from '../health/checker.ts';
import type { RuntimeServerSetting, ServerReport } from '../admin/target.ts';

export interface ServerSettingsDeps {
  config(): Config | undefined;
  runtime: Map<string, RuntimeServerSetting>;
  health: HealthChecker;
  broadcast(msg: MasterToWorker): void;
  broadcastServers(): void;
  states(): ServerStates;
  stats(): StatsSnapshot;
}

export interface ServerSettings {
  /** Apply `setting` to server `id`: an error message, or null when applied. */
  set(id: string, setting: RuntimeServerSetting): string | null;
  reports(): ServerReport[];
  /** Write the runtime addresses, ports, maxconn and check ports into a freshly loaded configuration. */
  overrides(config: Config): void;
  /** Settings read from a server state file replace the runtime's for those servers. */
  restore(restored: readonly { id: string; setting: RuntimeServerSetting; lastChange: number }[]): void;
  /** A server's operational or admin state changed now (`srv_time_since_last_change`). */
  changed(id: string): void;
  /** A generation serves now and its checks run: health forced before they ran goes to the checker. */
  activated(config: Config): void;
}

/** Health checks' verdicts under the runtime API's settings. */
export function mergeStates(health: HealthChecker, runtime: Map<string, RuntimeServerSetting>): ServerStates {
  const out: ServerStates = {};
  for (const [id, e] of health.states()) out[id] = { up: e.up, admin: 'ready', ...(e.nolb ? { nolb: true } : {}), ...(e.upSince !== undefined ? { upSince: e.upSince } : {}) };
  for (const [id, s] of runtime) {
    let base = out[id] ?? { up: true, admin: 'ready' };
    // HAProxy: with its checks disabled a server is considered UP, unless forced otherwise.
    if (s.checksDisabled === true) base = { up: true, admin: base.admin, ...(base.upSince !== undefined ? { upSince: base.upSince } : {}) };
    if (s.health !== undefined) base = { ...base, up: s.health !== 'down', ...(s.health === 'stopping' ? { nolb: true } : { nolb: false }) };
    if (base.nolb === false) delete base.nolb;
    out[id] = { ...base, ...(s.admin !== undefined ? { admin: s.admin } : {}), ...(s.weight !== undefined ? { weight: s.weight } : {}) };
  }
  return out;
}

/** The runtime's address, port, maxconn and check port on `s`: true when something changed. */
function overrideServer(s: Server, r: RuntimeServerSetting | undefined): boolean {
  if (r === undefined) return false;
  const before = `${s.host} ${s.port} ${s.maxconn} ${s.checkPort}`;
  if (r.addr !== undefined) s.host = r.addr;
  if (r.port !== undefined) s.port = r.port;
  if (r.maxconn !== undefined) {
    if (r.maxconn > 0) s.maxconn = r.maxconn;
    else delete s.maxconn;
  }
  if (r.checkPort !== undefined) s.checkPort = r.checkPort;
  return before !== `${s.host} ${s.port} ${s.maxconn} ${s.checkPort}`;
}

function findServer(config: Config | undefined, id: string): { backend: string; server: Server } | undefined {
  for (const b of config?.backends ?? []) for (const s of b.servers) if (s.id === id) return { backend: b.name, server: s };
  return undefined;
}

export function createServerSettings(deps: ServerSettingsDeps): ServerSettings {
  const lastChange = new Map<string, number>();
  const startedAt = Date.now();
  const changed = (id: string): void => void lastChange.set(id, Date.now());

  const set = (id: string, setting: RuntimeServerSetting): string | null => {
    const config = deps.config();
    const found = findServer(config, id);
    if (config === undefined || found === undefined) return `no such server '${id}' (expected BACKEND/SERVER)`;
    const { health, ...rest } = setting;
    const prev = deps.runtime.get(id) ?? {};
    const next: RuntimeServerSetting = { ...prev, ...rest };
    // A runtime entry decides the admin state: a server `disabled` in the configuration stays in maintenance.
    if (next.admin === undefined && found.server.disabled) next.admin = 'maint';
    if (setting.checksDisabled !== undefined) deps.health.setPaused(id, setting.checksDisabled);
    if (health !== undefined) {
      next.health = health;
      changed(id);
    }
    // A running check owns the verdict: forced there, later checks may change it (as HAProxy).
    // Also when `enable health` gives back the checks of a server forced while they were off.
    if (next.health !== undefined && next.checksDisabled !== true && deps.health.force(id, next.health)) delete next.health;
    if (setting.admin !== undefined && setting.admin !== (prev.admin ?? (found.server.disabled ? 'maint' : 'ready'))) changed(id);
    deps.runtime.set(id, next);
    if (overrideServer(found.server, next)) {
      deps.broadcast({ type: 'server-update', backend: found.backend, server: found.server });
      deps.health.apply(config);
    }
    deps.broadcastServers();
    return null;
  };

  return {
    set,
    reports: () => reports(deps, lastChange, startedAt),
    restore(restored) {
      for (const r of restored) {
        const { health: _old, ...kept } = deps.runtime.get(r.id) ?? {};
        deps.runtime.set(r.id, { ...kept, ...r.setting });
        lastChange.set(r.id, r.lastChange);
      }
    },
    overrides(config) {
      for (const b of config.backends) for (const s of b.servers) overrideServer(s, deps.runtime.get(s.id));
    },
    changed,
    activated(config) {
      for (const b of config.backends) {
        for (const s of b.servers) {
          const r = deps.runtime.get(s.id);
          if (r?.checksDisabled === true) deps.health.setPaused(s.id, true);
          if (r?.health !== undefined && r.checksDisabled !== true && deps.health.force(s.id, r.health)) {
            const { health: _forced, ...rest } = r;
            deps.runtime.set(s.id, rest);
          }
        }
      }
    },
  };
}

function usage(stats: StatsSnapshot): Map<string, { cur: number; max: number }> {
  const out = new Map<string, { cur: number; max: number }>();
  for (const r of stats.rows) if (r.kind === 'server') out.set(`${r.pxname}/${r.svname}`, { cur: r.values.scur ?? 0, max: r.values.smax ?? r.values.scur ?? 0 });
  return out;
}

function reports(deps: ServerSettingsDeps, lastChange: Map<string, number>, startedAt: number): ServerReport[] {
  const config = deps.config();
  if (config === undefined) return [];
  const states = deps.states();
  const checks = deps.health.states();
  const ids = proxyIds(config);
  const used = usage(deps.stats());
  return config.backends.flatMap((b) =>
    b.servers.map((s, i): ServerReport => {
      const e = checks.get(s.id);
      const r = deps.runtime.get(s.id);
      if (!lastChange.has(s.id)) lastChange.set(s.id, startedAt);
      const u = used.get(s.id);
      return {
        id: s.id,
        state: states[s.id] ?? { up: true, admin: s.disabled ? 'maint' : 'ready' },
        check: e?.lastCheck ?? (s.check ? 'pending' : 'no check'),
        backend: b.name,
        name: s.name,
        backendId: ids.get(b.name) ?? 0,
        serverId: i + 1,
        addr: s.host,
        port: s.port,
        initialWeight: s.weight,
        lastChange: lastChange.get(s.id) ?? startedAt,
        configMaint: s.disabled,
        rise: s.rise,
        fall: s.fall,
        ...(s.check
          ? { health: { present: e !== undefined, status: e?.status ?? 'INI', successes: e?.successes ?? 0, failures: e?.failures ?? 0, enabled: r?.checksDisabled !== true, ...(s.checkPort !== undefined ? { port: s.checkPort } : {}), ...(s.checkAddr !== undefined ? { addr: s.checkAddr } : {}) } }
          : {}),
        ...(r?.health !== undefined ? { forced: r.health } : {}),
        ...(s.maxconn !== undefined ? { maxconn: s.maxconn } : {}),
        ...(s.ssl === true ? { ssl: true as const } : {}),
        ...(isDynamicAlgorithm(b) ? {} : { staticLb: true as const }),
        ...(u !== undefined ? { used: u } : {}),
      };
    }),
  );
}
