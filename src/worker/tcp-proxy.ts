// `mode tcp`: a byte pipe from the client to the chosen server, with connect timeout and retries.
import net from 'node:net';
import type { FrontendRuntime, ServerRuntime, WorkerRuntime } from './runtime.ts';
import { clientAddress } from './http-proxy.ts';

const RETRYABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'ECONNRESET']);

export function createTcpHandler(fe: FrontendRuntime, runtime: WorkerRuntime): (client: net.Socket) => void {
  const f = fe.frontend;
  return (client) => {
    const be = f.defaultBackend === undefined ? undefined : runtime.backends.get(f.defaultBackend);
    client.on('error', () => {});
    if (be === undefined) {
      client.destroy();
      return;
    }
    const { ip } = clientAddress(client);
    const clientTimeout = f.timeouts.tunnel ?? f.timeouts.client;
    if (clientTimeout > 0) client.setTimeout(clientTimeout, () => client.destroy());
    client.pause();
    let retries = 0;
    const tried = new Set<ServerRuntime>();
    const attempt = (srv: ServerRuntime | undefined): void => {
      if (srv === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const b = be.backend;
      srv.active++;
      srv.counters.scur++;
      let connected = false;
      const upstream = net.connect({ host: srv.server.host, port: srv.server.port });
      const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), b.timeouts.connect);
      upstream.once('connect', () => {
        clearTimeout(timer);
        connected = true;
        srv.counters.values.stot++;
        be.counters.values.stot++;
        const serverTimeout = b.timeouts.tunnel ?? b.timeouts.server;
        if (serverTimeout > 0) upstream.setTimeout(serverTimeout, () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (connected) return;
        srv.counters.values.econ++;
        be.counters.values.econ++;
        if (retries < b.retries && RETRYABLE.has(err.code ?? '') && !client.destroyed) {
          retries++;
          srv.counters.values.wretr++;
          let next: ServerRuntime | undefined = srv;
          if (b.redispatch) {
            tried.add(srv);
            next = be.pick({ clientIp: ip, exclude: tried }) ?? be.pick({ clientIp: ip });
          }
          attempt(next);
          return;
        }
        client.destroy();
      });
      upstream.once('close', () => {
        clearTimeout(timer);
        srv.active--;
        srv.counters.scur--;
        if (!connected) return;
        const up = upstream.bytesRead;
        const down = upstream.bytesWritten;
        srv.counters.values.bout += up;
        srv.counters.values.bin += down;
        be.counters.values.bout += up;
        be.counters.values.bin += down;
        fe.counters.values.bout += up;
        fe.counters.values.bin += down;
        client.destroySoon();
      });
      client.once('close', () => upstream.destroySoon());
    };
    attempt(be.pick({ clientIp: ip }));
  };
}
