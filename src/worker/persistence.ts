// Cookie persistence (`cookie NAME insert|rewrite|prefix …`, `server … cookie V`), HAProxy 2.6's
// rules: the request's cookie names its server, which takes the request unless it is stopped (DOWN
// or in maintenance; `option persist` sends it there anyway); the cookie is stripped back on the way
// in (insert+indirect: removed; prefix: the server's part removed) and set, rewritten or prefixed on
// the way out. Stateless: the cookie carries the server, so every worker and every reload agrees.
import type { CookiePersistence } from '../config/model.ts';
import { decodeCookieDate, encodeCookieDate } from './cookie-dates.ts';

/** What persistence needs of a server. */
export interface PersistentServer {
  readonly server: { readonly cookie?: string };
  /** Not DOWN and not in maintenance (HAProxy: cur_state != STOPPED); a draining server is running. */
  readonly running: boolean;
}

/** The request's persistence, kept until the response. `client`/`server` are HAProxy's log
 * characters (%CC, the 3rd and 4th of the termination state). */
export interface CookieState<S> {
  /** The server the cookie chose (it takes the request without balancing). */
  direct: S | undefined;
  client: 'N' | 'I' | 'D' | 'V' | 'E' | 'O' | 'U';
  server: 'N' | 'I' | 'U' | 'P' | 'R' | 'D';
  firstDate: number;
  lastDate: number;
  /** `ignore-persist` held: the cookie chose nothing and none is set or processed on the way out. */
  ignored: boolean;
  /** `force-persist` held: the cookie's server even stopped, and no redispatch (HAProxy's SF_FORCE_PRST). */
  forced: boolean;
}

/** What the backend's `option persist` and the first `force-persist`/`ignore-persist` rule that held say. */
export type PersistMode = 'normal' | 'persist' | 'force' | 'ignore';

/** The cookies of one Cookie header value, split on `;` and `,` (delimiters kept out). */
function splitCookies(value: string): string[] {
  return value.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '');
}

/** Read the dates of a `SRV|LAST|FIRST` value: the server part, and the dates into `st`. */
function serverPart<S>(c: CookiePersistence, value: string, st: CookieState<S>): string {
  if (c.mode === 'prefix') {
    const tilde = value.indexOf('~');
    return tilde === -1 ? value : value.slice(0, tilde);
  }
  const [srv = '', last, first] = value.split('|');
  if (last !== undefined) st.lastDate = decodeCookieDate(last);
  if (first !== undefined) st.firstDate = decodeCookieDate(first);
  return srv;
}

/** maxlife / maxidle: an old cookie (or one dated more than a day ahead) is ignored. */
function expired<S>(c: CookiePersistence, st: CookieState<S>, now: number): 'O' | 'E' | undefined {
  const bad = (date: number, max: number): boolean => date > 0 && max > 0 && (now - date > max || date - now > 86400);
  const why = bad(st.firstDate, c.maxlife) ? 'O' : bad(st.lastDate, c.maxidle) ? 'E' : undefined;
  if (why !== undefined) st.firstDate = st.lastDate = 0;
  return why;
}

/** The first server whose cookie is `value` and that may take it; marks a stopped one as D. */
function findServer<S extends PersistentServer>(servers: readonly S[], value: string, persist: boolean, st: CookieState<S>): S | undefined {
  for (const s of servers) {
    if (s.server.cookie !== value) continue;
    if (s.running || persist) {
      st.client = s.running ? 'V' : 'D';
      return s;
    }
    st.client = 'D';
  }
  return undefined;
}

/** One cookie `name=value` of the request: chooses the server, returns the cookie to forward (null: removed). */
function requestCookie<S extends PersistentServer>(c: CookiePersistence, servers: readonly S[], persist: boolean, piece: string, st: CookieState<S>, now: number): string | null {
  // `ignore-persist`: the cookie is read (and stripped) but chooses nothing (HAProxy's `U`).
  if (st.ignored) return stripCookie(c, piece, st);
  const eq = piece.indexOf('=');
  if (eq === -1 || piece.slice(0, eq).trim() !== c.name) return piece;
  const value = piece.slice(eq + 1).trim();
  let srv = serverPart(c, value, st);
  const old = expired(c, st, now);
  if (old !== undefined) {
    st.client = old;
    srv = '';
  }
  if (st.direct !== undefined) {
    if (st.client === 'N') st.client = 'U';
  } else if (srv !== '') {
    st.direct = findServer(servers, srv, persist, st);
    if (st.direct === undefined && st.client === 'N') st.client = 'I';
  } else if (old === undefined) st.client = 'I';
  return stripped(c, piece, value);
}

/** The cookie as forwarded: prefix mode drops the server part, insert+indirect removes it. */
function stripped(c: CookiePersistence, piece: string, value: string): string | null {
  const tilde = value.indexOf('~');
  if (c.mode === 'prefix' && tilde !== -1) return `${c.name}=${value.slice(tilde + 1)}`;
  if (c.mode === 'insert' && c.indirect) return null;
  return piece;
}

function stripCookie<S>(c: CookiePersistence, piece: string, st: CookieState<S>): string | null {
  const eq = piece.indexOf('=');
  if (eq === -1 || piece.slice(0, eq).trim() !== c.name) return piece;
  st.client = 'U';
  return stripped(c, piece, piece.slice(eq + 1).trim());
}

/** Request side: reads (and strips) the persistence cookie in `headers` (name, value pairs, edited in place). */
export function persistRequest<S extends PersistentServer>(c: CookiePersistence, servers: readonly S[], mode: PersistMode | boolean, headers: string[], now: number): CookieState<S> {
  const m = mode === true ? 'persist' : mode === false ? 'normal' : mode;
  const st: CookieState<S> = { direct: undefined, client: 'N', server: 'N', firstDate: 0, lastDate: 0, ignored: m === 'ignore', forced: m === 'force' };
  const persist = m === 'persist' || m === 'force';
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() !== 'cookie') continue;
    const kept: string[] = [];
    let changed = false;
    for (const piece of splitCookies(headers[i + 1] as string)) {
      const out = requestCookie(c, servers, persist, piece, st, now);
      if (out !== null) kept.push(out);
      if (out !== piece) changed = true;
    }
    if (!changed) continue;
    if (kept.length > 0) headers[i + 1] = kept.join('; ');
    else {
      headers.splice(i, 2);
      i -= 2;
    }
  }
  return st;
}

/** HAProxy's cacheable statuses (RFC 7231 §6.1) and safe methods: a response `nocache` marks private. */
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** A response a shared cache could store (HAProxy 2.6.12: a safe method, a cacheable status, no
 * private/no-cache/no-store, and freshness or a validator): `nocache` then marks it private. */
function cacheable(method: string, status: number, headers: readonly string[]): boolean {
  if (!SAFE_METHODS.has(method) || !CACHEABLE_STATUS.has(status)) return false;
  let ok = true;
  let fresh = false;
  let validator = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] as string).toLowerCase();
    const value = (headers[i + 1] as string).trim().toLowerCase();
    if (name === 'pragma' && value === 'no-cache') return false;
    if (name === 'expires') fresh = true;
    if (name === 'etag' || name === 'last-modified') validator = true;
    if (name !== 'cache-control') continue;
    for (const v of value.split(',').map((x) => x.trim())) {
      if (v === 'public') ok = true;
      else if (['private', 'no-cache', 'no-store', 'max-age=0', 's-maxage=0'].includes(v)) ok = false;
      else if (v.startsWith('max-age') || v.startsWith('s-maxage')) fresh = true;
    }
  }
  return ok && (fresh || validator);
}

/** The server's own Set-Cookie of our name: kept, removed, rewritten or prefixed. */
function serverCookies<S extends PersistentServer>(c: CookiePersistence, srv: S, st: CookieState<S>, headers: string[]): boolean {
  let found = false;
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() !== 'set-cookie') continue;
    const value = headers[i + 1] as string;
    const eq = value.indexOf('=');
    if (eq === -1 || value.slice(0, eq).trim() !== c.name) continue;
    found = true;
    st.server = 'P';
    if (c.preserve) continue;
    const own = srv.server.cookie;
    if (c.mode === 'insert' || (st.direct !== undefined && c.indirect)) {
      headers.splice(i, 2);
      i -= 2;
      st.server = 'D';
    } else if (own !== undefined && (c.mode === 'rewrite' || c.mode === 'prefix')) {
      const rest = value.slice(eq + 1).trimStart();
      const end = rest.search(/;|$/);
      const current = rest.slice(0, end).trimEnd();
      const replaced = c.mode === 'rewrite' ? own : `${own}~${current}`;
      headers[i + 1] = `${c.name}=${replaced}${rest.slice(end)}`;
      st.server = 'R';
    }
  }
  return found;
}

/** The Set-Cookie handoff inserts: `NAME=VALUE[|dates]; path=/` and the attributes. */
function insertedCookie<S>(c: CookiePersistence, own: string | undefined, st: CookieState<S>, now: number): string {
  let text: string;
  if (own === undefined) text = `${c.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  else {
    text = `${c.name}=${own}`;
    if (c.maxidle > 0 || c.maxlife > 0) {
      text += `|${encodeCookieDate(now)}`;
      if (c.maxlife > 0) text += `|${encodeCookieDate(st.firstDate > 0 ? st.firstDate : now)}`;
    }
    text += '; path=/';
  }
  for (const d of c.domains) text += `; domain=${d}`;
  if (c.httponly) text += '; HttpOnly';
  if (c.secure) text += '; Secure';
  for (const a of c.attrs) text += `; ${a}`;
  return text;
}

/** Does an insert-mode backend set the cookie on this response? (HAProxy's conditions.) */
function needsInsert<S>(c: CookiePersistence, st: CookieState<S>, foundPreserved: boolean, method: string, now: number): boolean {
  if (c.mode !== 'insert' || foundPreserved) return false;
  if (c.postonly && method !== 'POST') return false;
  if (st.direct === undefined) return true;
  const refresh = (c.maxidle > 0 || st.lastDate > 0) && (st.lastDate === 0 || st.lastDate < now);
  return refresh || (c.maxlife > 0 && st.firstDate === 0) || (c.maxlife === 0 && st.firstDate > 0);
}

/** Response side, for a response of `srv` (1xx excluded by the caller): edits `headers` in place. */
export function persistResponse<S extends PersistentServer>(c: CookiePersistence, st: CookieState<S>, srv: S, method: string, status: number, headers: string[], now: number): void {
  if (st.ignored) return;
  if (st.direct !== undefined && st.direct !== srv) st.direct = undefined;
  const found = serverCookies(c, srv, st, headers);
  if (!needsInsert(c, st, found && c.preserve, method, now)) return;
  headers.push('set-cookie', insertedCookie(c, srv.server.cookie, st, now));
  st.server = srv.server.cookie !== undefined && st.direct !== undefined ? 'U' : 'I';
  if (c.nocache && cacheable(method, status, headers)) headers.push('cache-control', 'private');
}

/** The termination state with the cookie characters (3rd and 4th) of a persistent backend. */
export function withCookieFlags<S>(termination: string, st: CookieState<S> | undefined): string {
  return st === undefined ? termination : `${termination.slice(0, 2)}${st.client}${st.server}`;
}
