// The runtime-API sockets of a configuration: the limits each one gets, and the set of
// `stats socket`s of the configuration being served, opened at the start and kept, updated,
// opened or closed at every reload.
import type { GlobalConfig, StatsSocket } from '../config/model.ts';
import { DEFAULT_MAXCONN, DEFAULT_TIMEOUT_MS, openControlSocket, type ControlSocket, type SocketSettings } from './control-socket.ts';
import type { AdminTarget } from './target.ts';
import type { SocketDescription } from './command.ts';

/** Where the sockets report what they do (the master's log). */
export interface AdminLog {
  notice(msg: string): void;
  warning(msg: string): void;
  alert(msg: string): void;
}

/** The runtime-API limits of a socket: the `stats socket` line's, else the global `stats …`. */
export function socketSettings(global: GlobalConfig, s?: StatsSocket): SocketSettings {
  const maxconn = s?.maxconn ?? global.statsMaxconn ?? DEFAULT_MAXCONN;
  return {
    level: s?.level ?? 'admin',
    mode: s === undefined ? 0o600 : s.mode,
    ...(s?.uid !== undefined ? { uid: s.uid } : {}),
    ...(s?.gid !== undefined ? { gid: s.gid } : {}),
    maxconn,
    backlog: s?.backlog ?? maxconn,
    timeoutMs: global.statsTimeout ?? DEFAULT_TIMEOUT_MS,
  };
}

export interface StatsSockets {
  /** First start: every configured socket must open, or none is kept and the error is returned. */
  openAll(global: GlobalConfig): Promise<string | null>;
  /** After a reload: the configuration validated the new paths; one that still fails is reported and the others serve on. */
  apply(global: GlobalConfig): Promise<void>;
  publishAll(): void;
  closeAll(): void;
  /** Every socket open now, the master socket first (`show cli sockets`). */
  describe(): SocketDescription[];
}

/** The `stats socket`s other than the master socket; commands wait for `ready`. */
export function createStatsSockets(target: AdminTarget, log: AdminLog, masterSocketPath: string, ready: Promise<unknown>): StatsSockets {
  const open = new Map<string, ControlSocket>();
  let applying: Promise<void> = Promise.resolve();
  const describe = (): SocketDescription[] => [{ address: `unix@${masterSocketPath}`, level: 'admin' }, ...[...open.values()].map((s) => ({ address: s.address, level: s.settings().level }))];
  const wanted = (global: GlobalConfig) => global.statsSockets.filter((s) => s.path !== masterSocketPath);
  const closeAll = () => {
    for (const sock of open.values()) sock.close();
    open.clear();
  };
  const reconcile = async (global: GlobalConfig) => {
    const next = new Map(wanted(global).map((s) => [s.path, s]));
    for (const [p, s] of next) {
      const have = open.get(p);
      if (have !== undefined) {
        have.update(socketSettings(global, s));
        continue;
      }
      try {
        open.set(p, await openControlSocket(target, p, { ...socketSettings(global, s), ready, sockets: describe }));
        log.notice(`stats socket ${p} opened (level ${s.level})`);
      } catch (err) {
        log.alert(`${s.loc.file}:${s.loc.line}: stats socket: ${(err as Error).message}; not opened`);
      }
    }
    for (const [p, sock] of open) {
      if (next.has(p)) continue;
      sock.close();
      open.delete(p);
      log.notice(`stats socket ${p} closed (no longer configured)`);
    }
  };
  return {
    async openAll(global) {
      for (const s of global.statsSockets) if (s.path === masterSocketPath) log.warning(`${s.loc.file}:${s.loc.line}: stats socket ${s.path} is the master socket (-S); declaration ignored`);
      for (const s of wanted(global)) {
        try {
          open.set(s.path, await openControlSocket(target, s.path, { ...socketSettings(global, s), ready, deferPublish: true, sockets: describe }));
        } catch (err) {
          closeAll();
          return `${s.loc.file}:${s.loc.line}: stats socket: ${(err as Error).message}`;
        }
      }
      return null;
    },
    apply(global) {
      applying = applying.then(() => reconcile(global));
      return applying;
    },
    publishAll() {
      for (const sock of open.values()) sock.publish();
    },
    closeAll,
    describe,
  };
}
