// When each server and backend last changed state, and how long it spent DOWN: `show stat`'s
// lastchg, downtime and (backends) chkdown for what the health checker does not track itself.
// A state is noticed when the rows are built, which is when someone reads them.
export interface Seen {
  changedAt: number;
  downs: number;
  downMsAt(now: number): number;
}

export interface StateHistory {
  /** `since`: when a state seen for the first time began (the master's start). */
  observe(id: string, status: string, now: number, since: number): Seen;
}

interface Entry {
  down: boolean;
  changedAt: number;
  downs: number;
  downMs: number;
}

export function createStateHistory(): StateHistory {
  const entries = new Map<string, Entry & { status: string }>();
  return {
    observe(id, status, now, since) {
      const down = status.startsWith('DOWN') || status === 'MAINT';
      let e = entries.get(id);
      if (e === undefined) entries.set(id, (e = { status, down, changedAt: since, downs: 0, downMs: 0 }));
      else if (e.status !== status) {
        if (e.down && !down) e.downMs += now - e.changedAt;
        if (!e.down && down) e.downs++;
        Object.assign(e, { status, down, changedAt: now });
      }
      const cur = e;
      return { changedAt: cur.changedAt, downs: cur.downs, downMsAt: (t) => cur.downMs + (cur.down ? t - cur.changedAt : 0) };
    },
  };
}
