// The responses handoff makes itself — error pages, `deny`/`return`/`tarpit` replies, `auth`'s
// 401, redirects, the monitor-uri answer — as HAProxy builds them (http_reply_to_htx,
// http_apply_redirect_rule): a status, headers and a body, or an errorfile's bytes as they are.
import type { Backend, Frontend, HttpReply } from '../config/model.ts';
import { errorBody, errorReason, rawErrorfile, reasonPhrase } from './errors.ts';
import { renderTemplate, type SampleContext } from './sample.ts';

/** A response of handoff's own: the status the client is sent, and the rest. `raw`: an errorfile's
 * bytes, sent as they are (their framing is unknown: the connection closes); `status` is then the
 * one asked for, which the log shows. */
export interface OwnResponse {
  status: number;
  reason: string;
  headers: string[];
  body: string | Buffer;
  raw?: Buffer;
}

/** HAProxy's built-in page for a status. */
export function builtinPage(status: number): OwnResponse {
  return { status, reason: errorReason(status), headers: ['cache-control', 'no-cache', 'content-type', 'text/html'], body: errorBody(status) };
}

/** An errorfile's text, normalised (CRLF head), kept as bytes until something must change it. */
function fromErrorfile(text: string, status: number): OwnResponse {
  return { status, reason: '', headers: [], body: '', raw: rawErrorfile(text) };
}

/** The proxy's page for a status: the backend's errorfile, the frontend's, else HAProxy's own. */
export function errorResponse(status: number, be: Backend | undefined, fe: Frontend): OwnResponse {
  const file = be?.errorfiles[String(status)] ?? fe.errorfiles[String(status)];
  return file === undefined ? builtinPage(status) : fromErrorfile(file, status);
}

/**
 * Parse a raw errorfile into its parts, to change its headers (auth, http-after-response).
 * Undefined when it is not an HTTP response: it is then sent as it is.
 */
export function parsedResponse(r: OwnResponse): OwnResponse | undefined {
  const raw = r.raw;
  if (raw === undefined) return r;
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = (end === -1 ? text : text.slice(0, end)).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(head[0] ?? '');
  if (m === null) return undefined;
  const headers: string[] = [];
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim();
    const lower = name.toLowerCase();
    // Framing is handoff's to write for the body as it is.
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    headers.push(name, line.slice(colon + 1).trim());
  }
  const body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  // The file's own status line (an errorloc page says 302 for a 503): what the client is sent.
  return { status: Number(m[1]), reason: m[2] ?? reasonPhrase(Number(m[1])), headers, body };
}

/** A `deny` / `tarpit` / `return` reply, its templates rendered for this request. */
export function replyResponse(reply: HttpReply, ctx: SampleContext, be: Backend | undefined, fe: Frontend): OwnResponse {
  if (reply.kind === 'default') return errorResponse(reply.status, be, fe);
  if (reply.kind === 'errorfile') return fromErrorfile(reply.file.text, reply.status);
  const headers: string[] = [];
  for (const h of reply.headers) {
    const v = renderTemplate(h.value, ctx);
    // HAProxy leaves out a header whose value renders empty.
    if (v !== '' && !/[\0\r\n]/.test(v)) headers.push(h.name, v);
  }
  const b = reply.body;
  const body = b.kind === 'none' ? '' : b.kind === 'raw' ? Buffer.from(b.text, 'latin1') : renderTemplate(b.template, ctx);
  if (body.length > 0 && reply.contentType !== undefined) headers.push('content-type', reply.contentType);
  return { status: reply.status, reason: reasonPhrase(reply.status), headers, body };
}

const REDIRECT_REASONS: Record<number, string> = { 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' };

/** A redirect: Location, `Cache-Control: no-cache` for the temporary codes, the rule's Set-Cookie. */
export function redirectResponse(code: number, location: string, cookie: string | undefined): OwnResponse {
  const headers = ['Location', location];
  if (code === 302 || code === 303 || code === 307) headers.push('Cache-Control', 'no-cache');
  if (cookie !== undefined) headers.push('Set-Cookie', cookie);
  return { status: code, reason: REDIRECT_REASONS[code] ?? 'Found', headers, body: '' };
}

/** `auth`: the proxy's 401 page, its WWW-Authenticate headers replaced by a Basic challenge for `realm`. */
export function authResponse(realm: string, be: Backend | undefined, fe: Frontend): OwnResponse {
  const page = parsedResponse(errorResponse(401, be, fe)) ?? builtinPage(401);
  const headers: string[] = [];
  for (let i = 0; i < page.headers.length; i += 2) {
    if ((page.headers[i] as string).toLowerCase() !== 'www-authenticate') headers.push(page.headers[i] as string, page.headers[i + 1] as string);
  }
  headers.push('WWW-Authenticate', `Basic realm="${realm}"`);
  return { ...page, headers };
}
