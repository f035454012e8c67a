// A redirect rule's words (`redirect …`, `http-request redirect …`, `http-response redirect …`),
// in any order as HAProxy reads them: `location|prefix|scheme TARGET`, `code N`, `drop-query`,
// `append-slash`, `ignore-empty`, `set-cookie NAME[=value]`, `clear-cookie NAME[=]`.
import type { RedirectSpec, Template } from '../model.ts';
import type { SampleWhere } from '../sample.ts';
import { literalTemplate, parseTemplate, templateProblem } from '../template.ts';
import type { Reporter } from './types.ts';

const CODES = [301, 302, 303, 307, 308];

/**
 * Parse the words of a redirect. `format`: the target is a log-format string (the http-request /
 * http-response action), else literal (the `redirect` keyword). `response`: only `location` exists.
 */
export function parseRedirect(rep: Reporter, words: readonly string[], format: boolean, where: SampleWhere): RedirectSpec | undefined {
  let kind: RedirectSpec['kind'] | undefined;
  let target = '';
  const spec: Omit<RedirectSpec, 'kind' | 'target'> = { code: 302 };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const arg = words[i + 1];
    if (w === 'location' || w === 'prefix' || w === 'scheme' || w === 'set-cookie' || w === 'clear-cookie' || w === 'code') {
      if (arg === undefined) return void rep.error(`redirect '${w}' expects an argument`);
      i++;
      if (w === 'code') {
        if (!/^\d+$/.test(arg) || !CODES.includes(Number(arg))) return void rep.error(`redirect 'code': unsupported HTTP code '${arg}' (must be one of ${CODES.join(', ')})`);
        spec.code = Number(arg);
      } else if (w === 'set-cookie') spec.cookie = `${arg}; path=/;`;
      else if (w === 'clear-cookie') spec.cookie = `${arg}; path=/; Max-Age=0;`;
      else {
        kind = w;
        target = arg;
      }
    } else if (w === 'drop-query') spec.dropQuery = true;
    else if (w === 'append-slash') spec.appendSlash = true;
    else if (w === 'ignore-empty') spec.ignoreEmpty = true;
    else return void rep.error(`redirect expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '${w}')`);
  }
  if (kind === undefined) return void rep.error("redirect: a redirection type is expected ('prefix', 'location' or 'scheme')");
  if (where === 'response' && kind !== 'location') return void rep.error("'http-response redirect' only supports redirect type 'location'");
  let t: Template;
  // A prefix of exactly "/" adds nothing: the redirect is to the same URI.
  if (kind === 'prefix' && target === '/') t = literalTemplate('');
  else if (!format) t = literalTemplate(target);
  else {
    const parsed = parseTemplate(target);
    if (!parsed.ok) return void rep.error(`redirect ${kind}: ${parsed.error}`);
    const problem = templateProblem(parsed.value, where);
    if (problem !== undefined) rep.warn(problem);
    t = parsed.value;
  }
  return { kind, target: t, ...spec };
}
