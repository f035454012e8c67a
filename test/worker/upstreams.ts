// Local upstream servers for worker tests: each answers with its own name, echoes headers on
// /headers, and can be told to be slow (/slow?ms=N) or to misbehave.
import http from 'node:http';
import net from 'node:net';

export interface Upstream {
  name: string;
  port: number;
  server: http.Server;
  requests: number;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<Upstream> {
  const u: Upstream = {
    name,
    port: 0,
    requests: 0,
    server: http.createServer((req, res) => {
      u.requests++;
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/headers') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name, headers: req.headers, rawHeaders: req.rawHeaders }));
        return;
      }
      if (url.pathname === '/slow') {
        setTimeout(() => res.end(`${name} slow`), Number(url.searchParams.get('ms') ?? 1000));
        return;
      }
      if (url.pathname === '/drip') {
        // The head and a first piece now, the rest after `ms`: a response in the middle of its body.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`${name} drip `);
        setTimeout(() => res.end('done'), Number(url.searchParams.get('ms') ?? 1000));
        return;
      }
      if (url.pathname === '/echo') {
        res.setHeader('x-upstream', name);
        req.pipe(res);
        return;
      }
      if (url.pathname === '/reset') {
        req.socket.destroy();
        return;
      }
      if (url.pathname === '/garbage') {
        req.socket.end('NOT HTTP AT ALL\r\n\r\n');
        return;
      }
      res.setHeader('x-upstream', name);
      res.end(name);
    }),
    close: () => new Promise((resolve) => {
      u.server.closeAllConnections();
      u.server.close(() => resolve());
    }),
  };
  await new Promise<void>((resolve) => u.server.listen(0, '127.0.0.1', resolve));
  u.port = (u.server.address() as net.AddressInfo).port;
  return u;
}

/** A port with nothing listening (bound then closed): connects are refused. */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One HTTP request over a given agent; resolves with status, headers and body. */
export function get(port: number, path: string, opts: { agent?: http.Agent | false; headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: opts.agent ?? false, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
