// What HTTP rules change in a message, as HAProxy changes it: header lists (the flat
// `[name, value, …]` arrays the proxy forwards), regex replacements with `\N` back-references,
// and the request target (set-path, set-query, set-uri… and normalize-uri). A rewrite whose result
// cannot be sent (a control character in a value, a space in a target) reports failure, which the
// rule turns into HAProxy's 500 for a failed rewrite: it is never forwarded.
import type { HeaderNameMatch, UriNormalizer } from '../config/model.ts';

/** A header value or request target must not break the message it goes into. */
const UNSAFE_VALUE = /[\0\r\n]/;
const UNSAFE_TARGET = /[\0-\x20\x7f]/;

export function safeValue(v: string): boolean {
  return !UNSAFE_VALUE.test(v);
}

export function safeTarget(t: string): boolean {
  return t !== '' && !UNSAFE_TARGET.test(t);
}

/** Regexes of the rules in use, by source; bounded, as reloads may bring new ones. */
const compiled = new Map<string, RegExp>();

/** A checked regex source, compiled once (case-sensitive, as HAProxy compiles rule regexes). */
export function regexOf(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (re === undefined) {
    if (compiled.size >= 4096) compiled.clear();
    re = new RegExp(source, flags);
    compiled.set(key, re);
  }
  return re;
}

/** HAProxy's exp_replace: `\0`…`\9` are the match's groups, `\xHH` a byte, `\c` the character c. */
export function expandReplacement(format: string, m: RegExpExecArray): string {
  if (!format.includes('\\')) return format;
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch !== '\\' || i + 1 >= format.length) {
      out += ch;
      continue;
    }
    const next = format[++i] as string;
    if (next >= '0' && next <= '9') out += m[Number(next)] ?? '';
    else if (next === 'x' && i + 2 < format.length && /^[0-9A-Fa-f]{2}$/.test(format.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(format.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += next;
  }
  return out;
}

/** `value` matched against `re`: the whole value becomes the expanded replacement; undefined when it does not match. */
export function replaceWhole(value: string, re: RegExp, format: string): string | undefined {
  const m = re.exec(value);
  return m === null ? undefined : expandReplacement(format, m);
}

function nameMatches(k: string, lower: string, match: HeaderNameMatch | undefined, re: RegExp | undefined): boolean {
  switch (match) {
    case undefined:
    case 'str':
      return k.length === lower.length && k.toLowerCase() === lower;
    case 'beg':
      return k.toLowerCase().startsWith(lower);
    case 'end':
      return k.toLowerCase().endsWith(lower);
    case 'sub':
      return k.toLowerCase().includes(lower);
    case 'reg':
      return (re as RegExp).test(k);
  }
}

/** Remove every header whose name matches (`del-header NAME [-m METH]`), in place. */
export function deleteHeaders(headers: string[], name: string, match?: HeaderNameMatch): void {
  const lower = name.toLowerCase();
  const re = match === 'reg' ? regexOf(name) : undefined;
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const k = headers[r] as string;
    if (nameMatches(k, lower, match, re)) continue;
    headers[w++] = k;
    headers[w++] = headers[r + 1] as string;
  }
  headers.length = w;
}

/** Each comma-separated value of a header (quotes respected), replaced where it matches. */
function replaceEachValue(value: string, re: RegExp, format: string): string {
  let out = '';
  let start = 0;
  let quoted = false;
  for (let j = 0; j <= value.length; j++) {
    const ch = value.charCodeAt(j);
    if (ch === 34) quoted = !quoted;
    if (j < value.length && (ch !== 44 || quoted)) continue;
    const raw = value.slice(start, j);
    const lead = raw.length - raw.trimStart().length;
    const item = raw.trim();
    const trail = raw.length - lead - item.length;
    const replaced = replaceWhole(item, re, format);
    out += raw.slice(0, lead) + (replaced ?? item) + raw.slice(raw.length - trail);
    if (j < value.length) out += ',';
    start = j + 1;
  }
  return out;
}

/**
 * `replace-header` (whole values) or `replace-value` (each comma-separated value) on every header
 * named `name`; false when a replaced value could not be sent.
 */
export function replaceHeaders(headers: string[], name: string, re: RegExp, format: string, eachValue: boolean): boolean {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i] as string;
    if (k.length !== lower.length || k.toLowerCase() !== lower) continue;
    const value = headers[i + 1] as string;
    const next = eachValue ? replaceEachValue(value, re, format) : replaceWhole(value, re, format);
    if (next === undefined) continue;
    if (!safeValue(next)) return false;
    headers[i + 1] = next;
  }
  return true;
}

/** A request target in parts: `scheme://authority` (absolute-form), the path, `?query` (with its `?`). */
export interface TargetSplit {
  prefix: string;
  path: string;
  query: string;
}

export function splitTarget(target: string): TargetSplit {
  let p = 0;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(target);
  if (m !== null) p = m[0].length;
  const q = target.indexOf('?', p);
  return { prefix: target.slice(0, p), path: q === -1 ? target.slice(p) : target.slice(p, q), query: q === -1 ? '' : target.slice(q) };
}

/** The request line's parts an action rewrites, and the fields derived from them. */
export interface RequestLine {
  method: string;
  /** What is sent upstream: the target as HAProxy holds it (absolute-form keeps its scheme and authority). */
  target: string;
  /** Origin-form of the target (what `url`-like fetches read). */
  uri: string;
  /** The path, without the query (what `path` reads). */
  path: string;
}

/** After a rewrite of `target`: its origin-form and path, as the request parser derives them. */
export function deriveFromTarget(line: RequestLine): void {
  const t = line.target;
  const s = splitTarget(t);
  if (s.prefix !== '') {
    const rest = s.path + s.query;
    line.uri = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
    line.path = s.path === '' ? '/' : s.path;
  } else if (t.startsWith('/')) {
    line.uri = t;
    line.path = s.path;
  } else {
    line.uri = t;
    line.path = '';
  }
}

export type LineAction = 'set-method' | 'set-path' | 'set-pathq' | 'set-query' | 'set-uri' | 'replace-path' | 'replace-pathq' | 'replace-uri';

/** The part of the target an action reads (`replace-*`) or replaces (`set-*`). */
export function linePart(line: RequestLine, action: LineAction): string {
  const s = splitTarget(line.target);
  if (action === 'replace-path' || action === 'set-path') return s.path;
  if (action === 'replace-pathq' || action === 'set-pathq') return s.path + s.query;
  if (action === 'set-query') return s.query.slice(1);
  if (action === 'set-method') return line.method;
  return line.target;
}

/** Put `value` in the part `action` names; false (nothing changed) when the result could not be sent. */
export function setLinePart(line: RequestLine, action: LineAction, value: string): boolean {
  if (action === 'set-method') {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value)) return false;
    line.method = value;
    return true;
  }
  const s = splitTarget(line.target);
  let next: string;
  if (action === 'set-uri' || action === 'replace-uri') next = value;
  else if (action === 'set-query') next = s.query === '' && value === '' ? line.target : `${s.prefix}${s.path}?${value}`;
  else if (action === 'set-path' || action === 'replace-path') next = `${s.prefix}${value}${s.query}`;
  else next = `${s.prefix}${value}`;
  if (!safeTarget(next)) return false;
  line.target = next;
  deriveFromTarget(line);
  return true;
}

/** `http-request normalize-uri NORMALIZER` on the target's path and query. */
export function normalizeUri(line: RequestLine, n: UriNormalizer): boolean {
  const s = splitTarget(line.target);
  let { path, query } = s;
  switch (n) {
    case 'path-merge-slashes':
      path = path.replace(/\/{2,}/g, '/');
      break;
    case 'percent-to-uppercase':
      path = path.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
      query = query.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase());
      break;
    case 'fragment-strip':
    case 'fragment-encode':
      // handoff's request parser refuses a `#` in the target: there is never a fragment to act on.
      return true;
  }
  const next = `${s.prefix}${path}${query}`;
  if (next === line.target) return true;
  if (!safeTarget(next)) return false;
  line.target = next;
  deriveFromTarget(line);
  return true;
}
