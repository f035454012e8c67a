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

export function createHealthChecker(onChange: (id: string, entry: HealthEntry) => void): HealthChecker {
  const entries = new Map<string, HealthEntry & { timer: NodeJS.Timeout; key: string }>();
  let stopped = false;

  const schedule = (server: Server, backend: Backend, entry: HealthEntry & { timer: NodeJS.Timeout; key: string }) => {
    const run = async () => {
      if (stopped || entries.get(server.id) !== entry) return;
      const timeout = Math.min(server.inter, backend.timeouts.connect || server.inter);
      const r = await checkServer(server, backend, timeout);
      if (stopped || entries.get(server.id) !== entry) return;
      entry.lastCheck = r.detail;
      if (r.ok) {
        entry.successes++;
        entry.failures = 0;
        if (!entry.up && entry.successes >= server.rise) {
          entry.up = true;
          onChange(server.id, entry);
        }
      } else {
        entry.failures++;
        entry.successes = 0;
        if (entry.up && entry.failures >= server.fall) {
          entry.up = false;
          onChange(server.id, entry);
        }
      }
      entry.timer = setTimeout(run, server.inter);
      entry.timer.unref();
    };
    entry.timer = setTimeout(run, 0);
    entry.timer.unref();
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
          if (old !== undefined && old.key === key) continue;
          if (old !== undefined) clearTimeout(old.timer);
          // A server keeps its up/down state across reloads when its address is unchanged.
          const sameAddr = old !== undefined && old.key.split('/')[0] === key.split('/')[0];
          const entry = { id: server.id, up: sameAddr ? old.up : true, lastCheck: sameAddr ? old.lastCheck : 'pending', successes: 0, failures: 0, timer: setTimeout(() => {}, 0), key };
          entries.set(server.id, entry);
          schedule(server, backend, entry);
        }
      }
      for (const [id, e] of entries) {
        if (!seen.has(id)) {
          clearTimeout(e.timer);
          entries.delete(id);
        }
      }
    },
    states: () => entries,
    stop() {
      stopped = true;
      for (const e of entries.values()) clearTimeout(e.timer);
    },
  };
}
