// HAProxy log-format strings where a value is built per request (header values, a dynamic
// `use_backend` name): literal text, `%[sample,conv…]`, and the common variables `%ci %cp %fi %fp
// %H` (which are samples too: src, src_port, dst, dst_port, hostname), `%%` for a percent sign.
import type { Sample, Template } from './model.ts';
import type { Parsed } from './units.ts';
import { parseSampleAt, scopeProblem, type SampleWhere } from './sample.ts';

export type { Template };

/** Log-format variables handoff expands, as the sample each one is. */
const VARIABLES: Record<string, string> = { ci: 'src', cp: 'src_port', fi: 'dst', fp: 'dst_port', H: 'hostname' };

/** The argument of the samples `%ci %cp %fi %fp` stand for: unlike the fetches, they show a
 * unix-socket connection as HAProxy's log line does (`unix`, the listener id). */
export const AS_LOGGED = '%logged';

const VARIABLE_SAMPLES: Record<string, Sample> = Object.fromEntries(
  Object.entries(VARIABLES).map(([v, fetch]) => [v, { fetch, args: v === 'H' ? [] : [AS_LOGGED], convs: [], type: fetch === 'src' || fetch === 'dst' ? 'ip' : fetch === 'hostname' ? 'str' : 'int' }]),
);

/** Parse a log-format string; literal text is kept as written (the tokenizer already unescaped it). */
export function parseTemplate(text: string): Parsed<Template> {
  const parts: (string | Sample)[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch !== '%') {
      lit += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    if (lit !== '') parts.push(lit);
    lit = '';
    if (next === '[') {
      const s = parseSampleAt(text, i + 2, false);
      if (!s.ok) return { ok: false, error: `in '${text}': ${s.error}` };
      if (text[s.value.end] !== ']') return { ok: false, error: `in '${text}': missing ']' after '%[${text.slice(i + 2, s.value.end)}'` };
      parts.push(s.value.sample);
      i = s.value.end + 1;
      continue;
    }
    if (next === '{') {
      // `%{+Q}[sample]` / `%{-Q}[sample]`: HAProxy 2.6 quotes only in log lines; in a header value both are the bare value.
      const flags = /^\{([+-]Q)\}\[/.exec(text.slice(i + 1));
      if (flags === null) return { ok: false, error: `in '${text}': log-format flags '%{…}' are not supported by handoff here (only %{+Q}[sample] and %{-Q}[sample])` };
      const s = parseSampleAt(text, i + 2 + (flags[0].length - 1), false);
      if (!s.ok) return { ok: false, error: `in '${text}': ${s.error}` };
      if (text[s.value.end] !== ']') return { ok: false, error: `in '${text}': missing ']' after the sample` };
      parts.push(s.value.sample);
      i = s.value.end + 1;
      continue;
    }
    const name = /^[A-Za-z]+/.exec(text.slice(i + 1))?.[0];
    if (name === undefined) return { ok: false, error: `in '${text}': '%' must be followed by '[sample]' or a variable name (write '%%' for a percent sign)` };
    const sample = VARIABLE_SAMPLES[name];
    if (sample === undefined) return { ok: false, error: `in '${text}': log-format variable '%${name}' is not supported here (handoff expands %[sample], %ci, %cp, %fi, %fp, %H and %%)` };
    parts.push(structuredClone(sample));
    i += 1 + name.length;
  }
  if (lit !== '' || parts.length === 0) parts.push(lit);
  return { ok: true, value: { parts } };
}

/** A template of literal text only (no sample): its text. */
export function literalText(t: Template): string | undefined {
  let out = '';
  for (const p of t.parts) {
    if (typeof p !== 'string') return undefined;
    out += p;
  }
  return out;
}

/** A template made of a literal string. */
export function literalTemplate(text: string): Template {
  return { parts: [text] };
}

/** Why a template cannot be rendered `where` (HAProxy refuses a request fetch in a response rule). */
export function templateProblem(t: Template, where: SampleWhere): string | undefined {
  for (const p of t.parts) {
    if (typeof p === 'string') continue;
    const problem = scopeProblem(p, where);
    if (problem !== undefined) return problem.message;
  }
  return undefined;
}

/** The samples of a template. */
export function templateSamples(t: Template): Sample[] {
  return t.parts.filter((p): p is Sample => typeof p !== 'string');
}
