// DNS service discovery (`server … resolvers R`, `server-template … _svc._tcp.name`): the master
// resolves, because it outlives workers and reloads. An address found goes to the workers as a
// runtime setting (server-settings.ts: `server-update`, kept across reloads); a name that stops
// resolving puts its server in HAProxy's resolution maintenance (RMAINT) after `hold STATUS`.
import { BlockList, isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { Backend, Config, Diagnostic, Resolvers, Server } from '../config/model.ts';
import type { ServerStates } from '../ipc/messages.ts';
import type { RuntimeServerSetting, ServerReport } from '../admin/target.ts';
import type { Logger } from './log.ts';
import { errorStatus, srvWeight, assignSlots, type DnsStatus, type SrvTarget, type Slot } from './dns-slots.ts';

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
  stop(): void;
}

interface Requester {
  backend: Backend;
  /** One server (A/AAAA), or the slots of a server-template on an SRV record. */
  servers: Server[];
  resolvers: Resolvers;
  srv: boolean;
}

export function createDnsResolution(deps: DnsDeps): DnsResolution {
  const rmaint = new Set<string>();
  const lastValid = new Map<string, number>();
  const slots = new Map<string, Slot>();
  /** SRV slots filled at least once (HAProxy keeps their HMAINT bit). */
  const filled = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let epoch = 0;

  const resolverOf = (r: Resolvers): Resolver => {
    const res = new Resolver({ timeout: r.timeoutRetry, tries: r.resolveRetries });
    const own = r.nameservers.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`));
    res.setServers(r.parseResolvConf ? [...own, ...new Resolver().getServers()] : own);
    return res;
  };

  const counts = (be: Backend): string => {
    const st = deps.states();
    const up = (s: Server): boolean => st[s.id]?.admin !== 'maint' && st[s.id]?.up !== false && !rmaint.has(s.id) && !s.disabled;
    const act = be.servers.filter((s) => !s.backup && up(s)).length;
    const bck = be.servers.filter((s) => s.backup && up(s)).length;
    return `${act} active and ${bck} backup servers left.`;
  };
  const enterMaint = (be: Backend, s: Server, cause: string): void => {
    if (rmaint.has(s.id)) return;
    rmaint.add(s.id);
    deps.changed(s.id);
    deps.log.warning(`Server ${be.name}/${s.name} is going DOWN for maintenance (${cause}). ${counts(be)} ${deps.sessions(s.id)} sessions active, 0 requeued, 0 remaining in queue.`);
    deps.broadcastServers();
  };
  // HAProxy's lines: the SRV case names the record's target; an A/AAAA one also says READY.
  const leaveMaint = (be: Backend, s: Server, fqdn: string, srv: boolean): void => {
    if (!rmaint.delete(s.id)) return;
    deps.changed(s.id);
    deps.log.warning(`Server ${be.name}/${s.name} ('${fqdn}') is UP/READY (resolves again).`);
    if (!srv) deps.log.warning(`Server ${be.name}/${s.name} administratively READY thanks to valid DNS answer.`);
    deps.broadcastServers();
  };
  const moveTo = (be: Backend, s: Server, by: string, ip: string, port?: number, weight?: number): void => {
    const current = deps.runtime.get(s.id)?.addr ?? s.host;
    if (current !== ip) deps.log.warning(`${be.name}/${s.name} changed its IP from ${isIP(current) !== 0 ? current : '(none)'} to ${ip} by ${by}.`);
    deps.set(s.id, { addr: ip, ...(port !== undefined ? { port } : {}), ...(weight !== undefined ? { weight } : {}) });
  };

  /** The addresses of `name`, the preferred family first; a DNS status on failure. */
  const addresses = async (res: Resolver, name: string, s: Server): Promise<string[] | DnsStatus> => {
    const prefer = s.dns?.prefer ?? 'ipv6';
    const order = prefer === 'ipv4' ? [res.resolve4.bind(res), res.resolve6.bind(res)] : [res.resolve6.bind(res), res.resolve4.bind(res)];
    let status: DnsStatus = 'other';
    for (const q of order) {
      try {
        const found = await q(name);
        if (found.length > 0) return pickNet(found, s.dns?.nets);
      } catch (e) {
        status = errorStatus(e);
        if (status !== 'other') return status;
      }
    }
    return status;
  };

  const resolveOne = async (req: Requester, res: Resolver): Promise<boolean> => {
    const s = req.servers[0] as Server;
    const fqdn = s.dns?.fqdn ?? s.host;
    const got = await addresses(res, fqdn, s);
    const now = Date.now();
    if (typeof got === 'string') {
      const since = lastValid.get(s.id) ?? 0;
      if (now - since >= req.resolvers.hold[got]) enterMaint(req.backend, s, CAUSES[got]);
      return false;
    }
    lastValid.set(s.id, now);
    const current = deps.runtime.get(s.id)?.addr ?? s.host;
    moveTo(req.backend, s, `${req.resolvers.name}/${req.resolvers.nameservers[0]?.name ?? 'resolv.conf'}`, got.includes(current) ? current : (got[0] as string));
    leaveMaint(req.backend, s, fqdn, false);
    return true;
  };

  const resolveSrv = async (req: Requester, res: Resolver): Promise<boolean> => {
    const first = req.servers[0] as Server;
    const fqdn = first.dns?.fqdn ?? first.host;
    const key = `${req.backend.name}/${fqdn}`;
    const now = Date.now();
    let targets: SrvTarget[] | undefined;
    try {
      const records = await res.resolveSrv(fqdn);
      targets = [];
      for (const r of records) {
        const ips = await addresses(res, r.name, first);
        if (typeof ips !== 'string') targets.push({ target: r.name, port: r.port, weight: srvWeight(r.weight), ip: ips[0] as string });
      }
      lastValid.set(key, now);
    } catch (e) {
      const status = errorStatus(e);
      if (now - (lastValid.get(key) ?? 0) < req.resolvers.hold[status]) return false;
      targets = [];
    }
    const plan = assignSlots(req.servers.map((s) => ({ id: s.id, slot: slots.get(s.id) })), targets, now, req.resolvers.hold.obsolete);
    for (const s of req.servers) {
      const p = plan.get(s.id);
      if (p === undefined) continue;
      if (p.slot === undefined) {
        slots.delete(s.id);
        if (!rmaint.has(s.id)) deps.set(s.id, { addr: fqdn, port: 0 });
        enterMaint(req.backend, s, 'entry removed from SRV record');
      } else {
        slots.set(s.id, p.slot);
        filled.add(s.id);
        // HAProxy takes the target's address from the answer's additional records; handoff asks for it.
        moveTo(req.backend, s, 'DNS additional record', p.slot.ip, p.slot.port, p.slot.weight);
        leaveMaint(req.backend, s, p.slot.target, true);
      }
    }
    return targets.length > 0;
  };

  const schedule = (req: Requester, res: Resolver, mine: number, delay: number): void => {
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
      return initAddresses(config, deps.runtime, rmaint);
    },
    apply(config) {
      stop();
      const mine = epoch;
      const keep = new Set<string>();
      for (const req of requesters(config)) {
        for (const s of req.servers) keep.add(s.id);
        schedule(req, resolverOf(req.resolvers), mine, 0);
      }
      for (const id of [...rmaint]) if (!keep.has(id)) rmaint.delete(id);
      for (const id of [...slots.keys()]) if (!keep.has(id)) slots.delete(id);
      for (const id of [...filled]) if (!keep.has(id)) filled.delete(id);
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
        return { ...r, fqdn, ...hmaint, ...(d.srv === true ? { srvrecord: d.fqdn } : {}), ...(rmaint.has(r.id) ? { rmaint: true as const } : {}) };
      });
    },
    stop,
  };
}

const CAUSES: Record<DnsStatus, string> = { nx: 'DNS NX status', timeout: 'DNS timeout status', refused: 'DNS refused status', other: 'unspecified DNS error' };

/** `resolve-net`: the first address in a preferred network leads, else the answer's order. */
function pickNet(ips: string[], nets: readonly string[] | undefined): string[] {
  if (nets === undefined) return ips;
  const list = new BlockList();
  for (const n of nets) {
    const [net, bits] = n.split('/');
    const family = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net ?? '', Number(bits), family);
  }
  const inNet = ips.filter((ip) => list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4'));
  return [...inNet, ...ips.filter((ip) => !inNet.includes(ip))];
}

function requesters(config: Config): Requester[] {
  const out: Requester[] = [];
  for (const be of config.backends) {
    const groups = new Map<string, Server[]>();
    for (const s of be.servers) {
      const d = s.dns;
      const resolvers = d === undefined ? undefined : config.resolvers?.[d.resolvers];
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
