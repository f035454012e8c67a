// Servers that speak just enough of a protocol for a health check: each records what it received
// and answers as the test tells it. They listen on 127.0.0.1 below the ephemeral range.
import net from 'node:net';

export interface FakeServer {
  port: number;
  /** Every connection's received bytes, in order. */
  received: Buffer[];
  connections(): number;
  close(): Promise<void>;
}

/** `onData(sock, all, n)`: the connection's bytes so far and its index; answer by writing to `sock`. */
export async function fakeServer(onData: (sock: net.Socket, all: Buffer, n: number) => void, onConnect?: (sock: net.Socket, n: number) => void): Promise<FakeServer> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    const n = received.length;
    received.push(Buffer.alloc(0));
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      received[n] = Buffer.concat([received[n] as Buffer, d]);
      onData(sock, received[n] as Buffer, n);
    });
    onConnect?.(sock, n);
  });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!ok) continue;
    return {
      port,
      received,
      connections: () => received.length,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
  }
  throw new Error('no free port below 32768');
}

/** An HTTP/1.x server answering each request head with `answer(n)` (a full response text), then closing. */
export function fakeHttp(answer: (n: number, request: string) => string): Promise<FakeServer> {
  return fakeServer((sock, all, n) => {
    const text = all.toString('latin1');
    if (!text.includes('\r\n\r\n')) return;
    sock.end(answer(n, text), 'latin1');
  });
}
