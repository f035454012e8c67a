// What `req.ssl_hello_type` and `req.ssl_sni` read from the first bytes a client sent, without
// terminating TLS: the handshake type of the first TLS record, and the server_name of a complete
// ClientHello. `SHORT`: not enough bytes yet (the answer may come with more data).
export const SHORT = 'short';
export type HelloAnswer<T> = T | typeof SHORT | undefined;

/** The handshake type of the first record (1: ClientHello), once the whole handshake message is in. */
export function helloType(b: Buffer): HelloAnswer<number> {
  if (b.length === 0) return SHORT;
  const t = b[0] as number;
  if (!((t >= 0x14 && t <= 0x17) || t === 0xff)) return undefined;
  if (b.length < 9) return SHORT;
  if (((b[1] as number) << 16) + (b[2] as number) < 0x030000) return undefined;
  if (b.readUInt16BE(3) < 4) return undefined;
  const hsLen = ((b[6] as number) << 16) + b.readUInt16BE(7);
  if (b.length < 9 + hsLen) return SHORT;
  return b[5] as number;
}

/** The minimum a ClientHello with one extension takes after its 4-byte header. */
const HELLO_MIN = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2;

/** The host name of the SNI extension of a ClientHello that starts the stream. */
export function helloSni(b: Buffer): HelloAnswer<string> {
  if (b.length === 0) return SHORT;
  if (b[0] !== 0x16) return undefined;
  if (b.length < 3) return SHORT;
  if ((b[1] as number) < 3) return undefined;
  if (b.length < 5) return SHORT;
  if (b.readUInt16BE(3) < 1 + 3 + HELLO_MIN) return undefined;
  if (b.length < 6) return SHORT;
  if (b[5] !== 0x01) return undefined;
  if (b.length < 9) return SHORT;
  const hsLen = ((b[6] as number) << 16) + b.readUInt16BE(7);
  if (hsLen < HELLO_MIN) return undefined;
  if (b.length < 9 + hsLen) return SHORT;
  return sniOf(b.subarray(9, 9 + hsLen));
}

/** The ClientHello body: version, random, session id, ciphers, compression methods, extensions. */
function sniOf(h: Buffer): string | undefined {
  if ((h[0] as number) < 3 || (h[1] as number) < 1) return undefined;
  let p = 34;
  const sid = h[p] as number;
  if (sid > 32 || p + 1 + sid > h.length) return undefined;
  p += 1 + sid;
  if (p + 2 > h.length) return undefined;
  const ciphers = h.readUInt16BE(p);
  if (ciphers < 2 || p + 2 + ciphers > h.length) return undefined;
  p += 2 + ciphers;
  const methods = h[p];
  if (methods === undefined || methods < 1 || p + 1 + methods > h.length) return undefined;
  p += 1 + methods;
  if (p + 2 > h.length) return undefined;
  const extEnd = p + 2 + h.readUInt16BE(p);
  if (extEnd > h.length) return undefined;
  for (p += 2; p + 4 <= extEnd; ) {
    const type = h.readUInt16BE(p);
    const len = h.readUInt16BE(p + 2);
    if (p + 4 + len > extEnd) return undefined;
    if (type === 0) return serverName(h.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return undefined;
}

/** The server_name list's first entry, when it is a host name. */
function serverName(e: Buffer): string | undefined {
  if (e.length < 2) return undefined;
  const list = e.readUInt16BE(0);
  if (list < 4 || 2 + list > e.length || e[2] !== 0) return undefined;
  const len = e.readUInt16BE(3);
  if (5 + len > e.length) return undefined;
  return e.subarray(5, 5 + len).toString('latin1');
}
