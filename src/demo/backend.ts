// Demo backend servers (the seed's server.js): one process, several ports. Each answer dumps the
// request headers as JSON, then `endpoint`, a per-port `requestcount` and the `echo` query param.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackendOptions {
  host: string;
  /** Ports to listen on; 0 picks an ephemeral port. */
  ports: number[];
  /** Wait this long before answering. */
  delayMs?: number;
  /** Pad (or cut) every body to exactly this many bytes. */
  bodySize?: number;
  /** Fraction of requests (0..1) answered with 500, spread evenly: 0.25 fails every 4th request. */
  failRate?: number;
  /** Idle keep-alive timeout of client connections. */
  keepAliveTimeoutMs?: number;
  /** Called once per request with `served request: N on port P`. */
  log?: (line: string) => void;
}

export interface BackendEndpoint {
  host: string;
  port: number;
}

export interface RunningBackends {
  endpoints: BackendEndpoint[];
  close(): Promise<void>;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

/** Body of one answer; exported so tests and tools agree on the format. */
export function responseBody(headers: IncomingMessage['headers'], endpoint: string, count: number, echo: string | null, bodySize?: number): string {
  const text = `${JSON.stringify(headers)}\nendpoint: ${endpoint}\nrequestcount: ${count}\necho: ${echo ?? 'undefined'}\n`;
  if (bodySize === undefined) return text;
  const bytes = Buffer.from(text);
  if (bytes.length >= bodySize) return bytes.subarray(0, bodySize).toString('latin1');
  return text + '.'.repeat(bodySize - bytes.length - 1) + '\n';
}

function handler(opts: BackendOptions, port: () => number, host: string) {
  let count = 0;
  let failDebt = 0;
  const failRate = Math.min(1, Math.max(0, opts.failRate ?? 0));
  return (req: IncomingMessage, res: ServerResponse): void => {
    count += 1;
    const n = count;
    // Even spread instead of Math.random: a fail rate is reproducible run to run.
    failDebt += failRate;
    const fail = failDebt >= 1 - 1e-9;
    if (fail) failDebt -= 1;
    const url = new URL(req.url ?? '/', 'http://x');
    const body = Buffer.from(responseBody(req.headers, `${host}:${port()}`, n, url.searchParams.get('echo'), opts.bodySize), 'latin1');
    opts.log?.(`served request: ${n} on port ${port()}`);
    const send = (): void => {
      res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    };
    req.resume();
    if (opts.delayMs !== undefined && opts.delayMs > 0) setTimeout(send, opts.delayMs);
    else send();
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use'
        : err.code === 'EACCES' ? 'needs privileges (ports below 1024 need root)'
        : err.code === 'EADDRNOTAVAIL' ? `cannot be bound: ${host} is not an address of this machine`
        : `cannot be bound: ${err.message}`;
      reject(new BackendError(`port ${port} on ${host} ${why}`));
    };
    server.once('error', onError);
    server.listen({ host, port, backlog: 1024 }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startBackends(opts: BackendOptions): Promise<RunningBackends> {
  const servers: Server[] = [];
  const endpoints: BackendEndpoint[] = [];
  try {
    for (const wanted of opts.ports) {
      let actual = wanted;
      const server = createServer(handler(opts, () => actual, opts.host));
      server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5000;
      server.headersTimeout = Math.max(server.keepAliveTimeout + 1000, 10_000);
      servers.push(server);
      actual = await listen(server, opts.host, wanted);
      endpoints.push({ host: opts.host, port: actual });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => (s.listening ? closeServer(s) : undefined)));
    throw err;
  }
  return { endpoints, close: async () => void (await Promise.all(servers.map(closeServer))) };
}
