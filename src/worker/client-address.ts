// Who a client is, the one place it is decided. A TCP client is its address and port (IPv4-mapped
// prefix stripped). A unix-socket client has neither: HAProxy logs it as `unix` and the listener's
// id (`%ci:%cp` = `unix:1`), its `src`/`src_port` are not found, `option forwardfor` adds nothing,
// and `balance source` falls back to round robin — every consumer asks `isUnixClient`.
import type { Socket } from 'node:net';

/** `%ci` of a unix-socket client, as HAProxy logs it; never an IP address. */
export const UNIX_CLIENT = 'unix';

/** Accepted unix-socket connections → their listener's id. */
const unixClients = new WeakMap<Socket, number>();

/** Called at accept for a connection of a unix-socket bind. */
export function markUnixClient(sock: Socket, listenerId: number): void {
  unixClients.set(sock, listenerId);
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
  const id = unixListenerId(socket);
  if (id !== undefined) return { ip: UNIX_CLIENT, port: id };
  const ip = socket.remoteAddress ?? '-';
  return { ip: ip.startsWith('::ffff:') ? ip.slice(7) : ip, port: socket.remotePort ?? 0 };
}
