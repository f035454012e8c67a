// The response to an HTTP health check, read from what the connection received so far: the
// status line and headers once complete, then the body as far as it arrived (Content-Length,
// chunked, or up to the close). Interim 1xx responses are skipped.

export interface CheckResponse {
  status: number;
  reason: string;
  headers: [name: string, value: string][];
  /** The body received so far (decoded when chunked). */
  body: Buffer;
  /** The whole message arrived (HAProxy's end-of-message). */
  complete: boolean;
}

export type ParsedResponse = { state: 'partial' } | { state: 'invalid'; reason: string } | { state: 'head'; response: CheckResponse };

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;

function headEnd(buf: Buffer, from: number): { end: number; sep: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf !== -1 && (crlf === -1 || lf < crlf)) return { end: lf, sep: 2 };
  return { end: crlf, sep: 4 };
}

/** Chunked body: the data so far and whether the last chunk arrived; undefined when malformed. */
function dechunk(buf: Buffer): { body: Buffer; complete: boolean } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol === -1) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(buf.toString('latin1', at, eol).split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = eol + 2;
    parts.push(buf.subarray(start, Math.min(start + size, buf.length)));
    if (start + size + 2 > buf.length) return { body: Buffer.concat(parts), complete: false };
    at = start + size + 2;
  }
}

/** `eof`: nothing more will arrive. `head`: the request was HEAD (no body follows). */
export function parseResponse(buf: Buffer, eof: boolean, head: boolean): ParsedResponse {
  let from = 0;
  for (;;) {
    const end = headEnd(buf, from);
    if (end === undefined) return eof ? { state: 'invalid', reason: buf.length === from ? 'empty response' : 'incomplete response head' } : { state: 'partial' };
    const lines = buf.toString('latin1', from, end.end).split(/\r?\n/);
    const m = STATUS_LINE.exec(lines[0] ?? '');
    if (m === null) return { state: 'invalid', reason: 'invalid status line' };
    const status = Number(m[1]);
    const bodyStart = end.end + end.sep;
    if (status >= 100 && status < 200 && status !== 101) {
      from = bodyStart;
      continue;
    }
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0 || /\s/.test(line.charAt(0))) return { state: 'invalid', reason: `invalid header line '${line}'` };
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    const response: CheckResponse = { status, reason: m[2] ?? '', headers, body: Buffer.alloc(0), complete: false };
    const rest = buf.subarray(bodyStart);
    const get = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    if (head || status === 204 || status === 304) response.complete = true;
    else if (/chunked/i.test(get('transfer-encoding') ?? '')) {
      const d = dechunk(rest);
      if (d === undefined) return { state: 'invalid', reason: 'invalid chunked body' };
      response.body = d.body;
      response.complete = d.complete;
    } else {
      const cl = get('content-length');
      const length = cl === undefined ? undefined : Number(cl);
      response.body = length === undefined ? rest : rest.subarray(0, length);
      response.complete = length === undefined ? eof : rest.length >= length;
    }
    return { state: 'head', response };
  }
}
