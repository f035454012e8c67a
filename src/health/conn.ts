// One health-check connection: what it received (bounded by tune.bufsize, as HAProxy's check
// buffer), whether the peer closed, and waits bounded by the check's deadline.
import net from 'node:net';
import type tls from 'node:tls';
import { tlsModule } from '../config/lazy-builtins.ts';
/** HAProxy's check info for a failed TLS handshake (a name mismatch has its own words). */
function checkTlsFailure(err: NodeJS.ErrnoException): string {
  return err.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'Server presented an SSL certificate different from the configured one' : 'SSL handshake failure';
}
import { getSystemErrorMessage } from 'node:util';

export type WaitResult = 'data' | 'eof' | 'timeout';

/** The check's deadline (epoch ms); the probe moves it after each connect under `timeout check`. */
export interface Deadline {
  at: number;
}

export interface CheckConn {
  /** What arrived since the last reset (HAProxy empties its input buffer at every send). */
  data(): Buffer;
  reset(): void;
  /** The peer closed, or the connection failed, or the buffer is full: no more data will count. */
  readonly ended: boolean;
  /** Why it failed, when it did (a system error's message). */
  readonly error: string | undefined;
  write(bytes: Buffer): void;
  /** The connection's own address and the server's (what a check's PROXY v1 header carries). */
  ends(): { src: { ip: string; port: number }; dst: { ip: string; port: number } } | undefined;
  /** Until new data, the end, or the deadline. */
  wait(): Promise<WaitResult>;
  close(): void;
}

/** HAProxy prints strerror(): `Connection refused`. */
export function systemError(err: NodeJS.ErrnoException): string {
  if (typeof err.errno === 'number') {
    const text = getSystemErrorMessage(err.errno);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return err.code ?? err.message;
}

/** `handshake`: TCP connected, the TLS handshake (or the server's certificate) failed. */
export type ConnectResult = { ok: true; conn: CheckConn } | { ok: false; timeout: boolean; info: string; handshake?: true };

/** A TLS check (`check-ssl`): the client settings, and the PROXY header to send in clear first. */
export interface CheckTls {
  options: tls.ConnectionOptions;
  header?: (ends: { src: { ip: string; port: number }; dst: { ip: string; port: number } } | undefined) => Buffer | undefined;
}

function endsOf(sock: net.Socket): { src: { ip: string; port: number }; dst: { ip: string; port: number } } | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = sock;
  if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return undefined;
  return { src: { ip: localAddress, port: localPort }, dst: { ip: remoteAddress, port: remotePort } };
}

/** The check's socket: plain, or TLS over it once connected (after the PROXY header, if any). */
function checkSocket(host: string, port: number, secure: CheckTls | undefined): net.Socket {
  const raw = net.connect({ host, port });
  raw.setNoDelay(true);
  if (secure === undefined) return raw;
  raw.once('connect', () => {
    const h = secure.header?.(endsOf(raw));
    if (h !== undefined) raw.write(h);
  });
  const t = tlsModule().connect({ ...secure.options, socket: raw });
  raw.on('error', (err) => t.destroy(err));
  return t;
}

export function openConn(host: string, port: number, deadline: Deadline, bufsize: number, secure?: CheckTls): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const sock = checkSocket(host, port, secure);
    let chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    let error: string | undefined;
    let wake: ((r: WaitResult) => void) | undefined;
    const notify = (r: WaitResult): void => {
      const w = wake;
      wake = undefined;
      w?.(r);
    };
    const conn: CheckConn = {
      data: () => (chunks.length === 1 ? (chunks[0] as Buffer) : (chunks = [Buffer.concat(chunks)])[0] as Buffer),
      reset() {
        chunks = [];
        size = 0;
      },
      get ended() {
        return ended || size >= bufsize;
      },
      get error() {
        return error;
      },
      write: (bytes) => void sock.write(bytes),
      ends: () => endsOf(sock),
      wait() {
        if (conn.ended) return Promise.resolve('eof');
        return new Promise((r) => {
          const timer = setTimeout(() => notify('timeout'), Math.max(0, deadline.at - Date.now()));
          wake = (res) => {
            clearTimeout(timer);
            r(res);
          };
        });
      },
      close: () => sock.destroy(),
    };
    const timer = setTimeout(() => sock.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), Math.max(0, deadline.at - Date.now()));
    let connected = false;
    sock.once(secure === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      connected = true;
      resolve({ ok: true, conn });
    });
    sock.on('data', (d: Buffer) => {
      if (size >= bufsize) return;
      const piece = d.subarray(0, bufsize - size);
      chunks.push(piece);
      size += piece.length;
      notify('data');
    });
    sock.on('end', () => {
      ended = true;
      notify('eof');
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (connected) {
        if (error === undefined && !ended) error = systemError(err);
        ended = true;
        notify('eof');
        return;
      }
      if (secure !== undefined && typeof err.errno !== 'number' && err.code !== 'ETIMEDOUT') {
        resolve({ ok: false, timeout: false, info: checkTlsFailure(err), handshake: true });
        return;
      }
      resolve({ ok: false, timeout: err.code === 'ETIMEDOUT', info: err.code === 'ETIMEDOUT' ? '' : systemError(err) });
    });
    sock.on('close', () => {
      ended = true;
      notify('eof');
    });
  });
}
