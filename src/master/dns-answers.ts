// What a DNS answer does to servers (dns-resolution.ts schedules the questions): a new address
// goes through `set server addr`'s path; a name that stops resolving, or an SRV record removed,
// puts the server in resolution maintenance; each change is logged with HAProxy's line.
import { BlockList, isIP } from 'node:net';
import type { Asker } from './dns-ask.ts';
import type { Backend, Resolvers, Server } from '../config/model.ts';
import type { DnsDeps } from './dns-resolution.ts';
import { errorStatus, srvWeight, assignSlots, type DnsStatus, type SrvTarget, type Slot } from './dns-slots.ts';

interface Requester {
  backend: Backend;
  /** One server (A/AAAA), or the slots of a server-template on an SRV record. */
  servers: Server[];
  resolvers: Resolvers;
  srv: boolean;
}

/** What the master keeps across answers and reloads. */
export interface DnsState {
  /** Servers in resolution maintenance (HAProxy's RMAINT). */
  rmaint: Set<string>;
  /** When a server's name (or an SRV record, by backend/record) last resolved. */
  lastValid: Map<string, number>;
  slots: Map<string, Slot>;
  /** SRV slots filled at least once (HAProxy keeps their HMAINT bit). */
  filled: Set<string>;
  /** Servers that have been in resolution maintenance: HAProxy leaves an unchecked one's check health at 0. */
  seen: Set<string>;
}

export type { Requester };

const CAUSES: Record<DnsStatus, string> = { nx: 'DNS NX status', timeout: 'DNS timeout status', refused: 'DNS refused status', other: 'unspecified DNS error' };

export function createAnswers(deps: DnsDeps, state: DnsState): { resolveOne(req: Requester, res: Asker): Promise<boolean>; resolveSrv(req: Requester, res: Asker): Promise<boolean> } {
  const { rmaint, lastValid, slots, filled } = state;
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
    state.seen.add(s.id);
    deps.changed(s.id);
    deps.pauseChecks(s.id, true);
    deps.log.warning(`Server ${be.name}/${s.name} is going DOWN for maintenance (${cause}). ${counts(be)} ${deps.sessions(s.id)} sessions active, 0 requeued, 0 remaining in queue.`);
    deps.broadcastServers();
  };
  // HAProxy's lines: the SRV case names the record's target; an A/AAAA one also says READY.
  const leaveMaint = (be: Backend, s: Server, fqdn: string, srv: boolean): void => {
    if (!rmaint.delete(s.id)) return;
    deps.changed(s.id);
    deps.pauseChecks(s.id, false);
    deps.log.warning(`Server ${be.name}/${s.name} ('${fqdn}') is UP/READY (resolves again).`);
    if (!srv) deps.log.warning(`Server ${be.name}/${s.name} administratively READY thanks to valid DNS answer.`);
    deps.broadcastServers();
  };
  const moveTo = (be: Backend, s: Server, by: string, ip: string, port?: number, weight?: number): void => {
    const r = deps.runtime.get(s.id);
    const current = r?.addr ?? s.host;
    // Unchanged answers send nothing to the workers.
    if (current === ip && (port === undefined || port === (r?.port ?? s.port)) && (weight === undefined || weight === (r?.weight ?? s.weight))) return;
    if (current !== ip) deps.log.warning(`${be.name}/${s.name} changed its IP from ${isIP(current) !== 0 ? current : '(none)'} to ${ip} by ${by}.`);
    deps.set(s.id, { addr: ip, ...(port !== undefined ? { port } : {}), ...(weight !== undefined ? { weight } : {}) });
  };

  const resolveOne = async (req: Requester, res: Asker): Promise<boolean> => {
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
    const ip = chooseAddress(deps, rmaint, req.backend, s, got);
    if (ip === undefined) {
      enterMaint(req.backend, s, 'No IP for server ');
      return true;
    }
    // HAProxy resolves a name once for the servers on it: the first says which nameserver answered, the others the cache.
    const first = req.backend.servers.find((o) => o.dns?.fqdn === s.dns?.fqdn && o.dns?.resolvers === s.dns?.resolvers);
    const by = first === undefined || first.id === s.id ? `${req.resolvers.name}/${req.resolvers.nameservers[0]?.name ?? 'resolv.conf'}` : 'DNS cache';
    moveTo(req.backend, s, by, ip);
    leaveMaint(req.backend, s, fqdn, false);
    return true;
  };

  const resolveSrv = async (req: Requester, res: Asker): Promise<boolean> => {
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
        if (typeof ips !== 'string') targets.push({ target: r.name, port: r.port, weight: first.dns?.ignoreWeight === true ? first.weight : srvWeight(r.weight), ip: ips[0] as string });
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

  return { resolveOne, resolveSrv };
}

/** The addresses of `name`, the preferred family first; a DNS status on failure. */
async function addresses(res: Asker, name: string, s: Server): Promise<string[] | DnsStatus> {
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
}

/** The current address if still answered, else the first not taken by a server on the same name (HAProxy's default, unless allow-dup-ip). */
function chooseAddress(deps: DnsDeps, rmaint: ReadonlySet<string>, be: Backend, s: Server, got: readonly string[]): string | undefined {
  const addrOf = (o: Server): string => deps.runtime.get(o.id)?.addr ?? o.host;
  const taken = new Set(s.dns?.allowDupIp === true ? [] : be.servers.filter((o) => o.id !== s.id && o.dns?.fqdn === s.dns?.fqdn && !rmaint.has(o.id)).map(addrOf));
  const current = addrOf(s);
  if (got.includes(current) && !taken.has(current)) return current;
  return got.find((ip) => !taken.has(ip));
}

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
