// Active health checks, run by the master so that their state survives reloads: a server that was
// down stays down in the new generation until `rise` checks pass, as in HAProxy.
import net from 'node:net';
import http from 'node:http';
import type { Backend, Config, Server } from '../config/model.ts';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface HealthEntry {
  id: string;
  up: boolean;
  lastCheck: string;
  successes: number;
  failures: number;
}

export interface HealthChecker {
  /** Start checks for the servers of `config`; keeps the state of servers it already knew. */
  apply(config: Config): void;
  /** Server id → up, for servers with `check` only. */
  states(): Map<string, HealthEntry>;
  /**
   * Passive health: a worker saw `error-limit` consecutive errors on server `id`; apply the
   * server's `on-error`. False when the server has no active check (observing then does nothing).
   */
  observedErrors(id: string, detail: string): boolean;
  stop(): void;
}

export function checkServer(server: Server, backend: Backend, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const http1 = backend.healthCheck.http;
    if (http1 !== undefined && backend.mode === 'http') {
      const req = http.request({ host: server.host, port: server.port, method: http1.method, path: http1.path, agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, detail: `L7 status ${code}` });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, detail: `L7 ${e.code ?? e.message}` }));
      req.end();
      return;
    }
    const sock = net.connect({ host: server.host, port: server.port });
    const timer = setTimeout(() => sock.destroy(new Error('timeout')), timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, detail: 'L4 OK' });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `L4 ${e.code ?? e.message}` });
    });
  });
}

interface Entry extends HealthEntry {
  /** The newest configuration of the server and its backend (a reload may change on-error & co). */
  server: Server;
  backend: Backend;
  key: string;
  timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (Date.now() ms). */
  dueAt: number;
  /** A check is in flight; `soonest` then bounds when the next one starts (on-error's fastinter). */
  running: boolean;
  soonest: number | undefined;
}

/** HAProxy's intervals: `inter` when fully up, `fastinter` while transitional, `downinter` when fully down. */
function interval(e: Entry): number {
  const s = e.server;
  if (e.up && e.failures === 0) return s.inter;
  if (!e.up && e.successes === 0) return s.downinter ?? s.inter;
  return s.fastinter ?? s.inter;
}

export function createHealthChecker(onChange: (id: string, entry: HealthEntry) => void): HealthChecker {
  const entries = new Map<string, Entry>();
  let stopped = false;

  const passed = (e: Entry, detail: string): void => {
    e.lastCheck = detail;
    e.successes++;
    e.failures = 0;
    if (!e.up && e.successes >= e.server.rise) {
      e.up = true;
      onChange(e.id, e);
    }
  };

  const failed = (e: Entry, detail: string): void => {
    e.lastCheck = detail;
    e.failures++;
    e.successes = 0;
    if (e.up && e.failures >= e.server.fall) {
      e.up = false;
      onChange(e.id, e);
    }
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
    e.running = true;
    const timeout = Math.min(e.server.inter, e.backend.timeouts.connect || e.server.inter);
    const r = await checkServer(e.server, e.backend, timeout);
    e.running = false;
    if (stopped || entries.get(e.id) !== e) return;
    if (r.ok) passed(e, r.detail);
    else failed(e, r.detail);
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
          const key = `${server.host}:${server.port}/${server.inter}/${server.rise}/${server.fall}/${JSON.stringify(backend.healthCheck)}`;
          seen.add(server.id);
          const old = entries.get(server.id);
          if (old !== undefined && old.key === key) {
            old.server = server;
            old.backend = backend;
            continue;
          }
          if (old?.timer !== undefined) clearTimeout(old.timer);
          // A server keeps its up/down state across reloads when its address is unchanged.
          const sameAddr = old !== undefined && old.key.split('/')[0] === key.split('/')[0];
          const entry: Entry = {
            id: server.id, up: sameAddr ? old.up : true, lastCheck: sameAddr ? old.lastCheck : 'pending', successes: 0, failures: 0,
            server, backend, key, timer: undefined, dueAt: 0, running: false, soonest: undefined,
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
      const why = `Health analyze: ${detail}`;
      // HAProxy's on-error: every mode also brings the next check forward to `fastinter`.
      switch (s.onError) {
        case 'fastinter':
          break;
        case 'fail-check':
          failed(e, why);
          break;
        case 'sudden-death':
          // A pre-fatal failed check: one more failure marks the server down.
          e.failures = Math.max(e.failures, s.fall - 2);
          failed(e, why);
          break;
        case 'mark-down':
          e.failures = Math.max(e.failures, s.fall - 1);
          failed(e, why);
          break;
      }
      if (s.fastinter !== undefined) {
        if (e.running) e.soonest = Math.min(e.soonest ?? s.fastinter, s.fastinter);
        else if (e.timer !== undefined && Date.now() + s.fastinter < e.dueAt) scheduleIn(e, s.fastinter);
      }
      return true;
    },
    stop() {
      stopped = true;
      for (const e of entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
    },
  };
}
