// The PROXY protocol header (HAProxy's doc/proxy-protocol.txt), versions 1 (text) and 2 (binary):
// parsed from the first bytes a client sent, and built for a server. Pure functions on buffers;
// reading the socket is proxy-accept.ts's job.
import net from 'node:net';

export interface Endpoint {
  ip: string;
  port: number;
}

/** The addresses a header carried: who the client is, and where it connected to. */
export interface ProxyAddresses {
  src: Endpoint;
  dst: Endpoint;
}

/** Why a header was refused; the messages are HAProxy's, as it logs them. */
export const PROXY_ERRORS = {
  empty: 'Connection closed while waiting for PROXY protocol header',
  abort: 'Connection error while waiting for PROXY protocol header',
  timeout: 'Timeout while waiting for PROXY protocol header',
  truncated: 'Truncated PROXY protocol header received',
  'not-header': 'Received something which does not look like a PROXY protocol header',
  'bad-header': 'Received an invalid PROXY protocol header',
  'bad-proto': 'Received an unhandled protocol in the PROXY protocol header',
} as const;

export type ProxyError = keyof typeof PROXY_ERRORS;

/** `more`: the bytes so far are a valid beginning; `done`: the header is `length` bytes long and
 * carries `addresses` (none for LOCAL, UNKNOWN or an address family other than TCP over IPv4/6). */
export type HeaderParse =
  | { kind: 'more' }
  | { kind: 'done'; length: number; addresses?: ProxyAddresses; authority?: string }
  | { kind: 'error'; error: ProxyError };

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** The longest v1 line, CRLF included (the spec's 107 bytes). */
export const V1_MAX = 107;
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED = 16;
/** The largest v2 header accepted: HAProxy's must fit its 16 kB buffer. */
export const V2_MAX = 16384;
const PP2_TYPE_AUTHORITY = 0x02;
const PP2_TYPE_CRC32C = 0x03;
const PP2_AUTHORITY_MAX = 255;

const MORE: HeaderParse = { kind: 'more' };
const fail = (error: ProxyError): HeaderParse => ({ kind: 'error', error });

/** Parse the header at the start of `buf` (everything the client sent so far). */
export function parseProxyHeader(buf: Buffer): HeaderParse {
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? MORE : parseV1(buf);
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_FIXED ? MORE : parseV2(buf);
  return fail('not-header');
}

/** Whether `buf` and `prefix` agree on their common length. */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(buf: Buffer): HeaderParse {
  const end = buf.subarray(0, V1_MAX).indexOf('\r\n');
  if (end === -1) return buf.length >= V1_MAX ? fail('bad-header') : MORE;
  const words = buf.subarray(V1_PREFIX.length, end).toString('latin1').split(' ');
  const length = end + 2;
  const proto = words[0];
  // The spec lets UNKNOWN be followed by addresses; HAProxy 2.6 takes only the bare line.
  if (proto === 'UNKNOWN' && words.length === 1) return { kind: 'done', length };
  if (proto !== 'TCP4' && proto !== 'TCP6') return fail('bad-proto');
  if (words.length !== 5) return fail('bad-header');
  const [, srcIp, dstIp, srcPort, dstPort] = words as [string, string, string, string, string];
  const isIp = proto === 'TCP4' ? net.isIPv4 : net.isIPv6;
  const sp = v1Port(srcPort);
  const dp = v1Port(dstPort);
  if (!isIp(srcIp) || !isIp(dstIp) || sp === undefined || dp === undefined) return fail('bad-header');
  return { kind: 'done', length, addresses: { src: { ip: srcIp, port: sp }, dst: { ip: dstIp, port: dp } } };
}

function v1Port(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function parseV2(buf: Buffer): HeaderParse {
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2) return fail('not-header');
  const length = V2_FIXED + buf.readUInt16BE(14);
  if (length > V2_MAX) return fail('bad-header');
  if (buf.length < length) return MORE;
  const cmd = verCmd & 0x0f;
  if (cmd === 0x00) return { kind: 'done', length }; // LOCAL: the connection's own addresses
  if (cmd !== 0x01) return fail('bad-header');
  const body = buf.subarray(V2_FIXED, length);
  const fam = buf[13] as number;
  const addrLen = fam === 0x11 ? 12 : fam === 0x21 ? 36 : 0;
  if (body.length < addrLen) return fail('bad-header');
  const tlvs = readTlvs(buf.subarray(0, length), V2_FIXED + addrLen);
  if (tlvs === undefined) return fail('bad-header');
  const done: HeaderParse = { kind: 'done', length, ...(tlvs.authority === undefined ? {} : { authority: tlvs.authority }) };
  // Other families (UNSPEC, AF_UNIX, datagrams): the connection's own addresses, as HAProxy.
  if (fam === 0x11) return { ...done, addresses: v2Addresses(body, 4) };
  if (fam === 0x21) return { ...done, addresses: v2Addresses(body, 16) };
  return done;
}

function v2Addresses(body: Buffer, size: 4 | 16): ProxyAddresses {
  const ip = (at: number): string => (size === 4 ? [...body.subarray(at, at + 4)].join('.') : ipv6Text(body.subarray(at, at + 16)));
  const ports = 2 * size;
  return { src: { ip: ip(0), port: body.readUInt16BE(ports) }, dst: { ip: ip(size), port: body.readUInt16BE(ports + 2) } };
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Canonical text (compressed zeros, mapped IPv4 as such), as the socket API prints it.
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** Walk the TLVs of `b` (the whole header) from `start`; undefined when one overruns the header or
 * a CRC32C TLV does not match. Only AUTHORITY is kept. */
function readTlvs(b: Buffer, start: number): { authority?: string } | undefined {
  const out: { authority?: string } = {};
  for (let i = start; i < b.length; ) {
    if (i + 3 > b.length) return undefined;
    const type = b[i] as number;
    const len = b.readUInt16BE(i + 1);
    const value = b.subarray(i + 3, i + 3 + len);
    if (value.length !== len) return undefined;
    if (type === PP2_TYPE_CRC32C && (len !== 4 || !crcMatches(b, i + 3))) return undefined;
    if (type === PP2_TYPE_AUTHORITY) {
      if (len > PP2_AUTHORITY_MAX) return undefined;
      out.authority = value.toString('latin1');
    }
    i += 3 + len;
  }
  return out;
}

/** The spec: CRC32c of the whole header with the checksum's own 4 bytes taken as zero. */
function crcMatches(header: Buffer, at: number): boolean {
  const given = header.readUInt32BE(at);
  const copy = Buffer.from(header);
  copy.writeUInt32BE(0, at);
  return crc32c(copy) === given;
}

let CRC_TABLE: Uint32Array | undefined;

function crc32c(b: Buffer): number {
  const table = (CRC_TABLE ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const byte of b) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Strip the IPv4-mapped prefix so both ends of a header are of one family when they can be. */
function plain(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** A version 1 header for `a`; `PROXY UNKNOWN` when the ends are not both IPv4 or both IPv6 (a unix client). */
export function encodeProxyV1(a: ProxyAddresses | undefined): Buffer {
  const pair = sameFamily(a);
  if (pair === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const { src, dst, family } = pair;
  return Buffer.from(`PROXY TCP${family} ${src.ip} ${dst.ip} ${src.port} ${dst.port}\r\n`, 'latin1');
}

function sameFamily(a: ProxyAddresses | undefined): { src: Endpoint; dst: Endpoint; family: 4 | 6 } | undefined {
  if (a === undefined) return undefined;
  let src = { ip: plain(a.src.ip), port: a.src.port };
  let dst = { ip: plain(a.dst.ip), port: a.dst.port };
  const s = net.isIP(src.ip);
  const d = net.isIP(dst.ip);
  if (s === 0 || d === 0) return undefined;
  if (s === d) return { src, dst, family: s as 4 | 6 };
  // Mixed: both as IPv6 (an IPv4 address mapped), as HAProxy does.
  if (s === 4) src = { ...src, ip: `::ffff:${src.ip}` };
  if (d === 4) dst = { ...dst, ip: `::ffff:${dst.ip}` };
  return { src, dst, family: 6 };
}

/** A version 2 header for `a` (PROXY over TCP; LOCAL when there is no IP pair, as HAProxy), with
 * an AUTHORITY TLV when `authority` is given. */
export function encodeProxyV2(a: ProxyAddresses | undefined, authority?: string): Buffer {
  const pair = sameFamily(a);
  const tlv = authority === undefined || authority === '' ? Buffer.alloc(0) : authorityTlv(authority);
  const size = pair === undefined ? 0 : pair.family === 4 ? 4 : 16;
  const addr = Buffer.alloc(size === 0 ? 0 : 2 * size + 4);
  if (pair !== undefined) {
    writeIp(addr, 0, pair.src.ip, size);
    writeIp(addr, size, pair.dst.ip, size);
    addr.writeUInt16BE(pair.src.port, 2 * size);
    addr.writeUInt16BE(pair.dst.port, 2 * size + 2);
  }
  const head = Buffer.alloc(V2_FIXED);
  V2_SIGNATURE.copy(head, 0);
  head[12] = size === 0 ? 0x20 : 0x21; // version 2, LOCAL or PROXY
  head[13] = size === 4 ? 0x11 : size === 16 ? 0x21 : 0x00;
  head.writeUInt16BE(addr.length + tlv.length, 14);
  return Buffer.concat([head, addr, tlv]);
}

function authorityTlv(authority: string): Buffer {
  const value = Buffer.from(authority, 'latin1').subarray(0, PP2_AUTHORITY_MAX);
  const t = Buffer.alloc(3);
  t[0] = PP2_TYPE_AUTHORITY;
  t.writeUInt16BE(value.length, 1);
  return Buffer.concat([t, value]);
}

function writeIp(out: Buffer, at: number, ip: string, size: number): void {
  if (size === 4) {
    ip.split('.').forEach((o, i) => (out[at + i] = Number(o)));
    return;
  }
  const sep = ip.indexOf('::');
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const toGroups = (ps: string[]): number[] => ps.flatMap((p) => (p.includes('.') ? ipv4Groups(p) : [parseInt(p, 16)]));
  const head = toGroups(parts(sep === -1 ? ip : ip.slice(0, sep)));
  const tail = sep === -1 ? [] : toGroups(parts(ip.slice(sep + 2)));
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  groups.forEach((g, i) => out.writeUInt16BE(g, at + 2 * i));
}

function ipv4Groups(v4: string): number[] {
  const o = v4.split('.').map(Number) as [number, number, number, number];
  return [(o[0] << 8) | o[1], (o[2] << 8) | o[3]];
}
