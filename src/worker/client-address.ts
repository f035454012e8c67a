// Who a client is, the one place it is decided. A TCP client is its address and port (IPv4-mapped
// prefix stripped). A unix-socket client has neither: HAProxy logs it as `unix` and the listener's
// id (`%ci:%cp` = `unix:1`), its `src`/`src_port` are not found, `option forwardfor` adds nothing,
// and `balance source` falls back to round robin — every consumer asks `isUnixClient`.
// A client that came through a PROXY protocol header (`accept-proxy`) is the one the header names,
// and so is the destination it connected to (`dst`, `dst_port`).
import type { Socket } from 'node:net';
import type { Endpoint, ProxyAddresses } from './proxy-header.ts';

/** `%ci` of a unix-socket client, as HAProxy logs it; never an IP address. */
export const UNIX_CLIENT = 'unix';

/** Accepted unix-socket connections → their listener's id. */
const unixClients = new WeakMap<Socket, number>();

/** Called at accept for a connection of a unix-socket bind. */
export function markUnixClient(sock: Socket, listenerId: number): void {
  unixClients.set(sock, listenerId);
}

/** Accepted connections whose PROXY header carried addresses → those addresses. */
const proxied = new WeakMap<Socket, ProxyAddresses>();

/** Called once a connection's PROXY header is read, when it carried addresses. */
export function markProxiedClient(sock: Socket, addresses: ProxyAddresses): void {
  proxied.set(sock, addresses);
}

/** The PROXY header's addresses of `socket` or of the accepted socket a TLSSocket wraps. */
export function proxiedAddresses(socket: Socket): ProxyAddresses | undefined {
  return proxied.get(socket) ?? proxied.get((socket as { _parent?: Socket })._parent as Socket);
}

/** The listener id of a unix-socket client: the socket's, or, for a TLSSocket made from an
 * accepted socket, its parent's (Node keeps that one as `_parent`). */
function unixListenerId(socket: Socket): number | undefined {
  return unixClients.get(socket) ?? unixClients.get((socket as { _parent?: Socket })._parent as Socket);
}

export function isUnixClient(clientIp: string): boolean {
  return clientIp === UNIX_CLIENT;
}

/** `%ci`/`%cp`: the peer's address and port; `unix` and the listener id for a unix-socket client. */
export function clientAddress(socket: Socket): { ip: string; port: number } {
  const via = proxiedAddresses(socket);
  if (via !== undefined) return plainEndpoint(via.src);
  const id = unixListenerId(socket);
  if (id !== undefined) return { ip: UNIX_CLIENT, port: id };
  const ip = socket.remoteAddress ?? '-';
  return { ip: ip.startsWith('::ffff:') ? ip.slice(7) : ip, port: socket.remotePort ?? 0 };
}

/** `dst`/`dst_port`: where the client connected to (the PROXY header's destination if any). */
export function destinationAddress(socket: Socket): Endpoint | undefined {
  const via = proxiedAddresses(socket);
  if (via !== undefined) return plainEndpoint(via.dst);
  const ip = socket.localAddress;
  if (ip === undefined) return undefined;
  return { ip: ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip, port: socket.localPort ?? 0 };
}

function plainEndpoint(e: Endpoint): Endpoint {
  return e.ip.startsWith('::ffff:') && e.ip.includes('.') ? { ip: e.ip.slice(7), port: e.port } : e;
}
