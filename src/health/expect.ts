// One expect rule against what a check received: wait for more, pass, or fail with HAProxy's
// status — tcpcheck_eval_expect's rules for TCP (string, binary, regexes, min-recv, the protocol
// parsers of MySQL and LDAP) and tcpcheck_eval_expect_http's for HTTP (status, headers, body).
import type { CheckExpect, CheckKind, CheckStatus, CheckTextPattern } from '../config/model.ts';
import type { ParsedResponse } from './http-response.ts';

export type Verdict =
  | { kind: 'wait' }
  | { kind: 'pass'; info?: string; code?: number }
  | { kind: 'fail'; status: CheckStatus; info?: string; code?: number };

export interface ExpectContext {
  kind: CheckKind;
  /** HAProxy's step number of the rule, for tcp-check messages. */
  step: number;
  /** This is the ruleset's last rule (a protocol parser then reports its success message). */
  last: boolean;
  /** `http-check disable-on-404` and the server is not DOWN: a 404 passes (the check ends L7OKC). */
  disable404: boolean;
}

const WAIT: Verdict = { kind: 'wait' };
const regexes = new Map<string, RegExp>();

function regex(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let r = regexes.get(key);
  if (r === undefined) {
    r = new RegExp(source, flags);
    if (regexes.size > 1000) regexes.clear();
    regexes.set(key, r);
  }
  return r;
}

/** A protocol's answer as a message: from `offset`, leading spaces dropped, up to the line's end. */
export function reportText(buf: Buffer, offset: number): string {
  return buf.toString('latin1', Math.min(offset, buf.length)).replace(/^ +/, '').split(/[\r\n\0]/)[0] ?? '';
}

const printable = (s: string): string => s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');

function failTcp(rule: CheckExpect, buf: Buffer, matched: boolean, ctx: ExpectContext): Verdict {
  const status = rule.errorStatus ?? 'L7RSP';
  const code = rule.reportCode === true ? smtpCode(buf) : undefined;
  const withCode = (v: Verdict & { kind: 'fail' }): Verdict => (code === undefined ? v : { ...v, code });
  if (rule.onError !== undefined) return withCode({ kind: 'fail', status, info: rule.onError });
  if (rule.report !== undefined) return withCode({ kind: 'fail', status, info: reportText(buf, rule.report) });
  if (ctx.kind !== 'tcp-check') return withCode({ kind: 'fail', status });
  const m = rule.match;
  const what = m.type === 'string' ? ` '${printable(Buffer.from(m.hex, 'hex').toString('latin1'))}'` : m.type === 'binary' ? ' (binary)' : m.type === 'rstring' ? ' (regex)' : ' (binary regex)';
  const comment = rule.comment !== undefined ? ` comment: ${rule.comment}` : '';
  return { kind: 'fail', status, info: `${matched ? 'TCPCHK matched unwanted content' : 'TCPCHK did not match content'}${what} at step ${ctx.step}${comment}` };
}

function smtpCode(buf: Buffer): number | undefined {
  const digits = buf.toString('latin1', 0, 3);
  return /^\d{3}$/.test(digits) ? Number(digits) : undefined;
}

function passTcp(rule: CheckExpect, buf: Buffer): Verdict {
  const info = rule.onSuccess ?? (rule.report !== undefined ? reportText(buf, rule.report) : undefined);
  const code = rule.reportCode === true ? smtpCode(buf) : undefined;
  return { kind: 'pass', ...(info !== undefined ? { info } : {}), ...(code !== undefined ? { code } : {}) };
}

/** `lastRead`: the peer closed or the buffer is full. */
export function expectTcp(rule: CheckExpect, buf: Buffer, lastRead: boolean, ctx: ExpectContext): Verdict {
  const m = rule.match;
  if (m.type === 'custom') {
    if (buf.length === 0 && !lastRead) return WAIT;
    return m.parser === 'ldap-bind' ? ldapBind(buf) : mysqlPacket(buf, m.parser === 'mysql-ok' ? mysqlLength(buf, 0) + 4 : 0, lastRead, ctx);
  }
  if (buf.length === 0 && lastRead) {
    const comment = rule.comment !== undefined ? ` comment: '${rule.comment}'` : '';
    return { kind: 'fail', status: rule.errorStatus ?? 'L7RSP', info: ctx.kind === 'tcp-check' ? `TCPCHK got an empty response at step ${ctx.step}${comment}` : rule.onError ?? '' };
  }
  const bytes = m.type === 'string' || m.type === 'binary' ? Buffer.from(m.hex, 'hex') : undefined;
  if (!lastRead && ((bytes !== undefined && buf.length < bytes.length) || (rule.minRecv > 0 && buf.length < rule.minRecv))) return WAIT;
  let matched: boolean;
  if (bytes !== undefined) matched = buf.indexOf(bytes) !== -1;
  else if (m.type === 'rstring') matched = regex(m.regex).test(buf.toString('latin1'));
  else if (m.type === 'rbinary') matched = regex(m.regex).test(buf.toString('hex').toUpperCase());
  else matched = false;
  // Without min-recv a mismatch waits for more data; with one it is conclusive.
  if (!matched && !lastRead && rule.minRecv === -1) return WAIT;
  return matched !== rule.negate ? passTcp(rule, buf) : failTcp(rule, buf, matched, ctx);
}

const mysqlLength = (buf: Buffer, at: number): number => (buf[at] ?? 0) + ((buf[at + 1] ?? 0) << 8) + ((buf[at + 2] ?? 0) << 16);

/** A MySQL packet at `offset`: an error packet (0xff) fails with its code and message. */
function mysqlPacket(buf: Buffer, offset: number, lastRead: boolean, ctx: ExpectContext): Verdict {
  if (buf.length < offset + 4 || buf.length < offset + mysqlLength(buf, offset) + 4) return lastRead ? { kind: 'fail', status: 'L7RSP' } : WAIT;
  if (buf[offset + 4] === 0xff) {
    const code = (buf[offset + 5] ?? 0) + ((buf[offset + 6] ?? 0) << 8);
    return { kind: 'fail', status: 'L7STS', code, info: buf.toString('latin1', offset + 7) };
  }
  if (!ctx.last) return { kind: 'pass' };
  // The server's version, from the handshake, is the success message.
  return { kind: 'pass', info: buf.toString('latin1', 5).split('\0')[0] ?? '' };
}

/** An LDAPv3 bindResponse (messageID 1) whose resultCode is success. */
function ldapBind(buf: Buffer): Verdict {
  const notLdap: Verdict = { kind: 'fail', status: 'L7RSP', info: 'Not LDAPv3 protocol' };
  const at = (i: number): number => buf[i] ?? -1;
  let len = at(1) & 0x80 ? at(1) & 0x7f : 0;
  const is = (offset: number, bytes: number[]): boolean => bytes.every((b, i) => at(offset + i) === b);
  if (len > 2 || !is(2 + len, [0x02, 0x01, 0x01, 0x61])) return notLdap;
  len += at(len + 6) & 0x80 ? at(len + 6) & 0x7f : 0;
  if (len > 4 || !is(7 + len, [0x0a, 0x01])) return notLdap;
  const code = at(len + 9);
  if (code !== 0) return { kind: 'fail', status: 'L7STS', code, info: 'See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9' };
  return { kind: 'pass', info: 'Success' };
}

function textMatch(p: CheckTextPattern, s: string, caseless: boolean): boolean {
  const text = caseless ? p.text.toLowerCase() : p.text;
  const value = caseless ? s.toLowerCase() : s;
  switch (p.method) {
    case 'str':
      return value === text;
    case 'beg':
      return value.startsWith(text);
    case 'end':
      return value.endsWith(text);
    case 'sub':
      return value.includes(text);
    case 'reg':
      return regex(p.text, caseless ? 'i' : '').test(s);
  }
}

function headerMatch(m: Extract<CheckExpect['match'], { type: 'hdr' | 'fhdr' }>, headers: readonly [string, string][]): boolean {
  for (const [name, value] of headers) {
    if (!textMatch(m.name, name, true)) continue;
    if (m.value === undefined) return true;
    const values = m.type === 'fhdr' ? [value] : value.split(',').map((v) => v.trim());
    if (values.some((v) => textMatch(m.value as CheckTextPattern, v, false))) return true;
  }
  return false;
}

/** An HTTP expect rule; `lastRead`: nothing more will arrive (closed, or the buffer is full). */
export function expectHttp(rule: CheckExpect, parsed: ParsedResponse, lastRead: boolean, ctx: ExpectContext): Verdict {
  if (parsed.state === 'invalid') return { kind: 'fail', status: 'L7RSP', ...(rule.onError !== undefined ? { info: rule.onError } : {}) };
  if (parsed.state === 'partial') return lastRead ? { kind: 'fail', status: 'L7RSP' } : WAIT;
  const r = parsed.response;
  const code = r.status;
  if (ctx.disable404 && code === 404) return { kind: 'pass', code };
  const m = rule.match;
  let matched: boolean;
  let status: CheckStatus = 'L7STS';
  let info: string | undefined = r.reason;
  if (m.type === 'status') matched = m.ranges.some(([lo, hi]) => code >= lo && code <= hi);
  else if (m.type === 'rstatus') matched = regex(m.regex).test(String(code));
  else if (m.type === 'hdr' || m.type === 'fhdr') matched = headerMatch(m, r.headers);
  else {
    const done = lastRead || r.complete;
    status = 'L7RSP';
    if (r.body.length === 0) {
      if (!done) return WAIT;
      return { kind: 'fail', status: rule.errorStatus ?? status, code, info: rule.onError ?? 'HTTP content check could not find a response body' };
    }
    const needle = m.type === 'string' ? Buffer.from(m.hex, 'hex') : undefined;
    if (!done && ((needle !== undefined && r.body.length < needle.length) || (rule.minRecv > 0 && r.body.length < rule.minRecv))) return WAIT;
    matched = needle !== undefined ? r.body.indexOf(needle) !== -1 : m.type === 'rstring' ? regex(m.regex).test(r.body.toString('latin1')) : false;
    if (!matched && !done && rule.minRecv === -1) return WAIT;
    info = rule.negate ? 'HTTP check matched unwanted content' : 'HTTP content check did not match';
  }
  if (matched !== rule.negate) return { kind: 'pass', code, ...(rule.onSuccess !== undefined ? { info: rule.onSuccess } : {}) };
  return { kind: 'fail', status: rule.errorStatus ?? status, code, info: rule.onError ?? info };
}
