// The request is the same for every iteration, so its bytes are built once.
import type { LoadOptions } from './types.ts';

export interface Target {
  secure: boolean;
  /** Host as written in the URL (no IPv6 brackets): used for DNS, SNI and reporting. */
  hostname: string;
  port: number;
  /** Path and query, as sent on the request line. */
  path: string;
  /** `Host` header value. */
  hostHeader: string;
}

/** Parses and checks the target URL; the message names what is wrong. */
export function parseTarget(url: string): Target | Error {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return new Error(`invalid URL '${url}' (expected http://host[:port]/path or https://…)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return new Error(`unsupported URL scheme '${u.protocol}' in '${url}' (use http:// or https://)`);
  }
  if (u.hostname === '') return new Error(`URL '${url}' has no host`);
  if (u.username !== '' || u.password !== '') return new Error(`credentials in the URL are not supported; pass -H 'Authorization: …'`);
  const secure = u.protocol === 'https:';
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    secure,
    hostname,
    port: u.port === '' ? (secure ? 443 : 80) : Number(u.port),
    path: (u.pathname === '' ? '/' : u.pathname) + u.search,
    hostHeader: u.host,
  };
}

/** Request bytes: HTTP/1.1, `Connection: close` unless keep-alive, user headers override defaults. */
export function buildRequest(opts: LoadOptions, target: Target): Buffer {
  const user = new Set(opts.headers.map(([name]) => name.toLowerCase()));
  let head = `${opts.method} ${target.path} HTTP/1.1\r\n`;
  if (!user.has('host')) head += `Host: ${target.hostHeader}\r\n`;
  if (!user.has('user-agent')) head += 'User-Agent: handoff-load/0.1\r\n';
  if (!user.has('accept')) head += 'Accept: */*\r\n';
  if (!user.has('connection')) head += `Connection: ${opts.keepAlive ? 'keep-alive' : 'close'}\r\n`;
  if (opts.body !== undefined) {
    if (!user.has('content-type')) head += `Content-Type: ${opts.contentType ?? 'text/plain'}\r\n`;
    if (!user.has('content-length')) head += `Content-Length: ${opts.body.byteLength}\r\n`;
  }
  for (const [name, value] of opts.headers) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return opts.body === undefined ? headBytes : Buffer.concat([headBytes, opts.body]);
}
