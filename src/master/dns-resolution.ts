// DNS service discovery (`server … resolvers R`, `server-template … _svc._tcp.name`): the master
// resolves, because it outlives workers and reloads. An address found goes to the workers as a
// runtime setting (server-settings.ts: `server-update`, kept across reloads); a name that stops
// resolving puts its server in HAProxy's resolution maintenance (RMAINT) after `hold STATUS`.
import type { Config, Diagnostic, Resolvers, Server } from '../config/model.ts';
import type { ServerStates } from '../ipc/messages.ts';
import type { NameserverCounters, RuntimeServerSetting, ServerReport } from '../admin/target.ts';
import { createAsker, emptyCounters, nameserversOf, type Asker } from './dns-ask.ts';
import { implicitDefaultResolvers, resolversNamed } from '../config/keywords/resolvers.ts';
import type { Logger } from './log.ts';
import type { Slot } from './dns-slots.ts';
import { createAnswers, type Requester } from './dns-answers.ts';

export interface DnsDeps {
  config(): Config | undefined;
  runtime: ReadonlyMap<string, RuntimeServerSetting>;
  /** `set server`'s path: the setting reaches the workers and outlives reloads. */
  set(id: string, setting: RuntimeServerSetting): string | null;
  states(): ServerStates;
  /** The server's current sessions, for the maintenance line. */
  sessions(id: string): number;
  /** The server's admin state changed now (srv_time_since_last_change). */
  changed(id: string): void;
  /** Health checks pause while a server is in resolution maintenance (HAProxy's CHK_ST_PAUSED). */
  pauseChecks(id: string, paused: boolean): void;
  broadcastServers(): void;
  log: Logger;
}

export interface DnsResolution {
  /** `init-addr` for servers with no address kept from before (`last`); error messages. */
  initAddr(config: Config): Promise<Diagnostic[]>;
  /** The configuration serving now: resolve its servers from now on. */
  apply(config: Config): void;
  /** The servers in resolution maintenance (RMAINT) are in maintenance for the workers too. */
  withMaintenance(states: ServerStates): ServerStates;
  /** `show servers state`'s srv_fqdn and srvrecord. */
  annotate(reports: ServerReport[]): ServerReport[];
  /** `show resolvers`: the sections serving now and their nameservers' counts. */
  sections(): { name: string; nameservers: NameserverCounters[] }[];
  stop(): void;
}

export function createDnsResolution(deps: DnsDeps): DnsResolution {
  const rmaint = new Set<string>();
  const lastValid = new Map<string, number>();
  const slots = new Map<string, Slot>();
  /** SRV slots filled at least once (HAProxy keeps their HMAINT bit). */
  const filled = new Set<string>();
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  /** By `section/nameserver`: kept across reloads, as the master keeps counters. */
  const counters = new Map<string, NameserverCounters>();
  const countersOf = (section: string) => (ns: string): NameserverCounters => {
    const key = `${section}/${ns}`;
    const c = counters.get(key) ?? emptyCounters(ns);
    counters.set(key, c);
    return c;
  };
  let epoch = 0;

  const { resolveOne, resolveSrv } = createAnswers(deps, { rmaint, lastValid, slots, filled, seen });

  const schedule = (req: Requester, res: Asker, mine: number, delay: number): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (mine !== epoch) return;
      const run = req.srv ? resolveSrv(req, res) : resolveOne(req, res);
      void run.catch(() => false).then((valid) => {
        if (mine === epoch) schedule(req, res, mine, valid ? req.resolvers.hold.valid : req.resolvers.timeoutResolve);
      });
    }, delay);
    t.unref();
    timers.add(t);
  };

  const stop = (): void => {
    epoch++;
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };

  return {
    async initAddr(config) {
      const diags = await initAddresses(config, deps.runtime, rmaint);
      for (const id of rmaint) seen.add(id);
      return diags;
    },
    apply(config) {
      stop();
      const mine = epoch;
      const keep = new Set<string>();
      const askers = new Map<string, Asker>();
      for (const r of allSections(config)) askers.set(r.name, createAsker(r, countersOf(r.name)));
      for (const req of requesters(config)) {
        for (const s of req.servers) keep.add(s.id);
        const asker = askers.get(req.resolvers.name);
        if (asker !== undefined) schedule(req, asker, mine, 0);
      }
      for (const id of [...rmaint]) if (!keep.has(id)) rmaint.delete(id);
      for (const id of rmaint) deps.pauseChecks(id, true);
      for (const id of [...slots.keys()]) if (!keep.has(id)) slots.delete(id);
      for (const id of [...filled]) if (!keep.has(id)) filled.delete(id);
      for (const id of [...seen]) if (!keep.has(id)) seen.delete(id);
    },
    withMaintenance(states) {
      if (rmaint.size === 0) return states;
      const out = { ...states };
      for (const id of rmaint) out[id] = { ...(out[id] ?? { up: true, admin: 'ready' }), admin: 'maint', resolution: true };
      return out;
    },
    annotate(reports) {
      const config = deps.config();
      const byId = new Map<string, Server>();
      for (const b of config?.backends ?? []) for (const s of b.servers) byId.set(s.id, s);
      return reports.map((r) => {
        const d = byId.get(r.id)?.dns;
        if (d === undefined) return r;
        const fqdn = d.srv === true ? (slots.get(r.id)?.target ?? '-') : d.fqdn;
        // HAProxy 2.6 reports a slot filled from an SRV record with its HMAINT bit (0x40) set.
        const hmaint = d.srv === true && filled.has(r.id) ? { hmaint: true as const } : {};
        return { ...r, fqdn, ...hmaint, ...(d.srv === true ? { srvrecord: d.fqdn } : {}), ...(rmaint.has(r.id) ? { rmaint: true as const } : {}), ...(seen.has(r.id) ? { rmaintSeen: true as const } : {}) };
      });
    },
    sections() {
      const config = deps.config();
      return config === undefined ? [] : allSections(config).map((r) => ({ name: r.name, nameservers: nameserversOf(r).map((n) => ({ ...countersOf(r.name)(n.name) })) }));
    },
    stop,
  };
}

/** The declared sections, then HAProxy's implicit `default` when none has that name. */
function allSections(config: Config): Resolvers[] {
  const declared = Object.values(config.resolvers ?? {});
  return declared.some((r) => r.name === 'default') ? declared : [...declared, implicitDefaultResolvers()];
}

function requesters(config: Config): Requester[] {
  const out: Requester[] = [];
  for (const be of config.backends) {
    const groups = new Map<string, Server[]>();
    for (const s of be.servers) {
      const d = s.dns;
      const resolvers = d === undefined ? undefined : resolversNamed(config.resolvers, d.resolvers);
      if (d === undefined || resolvers === undefined) continue;
      if (d.srv !== true) {
        out.push({ backend: be, servers: [s], resolvers, srv: false });
        continue;
      }
      const key = `${d.resolvers}\0${d.fqdn}`;
      const g = groups.get(key);
      if (g === undefined) {
        const list = [s];
        groups.set(key, list);
        out.push({ backend: be, servers: list, resolvers, srv: true });
      } else g.push(s);
    }
  }
  return out;
}

/** HAProxy's `init-addr`, in order: `last` (an address kept from before), `libc`, `none`, an IP. */
async function initAddresses(config: Config, runtime: ReadonlyMap<string, RuntimeServerSetting>, rmaint: Set<string>): Promise<Diagnostic[]> {
  const { lookup } = await import('node:dns/promises');
  const errors: Diagnostic[] = [];
  for (const be of config.backends) {
    for (const s of be.servers) {
      const d = s.dns;
      if (d === undefined || runtime.get(s.id)?.addr !== undefined) continue;
      if (d.srv === true) {
        rmaint.add(s.id);
        continue;
      }
      let done = false;
      for (const m of d.initAddr) {
        if (m.kind === 'last') continue;
        if (m.kind === 'ip') s.host = m.ip;
        else if (m.kind === 'none') rmaint.add(s.id);
        else {
          const found = await lookup(d.fqdn, { family: d.prefer === 'ipv4' ? 4 : 6 }).catch(() => lookup(d.fqdn).catch(() => undefined));
          if (found === undefined) continue;
          s.host = found.address;
        }
        done = true;
        break;
      }
      if (!done) errors.push({ severity: 'error', file: s.loc.file, line: s.loc.line, message: `could not resolve address '${d.fqdn}' of server ${be.name}/${s.name}: add 'init-addr none' (start in maintenance until DNS answers) or 'init-addr last,libc,none'` });
    }
  }
  return errors;
}
