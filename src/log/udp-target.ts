// One UDP syslog target: a connected datagram socket, so that an ICMP "port unreachable" comes
// back as ECONNREFUSED (an unconnected socket never hears of it). Sends never block and never
// throw; datagrams not yet handed to the kernel are bounded, beyond which lines are dropped.
// A failing target is reported once, and once again after a second without errors.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errorText } from './fd-writer.ts';

export interface UdpTarget {
  send(datagram: string): void;
  readonly dropped: number;
  close(): void;
}

export interface UdpTargetOptions {
  host: string;
  port: number;
  report(level: 'alert' | 'notice', message: string): void;
  onDrop?(lines: number): void;
  /** Datagrams waiting in libuv (socket buffer full) or for the socket to connect. */
  maxPending?: number;
  /** Errors must stop for this long before the target counts as working again. */
  quietMs?: number;
  /** Wait this long after a failed connect (unknown host…) before trying again. */
  reconnectMs?: number;
}

export function createUdpTarget(opts: UdpTargetOptions): UdpTarget {
  const name = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const maxPending = opts.maxPending ?? 1024;
  const quietMs = opts.quietMs ?? 1000;
  const reconnectMs = opts.reconnectMs ?? 1000;
  let socket: dgram.Socket | undefined;
  let state: 'idle' | 'connecting' | 'connected' = 'idle';
  let nextConnect = 0;
  const waiting: Buffer[] = [];
  let pending = 0;
  let dropped = 0;
  let droppedSinceReport = 0;
  let failingSince: number | undefined;
  let lastError = 0;
  let closed = false;

  const drop = (n: number): void => {
    dropped += n;
    droppedSinceReport += n;
    opts.onDrop?.(n);
  };

  const failed = (err: NodeJS.ErrnoException): void => {
    lastError = Date.now();
    if (failingSince !== undefined || closed) return;
    failingSince = lastError;
    opts.report('alert', `log target ${name}: cannot send (${errorText(err)}); dropping log lines until it works again`);
  };

  const sent = (): void => {
    if (failingSince === undefined || Date.now() - lastError < quietMs) return;
    failingSince = undefined;
    opts.report('notice', `log target ${name}: sending again (${droppedSinceReport} line(s) dropped meanwhile)`);
    droppedSinceReport = 0;
  };

  const transmit = (buf: Buffer): void => {
    pending++;
    try {
      (socket as dgram.Socket).send(buf, (err) => {
        pending--;
        if (err !== null && err !== undefined) {
          drop(1);
          failed(err);
        } else sent();
      });
    } catch (err) {
      pending--;
      drop(1);
      failed(err as NodeJS.ErrnoException);
    }
  };

  const connect = (): void => {
    state = 'connecting';
    const s = dgram.createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
    socket = s;
    // A refused datagram surfaces on the receive side too: the line it carried was lost.
    s.on('error', (err) => {
      if (s !== socket) return;
      drop(1);
      failed(err);
    });
    s.unref();
    s.connect(opts.port, opts.host, (err?: Error) => {
      if (s !== socket || closed) return;
      if (err !== undefined && err !== null) {
        drop(waiting.length);
        waiting.length = 0;
        failed(err as NodeJS.ErrnoException);
        state = 'idle';
        nextConnect = Date.now() + reconnectMs;
        socket = undefined;
        s.close();
        return;
      }
      state = 'connected';
      for (const buf of waiting.splice(0)) transmit(buf);
    });
  };

  return {
    send(datagram) {
      if (closed) return;
      if (state === 'connected') {
        if (pending >= maxPending) return drop(1);
        return transmit(Buffer.from(datagram));
      }
      if (state === 'idle') {
        if (Date.now() < nextConnect) return drop(1);
        connect();
      }
      if (waiting.length >= maxPending) return drop(1);
      waiting.push(Buffer.from(datagram));
    },
    get dropped() {
      return dropped;
    },
    close() {
      if (closed) return;
      closed = true;
      drop(waiting.length);
      waiting.length = 0;
      try {
        socket?.close();
      } catch {
        /* closed already */
      }
      socket = undefined;
    },
  };
}
