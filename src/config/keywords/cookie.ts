// `cookie NAME [rewrite|insert|prefix] …` (cookie persistence) and `option persist`, with HAProxy
// 2.6's words and errors. The worker side is src/worker/persistence.ts.
import type { CookiePersistence } from '../model.ts';
import { parseTime } from '../units.ts';
import { locateSampleFiles } from '../sample-files.ts';
import { ruleCondition } from './rule-condition.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_ONLY, BACKEND_SIDE } from './types.ts';

const FLAGS = ['indirect', 'nocache', 'postonly', 'preserve', 'httponly', 'secure'] as const;
const MODES = ['rewrite', 'insert', 'prefix'] as const;
const OPTIONS = "'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'preserve', 'httponly', 'secure', 'domain', 'maxidle', 'maxlife' and 'attr'";

/** `maxidle`/`maxlife`: seconds by default, or a time with a unit; at least 1 s. */
function seconds(word: string, value: string | undefined): number | { error: string } {
  if (value === undefined || value === '') return { error: `'${word}' expects <${word === 'maxidle' ? 'idletime' : 'lifetime'}> in seconds as argument` };
  const t = parseTime(/^\d+$/.test(value) ? `${value}s` : value);
  if (!t.ok) return { error: `'${word}': ${t.error}` };
  if (t.value > 0 && t.value < 1000) return { error: `timer underflow in argument <${value}> to <${word}>, minimum non-null value is 1 s` };
  return Math.floor(t.value / 1000);
}

/** One option word (and its value) into `c`: the words used, or an error. */
function readOption(ctx: ProxyContext, c: CookiePersistence, w: string, value: string | undefined): number | { error: string } {
  const flag = FLAGS.find((f) => f === w);
  if (flag !== undefined) {
    c[flag] = true;
    return 1;
  }
  const mode = MODES.find((m) => m === w);
  if (mode !== undefined) {
    if (c.mode !== 'passive' && c.mode !== mode) return { error: "cookie 'rewrite', 'insert' and 'prefix' modes are incompatible" };
    c.mode = mode;
    return 1;
  }
  if (w === 'domain') {
    if (value === undefined || value === '') return { error: "'domain' expects <domain> as argument" };
    const bad = /[^A-Za-z0-9._-]/.exec(value);
    if (bad !== null) return { error: `character '${bad[0]}' is not permitted in domain name '${value}'` };
    if (!value.includes('.')) ctx.warn(`domain '${value}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3)`);
    c.domains.push(value);
    return 2;
  }
  if (w === 'maxidle' || w === 'maxlife') {
    const s = seconds(w, value);
    if (typeof s !== 'number') return s;
    c[w] = s;
    return 2;
  }
  if (w === 'attr') {
    if (value === undefined || value === '') return { error: "'attr' expects <value> as argument" };
    if (/[\x00-\x1f\x7f;]/.test(value)) return { error: `character ';' or a control character is not permitted in attribute value '${value}'` };
    c.attrs.push(value);
    return 2;
  }
  if (w === 'dynamic') return { error: "'cookie … dynamic' is not supported by handoff (dynamic cookies from dynamic-cookie-key); give each server a 'cookie VALUE'" };
  return { error: `'cookie' supports ${OPTIONS} options (got '${w}')` };
}

function parseCookie(ctx: ProxyContext): void {
  const [name, ...words] = ctx.args;
  if (name === undefined || name === '') return ctx.error("'cookie' expects <cookie_name> as argument");
  const c: CookiePersistence = {
    name, mode: 'passive', indirect: false, nocache: false, postonly: false, preserve: false, httponly: false, secure: false,
    domains: [], maxidle: 0, maxlife: 0, attrs: [],
  };
  for (let i = 0; i < words.length; ) {
    const r = readOption(ctx, c, words[i] as string, words[i + 1]);
    if (typeof r !== 'number') return ctx.error(r.error);
    i += r;
  }
  if (c.mode === 'rewrite' && c.indirect) return ctx.error("cookie 'rewrite' and 'indirect' modes are incompatible");
  if (c.preserve && c.mode !== 'insert' && !c.indirect) return ctx.error("cookie 'preserve' requires at least 'insert' or 'indirect'");
  if ((c.maxidle > 0 || c.maxlife > 0) && c.mode !== 'insert') ctx.warn("cookie 'maxidle' and 'maxlife' only apply to 'insert' mode cookies");
  ctx.proxy.cookie = c;
}

/** `force-persist|ignore-persist if|unless COND`: a condition is required (HAProxy). */
function persistRule(kind: 'force' | 'ignore'): ProxyKeyword {
  return {
    name: `${kind}-persist`,
    sections: BACKEND_ONLY,
    parse(ctx) {
      const split = ruleCondition(ctx, ctx.args);
      if (split === undefined) return;
      if (split.cond === undefined || split.head.length > 0) return ctx.error(`'${kind}-persist' requires a rule ('if' or 'unless' followed by a condition)`);
      locateSampleFiles(split.cond, ctx.loc);
      (ctx.proxy.persistRules ??= []).push({ kind, cond: split.cond });
    },
  };
}

export const proxyKeywords: ProxyKeyword[] = [
  persistRule('force'),
  persistRule('ignore'),
  { name: 'cookie', sections: BACKEND_SIDE, parse: parseCookie },
  {
    name: 'option persist',
    sections: BACKEND_SIDE,
    negatable: true,
    parse(ctx) {
      ctx.proxy.persist = !ctx.negated;
    },
  },
];
