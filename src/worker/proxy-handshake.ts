// Whether an accepted connection must start with a PROXY header, how long it may take to come,
// and HAProxy's log line when it does not (`fe/luid: Received something which does not look …`).
import type { Socket } from 'node:net';
import type { Bind } from '../config/model.ts';
import { haproxyDate } from '../log/format.ts';
import { clientAddress } from './client-address.ts';
import type { BindRoute } from './protocol.ts';
import { PROXY_ERRORS, type ProxyError } from './proxy-header.ts';
import { evaluate } from './rules.ts';
import type { FrontendRuntime } from './runtime.ts';
import { TcpSampleContext } from './tcp-proxy.ts';

/** `accept-proxy` on the bind, or a `tcp-request connection expect-proxy layer4` rule that matches
 * the connection as the socket shows it. */
export function expectsProxyHeader(route: BindRoute, sock: Socket): boolean {
  if (route.bind.acceptProxy === true) return true;
  const rules = route.fe.frontend.expectProxy;
  if (rules === undefined) return false;
  const ctx = new TcpSampleContext(sock, route.runtime);
  return rules.some((r) => evaluate(r.cond, ctx));
}

/** HAProxy bounds the wait with the frontend's `timeout client`; without one, a minute. */
export function proxyHeaderTimeout(fe: FrontendRuntime): number {
  const t = fe.frontend.timeouts.client;
  return t > 0 ? t : 60_000;
}

/** Log a refused header as HAProxy does (not a closed or failed connection under `option
 * dontlognull`); whether a line was written. */
export function logProxyError(fe: FrontendRuntime, bind: Bind, sock: Socket, error: ProxyError, acceptedMs: number): boolean {
  const log = fe.log;
  if (log === undefined) return false;
  if (fe.frontend.dontLogNull && (error === 'empty' || error === 'abort')) return false;
  const { ip, port } = clientAddress(sock);
  const line = `${ip}:${port} [${haproxyDate(acceptedMs)}] ${fe.frontend.name}/${bind.luid ?? bind.unix?.id ?? 1}: ${PROXY_ERRORS[error]}`;
  for (const sink of log.sinks) sink(line);
  return true;
}
