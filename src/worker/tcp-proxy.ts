// `mode tcp`: a byte pipe from the client to the chosen server, with connect timeout and retries
// (connection failures only: the retry decision is retry.ts's, shared with HTTP).
import net from 'node:net';
import type { FrontendRuntime, ServerRuntime, WorkerRuntime } from './runtime.ts';
import { clientAddress } from './http-proxy.ts';
import { decideRetry, usableActive, type RetryState } from './retry.ts';
import { observe } from './passive-health.ts';

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
    const state: RetryState = { retries: 0, staleRetried: false };
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
        observe(srv, 'l4-ok', 'L4 successful connection', runtime.reportServerErrors);
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
        observe(srv, 'l4-error', `L4 unsuccessful connection (${err.code ?? err.message})`, runtime.reportServerErrors);
        // Nothing of the client's bytes was sent (the client is paused until connected).
        const d = decideRetry(b, { kind: 'conn-failure', reused: false }, state, { replayable: true, serverUsable: srv.usable, usableActive: usableActive(be.servers) });
        if (!d.retry || client.destroyed) {
          client.destroy();
          return;
        }
        state.retries++;
        srv.counters.values.wretr++;
        be.counters.values.wretr++;
        let next: ServerRuntime | undefined = srv;
        if (d.target === 'other') {
          tried.add(srv);
          next = be.pick({ clientIp: ip, exclude: tried }) ?? be.pick({ clientIp: ip });
          if (next !== undefined && next !== srv) {
            srv.counters.values.wredis++;
            be.counters.values.wredis++;
          }
        }
        if (d.delayMs === 0) attempt(next);
        else setTimeout(() => attempt(next), d.delayMs);
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
