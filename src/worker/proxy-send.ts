// The PROXY header a server with `send-proxy` / `send-proxy-v2` receives first on each new
// connection: the client as the worker sees it (the one an incoming header named, if any) and the
// destination it connected to; with `proxy-v2-options authority`, its authority (incoming TLV, else SNI).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Server } from '../config/model.ts';
import { clientAddress, destinationAddress } from './client-address.ts';
import { receivedAuthority } from './proxy-accept.ts';
import { encodeProxyV1, encodeProxyV2, type ProxyAddresses } from './proxy-header.ts';

export function proxyHeaderFor(server: Server, client: Socket): Buffer | undefined {
  if (server.sendProxy === undefined) return undefined;
  const src = clientAddress(client);
  const dst = destinationAddress(client);
  const addresses: ProxyAddresses | undefined = dst === undefined ? undefined : { src, dst };
  if (server.sendProxy === 'v1') return encodeProxyV1(addresses);
  return encodeProxyV2(addresses, server.proxyV2Authority === true ? authorityOf(client) : undefined);
}

function authorityOf(client: Socket): string | undefined {
  const sni = (client as Partial<TLSSocket>).servername;
  return receivedAuthority(client) ?? (typeof sni === 'string' && sni !== '' ? sni : undefined);
}
