// Pure parts of DNS discovery: which server-template slot each SRV record fills, HAProxy's weight
// mapping, and how a resolver error maps to HAProxy's resolution statuses.

/** HAProxy's resolution statuses that have a `hold` each. */
export type DnsStatus = 'nx' | 'timeout' | 'refused' | 'other';

/** One SRV record, its target resolved. */
export interface SrvTarget {
  target: string;
  port: number;
  weight: number;
  ip: string;
}

/** What a slot holds: the record it was filled from and when that record was last seen. */
export interface Slot extends SrvTarget {
  seen: number;
}

/** HAProxy 2.6: DNS weights 0..65535 onto 0..256, 0 staying 0. */
export function srvWeight(dnsWeight: number): number {
  return Math.floor((dnsWeight + 255) / 256);
}

export function errorStatus(e: unknown): DnsStatus {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  if (code === 'ENOTFOUND') return 'nx';
  if (code === 'ETIMEOUT') return 'timeout';
  if (code === 'EREFUSED') return 'refused';
  return 'other';
}

/**
 * The slots after an answer: a slot whose record is still there keeps it (address, port and
 * weight updated); one whose record is gone for longer than `obsolete` ms is freed (undefined);
 * new records fill the free slots in order. Records beyond the slots are left out, as HAProxy.
 */
export function assignSlots(current: readonly { id: string; slot: Slot | undefined }[], records: readonly SrvTarget[], now: number, obsolete: number): Map<string, { slot: Slot | undefined }> {
  const out = new Map<string, { slot: Slot | undefined }>();
  const unused = [...records];
  // As HAProxy: new records go first to slots already free, then to those freed by this answer.
  const free: string[] = [];
  const freed: string[] = [];
  for (const c of current) {
    const i = c.slot === undefined ? -1 : unused.findIndex((r) => r.target === c.slot?.target && r.port === c.slot.port);
    if (i >= 0) {
      const [r] = unused.splice(i, 1);
      out.set(c.id, { slot: { ...(r as SrvTarget), seen: now } });
    } else if (c.slot !== undefined && now - c.slot.seen < obsolete) {
      out.set(c.id, { slot: c.slot });
    } else {
      (c.slot === undefined ? free : freed).push(c.id);
    }
  }
  for (const id of [...free, ...freed]) {
    const r = unused.shift();
    out.set(id, { slot: r === undefined ? undefined : { ...r, seen: now } });
  }
  return out;
}
