// `http-check expect` and `tcp-check expect`: one parser for both, as in HAProxy — only the match
// keywords differ (status, rstatus, hdr, fhdr for HTTP; binary, rbinary for TCP).
import type { CheckExpect, CheckMatch, CheckStatus, CheckTextPattern } from '../model.ts';
import type { Parsed } from '../units.ts';

export type CheckFamily = 'http-check' | 'tcp-check';

const STATUSES: Record<'ok-status' | 'error-status' | 'tout-status', readonly CheckStatus[]> = {
  'ok-status': ['L7OK', 'L7OKC', 'L6OK', 'L4OK'],
  'error-status': ['L7OKC', 'L7RSP', 'L7STS', 'L6RSP', 'L4CON'],
  'tout-status': ['L7TOUT', 'L6TOUT', 'L4TOUT'],
};

const MATCHES: Record<CheckFamily, readonly string[]> = {
  'http-check': ['string', 'rstring', 'status', 'rstatus', 'hdr', 'fhdr'],
  'tcp-check': ['string', 'rstring', 'binary', 'rbinary'],
};

/** Bytes of a configuration string (the file's UTF-8, escapes already applied) as hex. */
export function textHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** A `send-binary` / `expect binary` pattern: an even number of hex digits. */
export function parseHex(text: string): Parsed<string> {
  const bad = /[^0-9a-fA-F]/.exec(text);
  if (bad !== null) return { ok: false, error: `'${text}' invalid binary string (an hex digit is expected (found '${bad[0]}'))` };
  if (text.length % 2 !== 0 || text.length === 0) return { ok: false, error: 'invalid binary string (an even number of hex digit is expected)' };
  return { ok: true, value: text.toLowerCase() };
}

export function parseRegex(text: string): Parsed<string> {
  try {
    new RegExp(text);
    return { ok: true, value: text };
  } catch (e) {
    return { ok: false, error: `regex '${text}' is invalid (${(e as Error).message})` };
  }
}

/** `200,201,300-310`. */
function parseStatusRanges(text: string): Parsed<[number, number][]> {
  const bad = /[^0-9,-]/.exec(text);
  if (bad !== null) return { ok: false, error: `invalid character '${bad[0]}' in the list of status codes` };
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return { ok: false, error: `invalid status code or range '${part}' in '${text}'` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return { ok: false, error: `invalid status range '${part}' (the end is below the start)` };
    ranges.push([lo, hi]);
  }
  return { ok: true, value: ranges };
}

/** A `-lf` value, a log-format string: only literal text (`%%` is a percent sign) is supported. */
export function literalFormat(text: string): string | undefined {
  if (/%(?!%)/.test(text.replace(/%%/g, ''))) return undefined;
  return text.replace(/%%/g, '%');
}

interface Cursor {
  args: readonly string[];
  i: number;
}

function take(c: Cursor, what: string): Parsed<string> {
  const v = c.args[c.i + 1];
  if (v === undefined) return { ok: false, error: `'${c.args[c.i] ?? ''}' expects ${what} as argument` };
  c.i += 2;
  return { ok: true, value: v };
}

/** `hdr { name | name-lf } [-m METH] NAME [{ value | value-lf } [-m METH] VALUE]`. */
function parseHeaderMatch(c: Cursor, type: 'hdr' | 'fhdr'): Parsed<CheckMatch> {
  c.i++;
  const part = (label: 'name' | 'value'): Parsed<CheckTextPattern> => {
    const w = c.args[c.i];
    if (w === `${label}-lf`) return { ok: false, error: `'${type} ${label}-lf' is not supported by handoff: log-format header patterns` };
    if (w !== label) return { ok: false, error: `'${type}' expects '${label}' (got '${w ?? ''}')` };
    c.i++;
    let method: CheckTextPattern['method'] = 'str';
    if (c.args[c.i] === '-m') {
      const m = c.args[c.i + 1];
      if (m !== 'str' && m !== 'beg' && m !== 'end' && m !== 'sub' && m !== 'reg') return { ok: false, error: `'-m' expects str, beg, end, sub or reg (got '${m ?? ''}')` };
      method = m;
      c.i += 2;
    }
    const text = c.args[c.i];
    if (text === undefined) return { ok: false, error: `'${type} ${label}' expects a pattern` };
    if (method === 'reg') {
      const r = parseRegex(text);
      if (!r.ok) return r;
    }
    c.i++;
    return { ok: true, value: { method, text } };
  };
  const name = part('name');
  if (!name.ok) return name;
  if (c.args[c.i] !== 'value' && c.args[c.i] !== 'value-lf') return { ok: true, value: { type, name: name.value } };
  const value = part('value');
  if (!value.ok) return value;
  return { ok: true, value: { type, name: name.value, value: value.value } };
}

function parseMatch(family: CheckFamily, c: Cursor, word: string): Parsed<CheckMatch> {
  if (word === 'hdr' || word === 'fhdr') return parseHeaderMatch(c, word);
  const pattern = take(c, 'a <pattern>');
  if (!pattern.ok) return { ok: false, error: `'${word}' expects a <pattern> as argument` };
  const text = pattern.value;
  switch (word) {
    case 'string':
      return { ok: true, value: { type: 'string', hex: textHex(text) } };
    case 'binary': {
      const hex = parseHex(text);
      return hex.ok ? { ok: true, value: { type: 'binary', hex: hex.value } } : hex;
    }
    case 'rstring':
    case 'rbinary':
    case 'rstatus': {
      const regex = parseRegex(text);
      return regex.ok ? { ok: true, value: { type: word, regex: regex.value } } : regex;
    }
    default: {
      const ranges = parseStatusRanges(text);
      return ranges.ok ? { ok: true, value: { type: 'status', ranges: ranges.value } } : ranges;
    }
  }
}

/** The words after `http-check expect` / `tcp-check expect`; warnings are for what only changes a message. */
export function parseExpect(family: CheckFamily, args: readonly string[]): Parsed<{ rule: CheckExpect; warnings: string[] }> {
  const rule: Partial<CheckExpect> & { negate: boolean; minRecv: number } = { negate: false, minRecv: -1 };
  const warnings: string[] = [];
  const c: Cursor = { args, i: 0 };
  while (c.i < args.length) {
    let word = args[c.i] as string;
    // `! string X` or `!string X`: HAProxy accepts both.
    if (word === '!') {
      rule.negate = !rule.negate;
      c.i++;
      continue;
    }
    if (word.startsWith('!')) {
      rule.negate = !rule.negate;
      word = word.slice(1);
    }
    const option = parseExpectOption(c, word, rule, warnings);
    if (option !== undefined) {
      if (!option.ok) return option;
      continue;
    }
    if (word.endsWith('-lf') && ['string-lf', 'binary-lf'].includes(word)) return { ok: false, error: `'${word}' is not supported by handoff: log-format patterns` };
    if (!MATCHES[family].includes(word)) {
      const list = MATCHES[family].map((m) => `[!]${m}`).join(', ');
      return { ok: false, error: `'${family} expect' only supports min-recv, ${list}, comment, ok-status, error-status, tout-status, on-success, on-error or status-code, but got '${word}'` };
    }
    if (rule.match !== undefined) return { ok: false, error: `'${family} expect': a second pattern '${word}' (one match per expect rule)` };
    const match = parseMatch(family, c, word);
    if (!match.ok) return match;
    rule.match = match.value;
  }
  if (rule.match === undefined) return { ok: false, error: `'${family} expect' expects a match and a pattern (${MATCHES[family].join(', ')})` };
  const { negate, minRecv, match, ...rest } = { ...rule, match: rule.match };
  return { ok: true, value: { rule: { action: 'expect', match, negate, minRecv, ...rest }, warnings } };
}

/** The keyword options of an expect rule; undefined when `word` is not one. */
function parseExpectOption(c: Cursor, word: string, rule: Partial<CheckExpect>, warnings: string[]): Parsed<true> | undefined {
  switch (word) {
    case 'min-recv': {
      const v = take(c, 'an integer');
      if (!v.ok) return v;
      if (!/^-?\d+$/.test(v.value)) return { ok: false, error: `'min-recv' expects an integer, got '${v.value}'` };
      rule.minRecv = Number(v.value);
      return { ok: true, value: true };
    }
    case 'comment': {
      const v = take(c, 'a string');
      if (!v.ok) return v;
      rule.comment = v.value;
      return { ok: true, value: true };
    }
    case 'ok-status':
    case 'error-status':
    case 'tout-status': {
      const v = take(c, 'a check status');
      if (!v.ok) return v;
      const allowed = STATUSES[word];
      if (!allowed.includes(v.value as CheckStatus)) return { ok: false, error: `'${word}' only supports ${allowed.join(', ')} (got '${v.value}')` };
      const key = word === 'ok-status' ? 'okStatus' : word === 'error-status' ? 'errorStatus' : 'toutStatus';
      rule[key] = v.value as CheckStatus;
      return { ok: true, value: true };
    }
    case 'on-success':
    case 'on-error': {
      const v = take(c, 'a log-format string');
      if (!v.ok) return v;
      const text = literalFormat(v.value);
      if (text === undefined) warnings.push(`'${word} ${v.value}': log-format variables are not expanded in handoff's check messages; the text is reported as written`);
      rule[word === 'on-success' ? 'onSuccess' : 'onError'] = text ?? v.value;
      return { ok: true, value: true };
    }
    case 'status-code': {
      const v = take(c, 'a sample expression');
      if (!v.ok) return v;
      warnings.push(`'status-code ${v.value}' is ignored: it only sets the code handoff reports for the check`);
      return { ok: true, value: true };
    }
    default:
      return undefined;
  }
}
