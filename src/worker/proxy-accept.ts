// Reading a PROXY protocol header off an accepted socket before its protocol sees a byte
// (`bind … accept-proxy`, `tcp-request connection expect-proxy layer4`). The wait is bounded in time
// and in size; bytes that followed the header in the same read are put back for the protocol.
// Nothing outlives the handshake: the addresses go to client-address.ts, keyed by the socket.
import type { Socket } from 'node:net';
import { markProxiedClient } from './client-address.ts';
import { parseProxyHeader, type ProxyError } from './proxy-header.ts';

/** The AUTHORITY TLV a client's v2 header carried, for `proxy-v2-options authority` towards servers. */
const authorities = new WeakMap<Socket, string>();

export function receivedAuthority(sock: Socket): string | undefined {
  return authorities.get(sock) ?? authorities.get((sock as { _parent?: Socket })._parent as Socket);
}

/** `length`: the header's bytes (what the protocol will not see of `bytesRead`). */
export type HeaderOutcome = { ok: true; length: number } | { ok: false; error: ProxyError };

/** Read the header of `sock`, then call `done` once (after which the socket's readers are its protocol's). */
export function readProxyHeader(sock: Socket, timeoutMs: number, done: (o: HeaderOutcome) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (o: HeaderOutcome, rest?: Buffer): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.removeListener('readable', onReadable);
    sock.removeListener('end', onEnd);
    sock.removeListener('error', onError);
    sock.removeListener('close', onError);
    if (rest !== undefined && rest.length > 0) sock.unshift(rest);
    // After the stream has settled from the `readable` listener's removal (a next-tick step), so
    // the protocol's own pause/resume is not undone by it.
    process.nextTick(done, o);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (!finished && (chunk = sock.read() as Buffer | null) !== null) {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const r = parseProxyHeader(seen);
      if (r.kind === 'error') return finish({ ok: false, error: r.error });
      if (r.kind === 'more') continue;
      if (r.addresses !== undefined) markProxiedClient(sock, r.addresses);
      if (r.authority !== undefined) authorities.set(sock, r.authority);
      finish({ ok: true, length: r.length }, seen.subarray(r.length));
    }
  };
  const onEnd = (): void => finish({ ok: false, error: seen.length === 0 ? 'empty' : 'truncated' });
  const onError = (): void => finish({ ok: false, error: 'abort' });
  // As HAProxy: a header begun but not finished in time is reported truncated.
  const timer = setTimeout(() => finish({ ok: false, error: seen.length === 0 ? 'timeout' : 'truncated' }), timeoutMs);
  sock.on('readable', onReadable);
  sock.once('end', onEnd);
  sock.once('error', onError);
  // Destroyed meanwhile (a drain's kill): the timer must not outlive the socket.
  sock.once('close', onError);
}
