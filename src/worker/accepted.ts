// An accepted connection's first steps, the same for every protocol: counted on its frontend, given
// to its socket's protocol layer, and logged if it closes having sent nothing.
import type net from 'node:net';
import type { ConnectionRegistry } from './connections.ts';
import { connectionRecord, writeLog } from './log-record.ts';
import type { ProtocolLayer } from './protocol.ts';
import type { FrontendRuntime } from './runtime.ts';
import { markUnixClient } from './client-address.ts';
import { expectsProxyHeader, logProxyError, proxyHeaderTimeout } from './proxy-handshake.ts';
import { readProxyHeader } from './proxy-accept.ts';
import { runConnectionRules } from './conn-rules.ts';

/** Hand `sock` to `layer`, the layer its socket has now; none (a socket no route set serves): close it. */
export function handToLayer(layer: ProtocolLayer | undefined, sock: net.Socket): void {
  if (layer === undefined) {
    sock.destroy();
    return;
  }
  const fe = layer.route.fe;
  // Half-open clients are an HTTP-level matter; under TLS the raw socket must close when the
  // peer does, or a client that hung up leaves it in CLOSE-WAIT (and a drain waiting on it).
  if (layer.shape === 'https') sock.allowHalfOpen = false;
  const unix = layer.route.bind.unix;
  if (unix !== undefined) markUnixClient(sock, unix.id);
  layer.connections.accepted(sock);
  sock.on('error', noop);
  fe.counters.values.stot++;
  fe.counters.values.conn_tot++;
  fe.counters.scur++;
  const state: AcceptedState = { fe, connections: layer.connections, logged: false, headerBytes: 0 };
  (sock as Accepted)[kAccepted] = state;
  sock.on('close', acceptedClosed);
  if (!expectsProxyHeader(layer.route, sock)) {
    admit(layer, sock);
    return;
  }
  const acceptedMs = Date.now();
  readProxyHeader(sock, proxyHeaderTimeout(fe), (outcome) => {
    if (outcome.ok) {
      state.headerBytes = outcome.length;
      return admit(layer, sock);
    }
    state.logged = logProxyError(fe, layer.route.bind, sock, outcome.error, acceptedMs);
    sock.destroy();
  });
}

/** What the close of an accepted socket needs, riding on it: one shared listener, no closure per connection. */
interface AcceptedState {
  fe: FrontendRuntime;
  connections: ConnectionRegistry;
  /** Its end was logged already (a PROXY header error). */
  logged: boolean;
  /** A PROXY header's bytes do not count: a client that sent only that sent nothing (HAProxy's CR--). */
  headerBytes: number;
}
const kAccepted = Symbol('handoff.accepted');
type Accepted = net.Socket & { [kAccepted]?: AcceptedState };

function acceptedClosed(this: Accepted): void {
  const st = this[kAccepted];
  if (st === undefined) return;
  this[kAccepted] = undefined;
  st.fe.counters.scur--;
  if (!st.logged && this.bytesRead === st.headerBytes && !st.fe.frontend.dontLogNull) logNullConnection(st.fe, st.connections, this);
}

/** `tcp-request connection` rules first, when the frontend has any: a rejected connection closes. */
function admit(layer: ProtocolLayer, sock: net.Socket): void {
  const rules = layer.route.fe.frontend.tcpConnection;
  if (rules === undefined) return layer.sink(sock);
  void runConnectionRules(rules, sock, layer.route.runtime, layer.route.fe.frontend.name).then((ok) => {
    if (ok && !sock.destroyed) layer.sink(sock);
    else sock.destroy();
  });
}

function noop(): void {}

/** A connection closed without sending a byte: HAProxy's `CR--` line (unless `option dontlognull`). */
function logNullConnection(fe: FrontendRuntime, connections: ConnectionRegistry, sock: net.Socket): void {
  if (fe.log === undefined || fe.frontend.mode === 'tcp') return;
  writeLog(fe, connectionRecord(fe, sock, connections.openCount, { termination: 'CR--' }));
}
