// HAProxy log-format strings compiled once into a function from a request record to a line.
// Unknown variables render as `-`, as HAProxy does for fields it cannot fill.

/** Everything a log line can show about one request (or one tcp session). */
export interface LogRecord {
  clientIp: string;
  clientPort: number;
  /** Epoch ms: connection accepted. */
  acceptMs: number;
  /** Epoch ms: first byte of this request received (for keep-alive: when the previous one ended). */
  requestMs: number;
  frontend: string;
  tls: boolean;
  backend: string;
  /** Server name, `<NOSRV>` when none was chosen. */
  server: string;
  /** Phase durations in ms, -1 when the phase never completed (HAProxy's convention). */
  TR: number;
  Tw: number;
  Tc: number;
  Tr: number;
  Ta: number;
  Tt: number;
  status: number;
  bytesOut: number;
  bytesIn: number;
  /** Termination state, 4 chars (`----` on success, `SC--` connect failure, …). */
  termination: string;
  actconn: number;
  feconn: number;
  beconn: number;
  srvconn: number;
  retries: number;
  /** The request went to another server than first chosen (HAProxy logs `%rc` as `+N` then). */
  redispatched?: boolean;
  method: string;
  uri: string;
  httpVersion: string;
  pid: number;
  /** `http-request capture` values by slot (an empty or missing one: not captured). */
  requestCaptures?: string[];
}

export type LogFormatter = (r: LogRecord) => string;

/** The line shapes of `option httplog` and `option tcplog` (HAProxy 2.x). */
export const HTTPLOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';
export const TCPLOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

type Part = (r: LogRecord) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `06/Feb/2009:12:14:14.655` in local time, as HAProxy's %tr / %t. */
export function haproxyDate(ms: number, withMs = true): string {
  const d = new Date(ms);
  const base = `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

function gmtDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function requestLine(r: LogRecord): string {
  return r.method === '' ? '<BADREQ>' : `${r.method} ${r.uri} HTTP/${r.httpVersion}`;
}

function pathOf(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

const VARIABLES: Record<string, Part> = {
  ci: (r) => r.clientIp,
  cp: (r) => String(r.clientPort),
  tr: (r) => haproxyDate(r.requestMs),
  t: (r) => haproxyDate(r.acceptMs),
  T: (r) => gmtDate(r.acceptMs),
  ft: (r) => (r.tls ? `${r.frontend}~` : r.frontend),
  f: (r) => r.frontend,
  b: (r) => r.backend,
  s: (r) => r.server,
  TR: (r) => String(r.TR),
  // HAProxy 1.x name of %TR, still in configs such as the seed's.
  Tq: (r) => String(r.TR),
  Tw: (r) => String(r.Tw),
  Tc: (r) => String(r.Tc),
  Tr: (r) => String(r.Tr),
  Ta: (r) => String(r.Ta),
  Tt: (r) => String(r.Tt),
  ST: (r) => String(r.status),
  B: (r) => String(r.bytesOut),
  U: (r) => String(r.bytesIn),
  CC: () => '-',
  CS: () => '-',
  tsc: (r) => r.termination,
  ts: (r) => r.termination.slice(0, 2),
  ac: (r) => String(r.actconn),
  fc: (r) => String(r.feconn),
  bc: (r) => String(r.beconn),
  sc: (r) => String(r.srvconn),
  rc: (r) => (r.redispatched === true ? `+${r.retries}` : String(r.retries)),
  sq: () => '0',
  bq: () => '0',
  // Without capture slots HAProxy prints nothing for them (compileLogFormat handles the slots).
  hr: () => '',
  hs: () => '',
  r: requestLine,
  HM: (r) => r.method,
  HP: (r) => pathOf(r.uri),
  HU: (r) => r.uri,
  HV: (r) => `HTTP/${r.httpVersion}`,
  pid: (r) => String(r.pid),
  ID: () => '-',
};

/** A captured value as HAProxy logs it: control bytes, `"`, `#`, `{`, `|`, `}` as `#XX`. */
function encodeCapture(v: string): string {
  return v.replace(/[\x00-\x1f\x7f-\uffff"#{|}]/g, (c) => `#${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** %hr with `slots` capture slots: `{a|b}`, one field per slot, empty when not captured. */
function captureBlock(slots: number): Part {
  return (r) => {
    let out = '{';
    for (let i = 0; i < slots; i++) out += (i > 0 ? '|' : '') + encodeCapture(r.requestCaptures?.[i] ?? '');
    return `${out}}`;
  };
}

/** Compile a log-format string; `%{+Q}x` quotes, `%%` is a literal percent. `captureSlots`: the
 * frontend's `http-request capture` rules, which make %hr a block of their values. */
export function compileLogFormat(format: string, opts: { captureSlots?: number } = {}): LogFormatter {
  const slots = opts.captureSlots ?? 0;
  const parts: (string | Part)[] = [];
  const re = /%%|%(\{[^}]*\})?([A-Za-z]+)|%\[[^\]]*\]/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    let literal = format.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '%%') {
      parts.push(literal + '%');
      continue;
    }
    const name = m[2];
    const fn = name === 'hr' && slots > 0 ? captureBlock(slots) : name === undefined ? undefined : VARIABLES[name];
    const quoted = m[1]?.includes('+Q') === true;
    const part: Part = fn === undefined ? () => '-' : quoted ? (r) => `"${fn(r)}"` : fn;
    // Empty capture blocks swallow their separating space so the line keeps HAProxy's shape.
    if ((name === 'hs' || (name === 'hr' && slots === 0)) && !quoted) {
      if (format[last] === ' ') last++;
      else if (literal.endsWith(' ')) literal = literal.slice(0, -1);
    }
    if (literal !== '') parts.push(literal);
    parts.push(part);
  }
  const tail = format.slice(last);
  if (tail !== '') parts.push(tail);
  return (r) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(r);
    return out;
  };
}
