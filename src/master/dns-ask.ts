// Asking a resolvers section's nameservers as HAProxy does: each query goes to every nameserver
// at once and the first valid answer wins; each nameserver counts what it was sent and how it
// answered, for `show resolvers`.
import { Resolver } from 'node:dns/promises';
import type { Resolvers } from '../config/model.ts';
import type { NameserverCounters } from '../admin/target.ts';
import { errorStatus } from './dns-slots.ts';

/** What the answers need of a resolver. */
export type Asker = Pick<Resolver, 'resolve4' | 'resolve6' | 'resolveSrv'>;

export function emptyCounters(name: string): NameserverCounters {
  return { name, sent: 0, valid: 0, nx: 0, timeout: 0, refused: 0, other: 0 };
}

/** One Resolver per nameserver; `counters(name)` keeps the counts across reloads. */
export function createAsker(r: Resolvers, counters: (ns: string) => NameserverCounters): Asker {
  const each = nameserversOf(r).map((s) => ({ counters: counters(s.name), resolver: resolverOn([s.addr], r) }));
  const ask = async <T>(q: (res: Resolver) => Promise<T>): Promise<T> => {
    const tries = each.map(async (e) => {
      e.counters.sent++;
      try {
        const v = await q(e.resolver);
        e.counters.valid++;
        return v;
      } catch (err) {
        // A name without a record of the type asked (NOERROR, empty) is a valid answer.
        if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENODATA') e.counters.valid++;
        else e.counters[errorStatus(err)]++;
        throw err;
      }
    });
    try {
      return await Promise.any(tries);
    } catch (e) {
      // Every nameserver failed: the first one's error decides the status.
      throw e instanceof AggregateError ? e.errors[0] : e;
    }
  };
  return {
    resolve4: ((name: string) => ask((res) => res.resolve4(name))) as Asker['resolve4'],
    resolve6: ((name: string) => ask((res) => res.resolve6(name))) as Asker['resolve6'],
    resolveSrv: (name) => ask((res) => res.resolveSrv(name)),
  };
}

/** The section's nameservers; `parse-resolv-conf` adds the system's, each named by its address as HAProxy does. */
export function nameserversOf(r: Resolvers): { name: string; addr: string }[] {
  const own = r.nameservers.map((n) => ({ name: n.name, addr: n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}` }));
  if (!r.parseResolvConf) return own;
  const system = new Resolver().getServers().map((addr) => ({ name: addr.replace(/:53$/, '').replace(/^\[(.*)\]$/, '$1'), addr }));
  return [...own, ...system.filter((s) => !own.some((o) => o.addr === s.addr))];
}

function resolverOn(servers: string[], r: Resolvers): Resolver {
  const res = new Resolver({ timeout: r.timeoutRetry, tries: r.resolveRetries });
  res.setServers(servers);
  return res;
}
