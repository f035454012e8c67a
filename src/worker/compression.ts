// Whether and how a response is compressed, as HAProxy 2.6's compression filter decides: the
// algorithm from the request's Accept-Encoding (q-values, `*`, implicit `identity`), then the
// response's status, framing, encoding, Cache-Control, ETag and Content-Type. Pure functions; the
// zlib stream is compress-stream.ts.
import type { Compression, CompressionAlgo } from '../config/model.ts';

/** The name an algorithm has in Accept-Encoding and Content-Encoding. */
export function codingName(algo: CompressionAlgo): string {
  return algo === 'raw-deflate' ? 'deflate' : algo;
}

/** The backend's algorithms win over the frontend's (HAProxy); undefined when neither compresses. */
export function algosOf(fe: Compression | undefined, be: Compression | undefined): readonly CompressionAlgo[] | undefined {
  if (be !== undefined && be.algos.length > 0) return be.algos;
  if (fe !== undefined && fe.algos.length > 0) return fe.algos;
  return undefined;
}

function headerValues(headers: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name.length === lower.length && name.toLowerCase() === lower) out.push(headers[i + 1] as string);
  }
  return out;
}

/** The comma-separated elements of every header of a name. */
function elements(headers: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (const v of headerValues(headers, lower)) for (const e of v.split(',')) if (e.trim() !== '') out.push(e.trim());
  return out;
}

/** `q=` of one Accept-Encoding element in thousandths (1000 without one), as HAProxy reads it. */
export function qValue(element: string): number {
  const params = element.split(';').slice(1);
  for (const raw of params) {
    const p = raw.trim();
    if (!p.startsWith('q=')) continue;
    const m = /^(\d)(?:\.(\d{0,3}))?/.exec(p.slice(2));
    if (m === null) return 1000;
    const q = Number(m[1]) * 1000 + Number(((m[2] ?? '') + '000').slice(0, 3));
    return Math.min(q, 1000);
  }
  return 1000;
}

/** Old agents saying `Mozilla/4` get nothing compressed unless MSIE 6 SP2 or MSIE 7+ (HAProxy). */
function brokenAgent(headers: readonly string[]): boolean {
  const ua = headerValues(headers, 'user-agent')[0];
  if (ua === undefined || !ua.startsWith('Mozilla/4')) return false;
  if (ua.length < 31 || ua.slice(25, 30) !== 'MSIE ') return true;
  const major = ua.charAt(30);
  return major < '6' || (major === '6' && (ua.length < 54 || ua.slice(51, 54) !== 'SV1'));
}

/** What a request gets: `named` when its Accept-Encoding chose the algorithm (only then does
 * `compression offload` remove the header), not when `identity` applies for want of one. */
export interface Negotiated {
  algo: CompressionAlgo;
  named: boolean;
}

/**
 * The algorithm a request asks for: the element with the highest q (first wins on a tie; q=0 never)
 * that names an algorithm of the list or is `*` (the list's first). Without one, `identity` when it
 * is configured (it needs no header). HTTP/1.0 requests get none.
 */
export function requestAlgo(algos: readonly CompressionAlgo[], headers: readonly string[], minor: number): Negotiated | undefined {
  if (minor < 1 || brokenAgent(headers)) return undefined;
  let best: CompressionAlgo | undefined;
  let bestQ = 0;
  for (const e of elements(headers, 'accept-encoding')) {
    const q = qValue(e);
    if (q <= bestQ) continue;
    const token = (/^[!#$%&'*+.^_`|~0-9A-Za-z-]*/.exec(e) as RegExpExecArray)[0].toLowerCase();
    const algo = e.startsWith('*') ? algos[0] : algos.find((a) => codingName(a) === token);
    if (algo === undefined) continue;
    best = algo;
    bestQ = q;
  }
  if (best !== undefined) return { algo: best, named: true };
  return algos.includes('identity') ? { algo: 'identity', named: false } : undefined;
}

/** `"…"` or `W/"…"`: anything else is an invalid ETag, which HAProxy does not compress. */
function validEtag(v: string): boolean {
  const t = v.startsWith('W/') ? v.slice(2) : v;
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"');
}

export interface ResponseFacts {
  status: number;
  method: string;
  /** The response's headers (hop-by-hop ones included: framing is looked at). */
  headers: readonly string[];
}

/** Whether the response may be compressed; `types` are the backend's, else the frontend's. */
export function compressible(r: ResponseFacts, types: readonly string[]): boolean {
  if (r.method === 'HEAD' || r.status < 200 || r.status > 203) return false;
  const h = r.headers;
  const te = elements(h, 'transfer-encoding');
  const framed = te.length > 0 ? te[te.length - 1]?.toLowerCase() === 'chunked' : headerValues(h, 'content-length').length > 0;
  if (!framed || (te.length === 0 && headerValues(h, 'content-length')[0] === '0')) return false;
  if (headerValues(h, 'content-encoding').length > 0) return false;
  if (elements(h, 'cache-control').some((e) => e.toLowerCase() === 'no-transform')) return false;
  const etags = headerValues(h, 'etag');
  if (etags.length > 1 || (etags.length === 1 && !validEtag(etags[0] as string))) return false;
  const ct = headerValues(h, 'content-type')[0];
  if (ct === undefined) return types.length === 0;
  const lower = ct.toLowerCase();
  if (lower.startsWith('multipart')) return false;
  return types.length === 0 || types.some((t) => lower.startsWith(t.toLowerCase()));
}

/** The types that apply: the backend's list when it has one, else the frontend's. */
export function typesOf(fe: Compression | undefined, be: Compression | undefined): readonly string[] {
  if (be !== undefined && be.types.length > 0) return be.types;
  return fe?.types ?? [];
}

/** Whether `compression offload` applies (either proxy). */
export function offloads(fe: Compression | undefined, be: Compression | undefined): boolean {
  return fe?.offload === true || be?.offload === true;
}

/**
 * The compressed response's headers, in place: Content-Length removed (the body goes chunked),
 * Content-Encoding added (not for identity), a strong ETag made weak, `Vary: Accept-Encoding` added.
 */
export function compressedHeaders(headers: string[], algo: CompressionAlgo): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const lower = (headers[i] as string).toLowerCase();
    if (lower === 'content-length') headers.splice(i, 2);
    else if (lower === 'etag' && (headers[i + 1] as string).startsWith('"')) headers[i + 1] = `W/${headers[i + 1] as string}`;
  }
  if (algo !== 'identity') headers.push('content-encoding', codingName(algo));
  headers.push('vary', 'Accept-Encoding');
}

/** Accept-Encoding removed from the request to the server (`compression offload`). */
export function dropAcceptEncoding(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if ((headers[i] as string).toLowerCase() === 'accept-encoding') headers.splice(i, 2);
}

/** The request's algorithm for this frontend and backend (undefined: its response is not compressed). */
export function negotiate(fe: Compression | undefined, be: Compression | undefined, headers: readonly string[], minor: number): Negotiated | undefined {
  const algos = algosOf(fe, be);
  return algos === undefined ? undefined : requestAlgo(algos, headers, minor);
}
