// The one place an access-log record is built: HAProxy's defaults for what a session never reached
// (`<NOSRV>`, -1 timers, no bytes) are written once here, and each data path states only what it knows.
import type { Socket } from 'node:net';
import type { LogRecord } from '../log/format.ts';
import type { BackendRuntime, FrontendRuntime, ServerRuntime } from './runtime.ts';
import { clientAddress } from './client-address.ts';

export { clientAddress };

/** Accept time per client socket, for %t / %Tt / %TR of the first request. */
export const acceptTimes = new WeakMap<Socket, number>();

/** Who a record is about: the client, where it came in, and how far it got (backend, server). */
export interface RecordOrigin {
  fe: FrontendRuntime;
  clientIp: string;
  clientPort: number;
  /** Epoch ms the connection was accepted. */
  acceptMs: number;
  /** Open client connections of the worker (%ac). */
  actconn: number;
  be?: BackendRuntime | undefined;
  srv?: ServerRuntime | undefined;
}

/** What a data path knows beyond the origin; anything left out takes HAProxy's "never happened" value. */
export type RecordFields = Partial<Omit<LogRecord, 'clientIp' | 'clientPort' | 'acceptMs' | 'frontend' | 'backend' | 'server' | 'actconn' | 'feconn' | 'beconn' | 'srvconn' | 'pid'>>;

/** A full record: the origin's names and counts, HAProxy's defaults, then `fields`. */
export function logRecord(o: RecordOrigin, fields: RecordFields): LogRecord {
  return {
    clientIp: o.clientIp,
    clientPort: o.clientPort,
    acceptMs: o.acceptMs,
    requestMs: o.acceptMs,
    frontend: o.fe.frontend.name,
    tls: false,
    backend: o.be?.backend.name ?? o.fe.frontend.name,
    server: o.srv?.name ?? '<NOSRV>',
    TR: -1,
    Tw: -1,
    Tc: -1,
    Tr: -1,
    Ta: -1,
    Tt: Date.now() - o.acceptMs,
    status: -1,
    bytesOut: 0,
    bytesIn: 0,
    termination: '----',
    actconn: o.actconn,
    feconn: o.fe.counters.scur,
    beconn: o.be?.counters.scur ?? 0,
    srvconn: o.srv?.counters.scur ?? 0,
    retries: 0,
    method: '',
    uri: '',
    httpVersion: '1.1',
    pid: process.pid,
    ...fields,
  };
}

/**
 * A connection that ended before any request reached a backend (closed silently, a TLS handshake
 * or a request head that failed): no server, no timers. `acceptMs` defaults to the socket's accept
 * time, else now.
 */
export function connectionRecord(fe: FrontendRuntime, sock: Socket, actconn: number, fields: RecordFields & { acceptMs?: number }): LogRecord {
  const { ip, port } = clientAddress(sock);
  const { acceptMs = acceptTimes.get(sock) ?? Date.now(), ...rest } = fields;
  return logRecord({ fe, clientIp: ip, clientPort: port, acceptMs, actconn }, rest);
}

/** Formats the record and hands the line to every sink of the frontend's log; a no-op without one. */
export function writeLog(fe: FrontendRuntime, record: LogRecord): void {
  const log = fe.log;
  if (log === undefined) return;
  const line = log.format(record);
  for (const sink of log.sinks) sink(line);
}
