// The response of `deny`, `tarpit` and `return` (HAProxy's http-reply, configuration.txt
// "http-request return"): a status, then an errorfile, an http-errors section's file, or a
// payload (raw or log-format, inline or from a file) with a content type and `hdr` headers.
// Files are named here and read by load.ts; an `errorfiles NAME` is resolved once every section is read.
import type { HttpReply, ReplyBody, Template } from '../model.ts';
import type { SampleWhere } from '../sample.ts';
import { parseTemplate, templateProblem } from '../template.ts';
import type { PendingReply } from '../draft.ts';
import { ERRORFILE_CODES } from './proxy.ts';
import type { Reporter } from './types.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SOURCES = new Set(['default-errorfiles', 'errorfile', 'errorfiles', 'file', 'lf-file', 'string', 'lf-string']);
const IGNORED_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-type']);

interface ReplyWords {
  status?: number;
  contentType?: string;
  source?: { kind: string; arg?: string };
  headers: { name: string; value: string }[];
}

/** Read the words of a reply; undefined after reporting an error. */
function readWords(rep: Reporter, words: readonly string[]): ReplyWords | undefined {
  const out: ReplyWords = { headers: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const arg = words[i + 1];
    if (w === 'status') {
      if (arg === undefined || !/^\d+$/.test(arg) || Number(arg) < 200 || Number(arg) > 599) return void rep.error(`'status' expects a status code between 200 and 599${arg === undefined ? '' : `, got '${arg}'`}`);
      out.status = Number(arg);
      i++;
    } else if (w === 'content-type') {
      if (arg === undefined) return void rep.error("'content-type' expects a type, e.g. 'content-type text/plain'");
      out.contentType = arg;
      i++;
    } else if (SOURCES.has(w)) {
      if (out.source !== undefined) return void rep.error(`unexpected '${w}': the response is already given by '${out.source.kind}'`);
      if (w === 'default-errorfiles') out.source = { kind: w };
      else {
        if (arg === undefined) return void rep.error(`'${w}' expects ${w === 'errorfiles' ? 'the name of an http-errors section' : w.endsWith('string') ? 'a string' : 'a file'}`);
        out.source = { kind: w, arg };
        i++;
      }
    } else if (w === 'hdr') {
      const value = words[i + 2];
      if (arg === undefined || value === undefined) return void rep.error("'hdr' expects a header name and a value");
      if (!TOKEN.test(arg)) return void rep.error(`'hdr': invalid header name '${arg}'`);
      if (IGNORED_HEADERS.has(arg.toLowerCase())) rep.warn(`header '${arg}' is always ignored by the http reply`);
      else out.headers.push({ name: arg, value });
      i += 2;
    } else {
      return void rep.error(`unexpected word '${w}' (expected status, content-type, default-errorfiles, errorfile, errorfiles, file, lf-file, string, lf-string or hdr)`);
    }
  }
  return out;
}

function template(rep: Reporter, text: string, where: SampleWhere): Template | undefined {
  const t = parseTemplate(text);
  if (!t.ok) return void rep.error(t.error);
  const problem = templateProblem(t.value, where);
  if (problem !== undefined) rep.warn(problem);
  return t.value;
}

/** A reply, and what of it needs the other sections or a file (the rule holding it is added then). */
export interface ParsedReply {
  reply: HttpReply;
  pending?: Pick<PendingReply, 'source'>;
}

/**
 * Parse a reply's words (after `return`, or `deny`/`tarpit` past their legacy forms). A `file`
 * payload needs a content type even when the file turns out empty (HAProxy lets an empty one go
 * without): the file is only read at load.
 */
export function parseReply(
  rep: Reporter,
  words: readonly string[],
  defaultStatus: number,
  where: SampleWhere,
): ParsedReply | undefined {
  const w = readWords(rep, words);
  if (w === undefined) return undefined;
  const status = w.status ?? defaultStatus;
  const kind = w.source?.kind;
  const arg = w.source?.arg ?? '';
  if (kind === 'default-errorfiles' || kind === 'errorfile' || kind === 'errorfiles') {
    if (kind !== 'errorfile' && !ERRORFILE_CODES.includes(status)) return void rep.error(`status code '${status}' has no default error page for '${kind}' (codes: ${ERRORFILE_CODES.join(' ')})`);
    if (w.contentType !== undefined) rep.warn(`content-type '${w.contentType}' is ignored by the http reply when used with an errorfile`);
    if (w.headers.length > 0) rep.warn("'hdr' parameters are ignored by the http reply when used with an errorfile");
    const reply: HttpReply = { kind: 'default', status };
    if (kind === 'default-errorfiles') return { reply };
    return { reply, pending: { source: kind === 'errorfile' ? { errorfile: arg } : { section: arg } } };
  }
  const headers: { name: string; value: Template }[] = [];
  for (const h of w.headers) {
    const t = template(rep, h.value, where);
    if (t === undefined) return undefined;
    headers.push({ name: h.name, value: t });
  }
  let body: ReplyBody = { kind: 'none' };
  let pending: ParsedReply['pending'];
  if (kind === 'string') body = { kind: 'raw', text: arg };
  else if (kind === 'lf-string') {
    const t = template(rep, arg, where);
    if (t === undefined) return undefined;
    body = { kind: 'format', template: t };
  } else if (kind === 'file' || kind === 'lf-file') {
    body = kind === 'file' ? { kind: 'raw', text: '', file: arg } : { kind: 'format', template: { parts: [''] }, file: arg };
    pending = { source: { file: arg, lf: kind === 'lf-file' } };
  }
  if (body.kind === 'none' && w.contentType !== undefined) rep.warn(`content-type '${w.contentType}' is ignored by the http reply because neither errorfile nor payload is defined`);
  if (body.kind !== 'none' && (status === 204 || status === 304) && !(body.kind === 'raw' && body.text === '' && pending === undefined)) return void rep.error(`no body is expected for ${status} responses`);
  const needsType = body.kind === 'format' || (body.kind === 'raw' && (body.text !== '' || pending !== undefined));
  if (needsType && w.contentType === undefined) return void rep.error(body.kind === 'format' ? 'a content type must be defined with a log-format payload' : 'a content type must be defined when a non-empty payload is configured');
  const reply: HttpReply = { kind: 'payload', status, headers, body };
  if (body.kind !== 'none' && w.contentType !== undefined) reply.contentType = w.contentType;
  return pending === undefined ? { reply } : { reply, pending };
}

/** `deny`/`tarpit` words: HAProxy's legacy forms first (nothing, or `deny_status N` alone), else a full reply. */
export function parseDenyReply(rep: Reporter, words: readonly string[], defaultStatus: number, where: SampleWhere): ParsedReply | undefined {
  if (words.length === 0) return { reply: { kind: 'default', status: defaultStatus } };
  if (words[0] === 'deny_status' && words.length <= 2) return parseReply(rep, ['status', ...words.slice(1), 'default-errorfiles'], defaultStatus, where);
  const rest = words[0] === 'deny_status' ? ['status', ...words.slice(1)] : words;
  return parseReply(rep, rest, defaultStatus, where);
}
