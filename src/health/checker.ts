// Active health checks, run by the master so that their state survives reloads: a server that was
// down stays down in the new generation until `rise` checks pass, as in HAProxy. Each check runs
// the backend's ruleset (probe.ts); its verdict moves the server between UP, NOLB and DOWN.
import type { Backend, CheckStatus, Config, Server } from '../config/model.ts';
import { runCheck } from './probe.ts';
import { describeOutcome, resultOf, type CheckOutcome } from './status.ts';

export interface HealthEntry {
  id: string;
  up: boolean;
  /** HAProxy's NOLB (`http-check disable-on-404` answered 404, or an L7OKC status): up, no new traffic. */
  nolb: boolean;
  /** The last verdict in HAProxy's words (`Layer4 connection problem, info: "Connection refused"`). */
  lastCheck: string;
  /** The last check's status (check_status), `INI` before the first, `HANA` after passive health. */
  status: CheckStatus | 'INI' | 'HANA';
  /** check_code: the HTTP status or protocol code of the last check, when it had one. */
  code?: number;
  /** The last check's info (reason phrase, error text): `show stat` last_chk. */
  info?: string;
  /** check_duration (ms). */
  durationMs?: number;
  successes: number;
  failures: number;
  /** Epoch ms of the last DOWN → UP transition (`slowstart` ramps from it); absent: never went down. */
  upSince?: number;
  /** A check is in flight (`show stat` prefixes check_status with `*`). */
  running: boolean;
  /** `show stat` chkfail, chkdown: failed checks, UP → DOWN transitions. */
  chkfail: number;
  chkdown: number;
  /** Epoch ms of the last UP/DOWN change (lastchg), or when checks started. */
  changedAt: number;
  /** Time spent DOWN before the current state (downtime), ms; `downSince` while DOWN. */
  downMs: number;
  downSince?: number;
}

export interface HealthChecker {
  /** Start checks for the servers of `config`; keeps the state of servers it already knew. */
  apply(config: Config): void;
  /** Server id → state, for servers with `check` only. */
  states(): Map<string, HealthEntry>;
  /**
   * Passive health: a worker saw `error-limit` consecutive errors on server `id`; apply the
   * server's `on-error`. False when the server has no active check (observing then does nothing).
   */
  observedErrors(id: string, detail: string): boolean;
  /** `set server health` (and a server state file): force server `id` UP, NOLB or DOWN until the next verdicts say otherwise. */
  force(id: string, state: 'up' | 'stopping' | 'down'): boolean;
  /** `disable health` / `enable health`: a paused server's checks are not sent. */
  setPaused(id: string, paused: boolean): void;
  stop(): void;
}

interface Entry extends HealthEntry {
  /** The newest configuration of the server and its backend (a reload may change on-error & co). */
  server: Server;
  backend: Backend;
  bufsize: number;
  key: string;
  timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (Date.now() ms). */
  dueAt: number;
  /** A check is in flight; `soonest` then bounds when the next one starts (on-error's fastinter). */
  soonest: number | undefined;
}

/** HAProxy's intervals: `inter` when fully up, `fastinter` while transitional, `downinter` when fully down. */
function interval(e: Entry): number {
  const s = e.server;
  if (e.up && e.failures === 0) return s.inter;
  if (!e.up && e.successes === 0) return s.downinter ?? s.inter;
  return s.fastinter ?? s.inter;
}

/** What makes a check a different one: its target, its timing, its ruleset. */
function keyOf(server: Server, backend: Backend): string {
  const target = `${server.checkAddr ?? server.host}:${server.checkPort ?? server.port}`;
  return `${server.host}:${server.port}/${target}/${server.inter}/${server.rise}/${server.fall}/${JSON.stringify(backend.healthCheck)}`;
}

export function createHealthChecker(onChange: (id: string, entry: HealthEntry) => void): HealthChecker {
  const entries = new Map<string, Entry>();
  const paused = new Set<string>();
  let stopped = false;

  const changed = (e: Entry, up: boolean, nolb: boolean): void => {
    if (e.up !== up) {
      const now = Date.now();
      e.changedAt = now;
      if (e.up && e.downSince !== undefined) {
        e.downMs += now - e.downSince;
        delete e.downSince;
      } else if (!e.up) {
        e.chkdown++;
        e.downSince = now;
      }
    }
    if (e.up !== up || e.nolb !== nolb) onChange(e.id, e);
  };

  /** A pass (`nolb`: a conditional one) counts towards `rise`; an UP server goes to or leaves NOLB. */
  const passed = (e: Entry, nolb: boolean): void => {
    const [up, wasNolb] = [e.up, e.nolb];
    e.successes++;
    e.failures = 0;
    if (!e.up && e.successes >= e.server.rise) {
      e.up = true;
      e.upSince = Date.now();
    }
    if (e.up) e.nolb = nolb;
    changed(e, up, wasNolb);
  };

  const failed = (e: Entry): void => {
    const [up, wasNolb] = [e.up, e.nolb];
    e.chkfail++;
    e.failures++;
    e.successes = 0;
    if (e.up && e.failures >= e.server.fall) {
      e.up = false;
      e.nolb = false;
    }
    changed(e, up, wasNolb);
  };

  const record = (e: Entry, o: CheckOutcome): void => {
    e.lastCheck = describeOutcome(o);
    e.status = o.status;
    e.durationMs = o.durationMs;
    if (o.info !== undefined) e.info = o.info;
    else delete e.info;
    if (o.code !== undefined) e.code = o.code;
    else delete e.code;
    const result = resultOf(o.status);
    if (result === 'failed') failed(e);
    else passed(e, result === 'condpass');
  };

  const scheduleIn = (e: Entry, ms: number): void => {
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.dueAt = Date.now() + ms;
    e.timer = setTimeout(() => void run(e), ms);
    e.timer.unref();
  };

  const run = async (e: Entry): Promise<void> => {
    e.timer = undefined;
    if (stopped || entries.get(e.id) !== e) return;
    if (paused.has(e.id)) return scheduleIn(e, e.server.inter);
    e.running = true;
    const t = e.backend.timeouts;
    const started = Date.now();
    // A check that cannot even start (a bad name, no socket) is HAProxy's SOCKERR, never a crash of the master.
    const outcome = await runCheck(e.server, e.backend.healthCheck, {
      inter: e.server.inter,
      timeoutConnect: t.connect,
      ...(t.check !== undefined && t.check > 0 ? { timeoutCheck: t.check } : {}),
      bufsize: e.bufsize,
      notDown: e.up,
    }).catch((err: unknown): CheckOutcome => ({ status: 'SOCKERR', info: err instanceof Error ? err.message : String(err), durationMs: Date.now() - started }));
    e.running = false;
    if (stopped || entries.get(e.id) !== e) return;
    record(e, outcome);
    const next = interval(e);
    scheduleIn(e, e.soonest === undefined ? next : Math.min(next, e.soonest));
    e.soonest = undefined;
  };

  return {
    apply(config) {
      const seen = new Set<string>();
      for (const backend of config.backends) {
        for (const server of backend.servers) {
          if (!server.check || server.disabled) continue;
          const key = keyOf(server, backend);
          seen.add(server.id);
          const old = entries.get(server.id);
          if (old !== undefined && old.key === key) {
            old.server = server;
            old.backend = backend;
            old.bufsize = config.global.bufsize ?? 16384;
            continue;
          }
          if (old?.timer !== undefined) clearTimeout(old.timer);
          // A server keeps its state across reloads when its address is unchanged.
          const keep = old !== undefined && old.key.split('/')[0] === key.split('/')[0] ? old : undefined;
          const entry: Entry = {
            id: server.id, up: keep?.up ?? true, nolb: keep?.nolb ?? false, lastCheck: keep?.lastCheck ?? 'pending', status: keep?.status ?? 'INI',
            successes: 0, failures: 0, server, backend, bufsize: config.global.bufsize ?? 16384, key, timer: undefined, dueAt: 0, running: false, soonest: undefined,
            chkfail: keep?.chkfail ?? 0, chkdown: keep?.chkdown ?? 0, changedAt: keep?.changedAt ?? Date.now(), downMs: keep?.downMs ?? 0,
            ...(keep?.downSince !== undefined ? { downSince: keep.downSince } : {}),
          };
          entries.set(server.id, entry);
          scheduleIn(entry, 0);
        }
      }
      for (const [id, e] of entries) {
        if (!seen.has(id)) {
          if (e.timer !== undefined) clearTimeout(e.timer);
          entries.delete(id);
        }
      }
    },
    states: () => entries,
    observedErrors(id, detail) {
      const e = entries.get(id);
      if (e === undefined || stopped) return false;
      const s = e.server;
      if (s.onError !== 'fastinter') {
        e.lastCheck = `Health analyze: ${detail}`;
        e.status = 'HANA';
      }
      // HAProxy's on-error: every mode also brings the next check forward to `fastinter`.
      switch (s.onError) {
        case 'fastinter':
          break;
        case 'fail-check':
          failed(e);
          break;
        case 'sudden-death':
          // A pre-fatal failed check: one more failure marks the server down.
          e.failures = Math.max(e.failures, s.fall - 2);
          failed(e);
          break;
        case 'mark-down':
          e.failures = Math.max(e.failures, s.fall - 1);
          failed(e);
          break;
      }
      if (s.fastinter !== undefined) {
        if (e.running) e.soonest = Math.min(e.soonest ?? s.fastinter, s.fastinter);
        else if (e.timer !== undefined && Date.now() + s.fastinter < e.dueAt) scheduleIn(e, s.fastinter);
      }
      return true;
    },
    force(id, state) {
      const e = entries.get(id);
      if (e === undefined) return false;
      const [up, wasNolb] = [e.up, e.nolb];
      // As HAProxy's health counter: a forced UP is fully up, a forced DOWN fully down.
      e.up = state !== 'down';
      e.nolb = state === 'stopping';
      e.successes = e.up ? e.server.rise : 0;
      e.failures = e.up ? 0 : e.server.fall;
      if (e.up && !up) e.upSince = Date.now();
      changed(e, up, wasNolb);
      return true;
    },
    setPaused(id, pause) {
      if (pause) paused.add(id);
      else paused.delete(id);
    },
    stop() {
      stopped = true;
      for (const e of entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
    },
  };
}
