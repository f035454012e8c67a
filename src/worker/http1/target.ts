// The request target's four forms (RFC 9112 §3.2) and the authority syntax that the Host header
// shares with absolute-form and CONNECT targets (RFC 3986 §3.2).
import { COLON, IP_LITERAL, REG_NAME, equalsFold } from './chars.ts';
import { BAD_HOST, BAD_PORT, BAD_TARGET, CONNECT_TARGET, STAR_TARGET, USERINFO } from './failures.ts';

const SLASH = 0x2f;
const AT = 0x40;
const QUESTION = 0x3f;

/** The parts of a request head that the target decides (RequestHead has them). */
export interface TargetParts {
  readonly method: string;
  readonly target: string;
  uri: string;
  path: string;
}

function originPath(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}

/** `http://` → 7, `https://` → 8 (any case), else -1. */
function schemeLength(t: string): number {
  if (t.length >= 7 && equalsFold(t.slice(0, 7), 'http://')) return 7;
  if (t.length >= 8 && equalsFold(t.slice(0, 8), 'https://')) return 8;
  return -1;
}

/** Sets `uri` and `path` from the target; returns the authority of an absolute-form target ('' for
 * the other forms) or a failure code. The target's bytes were checked already (visible ASCII, no
 * `#`). Path fetches see no path for `*` and authority-form, as in HAProxy. */
export function resolveTarget(head: TargetParts): string | number {
  const { method, target } = head;
  if (target.charCodeAt(0) === SLASH) {
    head.uri = target;
    head.path = originPath(target);
    return method === 'CONNECT' ? CONNECT_TARGET : '';
  }
  head.uri = target;
  head.path = '';
  if (method === 'CONNECT') {
    const bad = checkAuthority(target, true);
    return bad < 0 ? bad : '';
  }
  if (target === '*') return method === 'OPTIONS' ? '' : STAR_TARGET;
  return resolveAbsolute(head);
}

function resolveAbsolute(head: TargetParts): string | number {
  const { method, target } = head;
  const scheme = schemeLength(target);
  if (scheme < 0) return BAD_TARGET;
  let end = scheme;
  while (end < target.length && target.charCodeAt(end) !== SLASH && target.charCodeAt(end) !== QUESTION) end++;
  const authority = target.slice(scheme, end);
  if (authority === '') return BAD_HOST;
  const bad = checkAuthority(authority, false);
  if (bad < 0) return bad;
  const rest = target.slice(end);
  // An empty path is sent as `/`, or as `*` for OPTIONS (RFC 9112 §3.2.1, §3.2.4).
  if (rest === '') {
    head.uri = method === 'OPTIONS' ? '*' : '/';
    head.path = method === 'OPTIONS' ? '' : '/';
  } else {
    head.uri = rest.charCodeAt(0) === SLASH ? rest : `/${rest}`;
    head.path = originPath(head.uri);
  }
  return authority;
}

function checkPort(s: string, from: number): number {
  const digits = s.length - from;
  if (digits < 1 || digits > 5) return BAD_PORT;
  let port = 0;
  for (let i = from; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return BAD_PORT;
    port = port * 10 + d;
  }
  return port > 65535 ? BAD_PORT : 0;
}

/** 0 when s is `host [":" port]` (port 0-65535, required for CONNECT), else a failure code.
 * An empty Host is valid (a target without authority, RFC 9110 §7.2). */
export function checkAuthority(s: string, portRequired: boolean): number {
  if (s === '') return portRequired ? CONNECT_TARGET : 0;
  let p = 0;
  if (s.charCodeAt(0) === 0x5b) {
    const close = s.indexOf(']');
    if (close < 2) return BAD_HOST;
    for (p = 1; p < close; p++) if (IP_LITERAL[s.charCodeAt(p)] !== 1) return BAD_HOST;
    p = close + 1;
  } else {
    while (p < s.length && REG_NAME[s.charCodeAt(p)] === 1) p++;
    if (p === 0 && s.charCodeAt(0) !== COLON) return s.charCodeAt(0) === AT ? USERINFO : BAD_HOST;
  }
  if (p === s.length) return portRequired ? CONNECT_TARGET : 0;
  const c = s.charCodeAt(p);
  if (c === AT || s.includes('@', p)) return USERINFO;
  if (c !== COLON || p === 0) return BAD_HOST;
  return checkPort(s, p + 1);
}

function withoutDefaultPort(authority: string, port: string): string {
  return authority.endsWith(port) ? authority.slice(0, -port.length) : authority;
}

/** Whether a Host header names the same authority as an absolute-form target: case-insensitive,
 * a scheme's default port written or not (`http://h:80/` and `Host: h`). */
export function sameAuthority(host: string, authority: string, target: string): boolean {
  if (host.length === authority.length && host.toLowerCase() === authority.toLowerCase()) return true;
  const port = target.charCodeAt(4) === COLON ? ':80' : ':443';
  return withoutDefaultPort(host, port).toLowerCase() === withoutDefaultPort(authority, port).toLowerCase();
}
