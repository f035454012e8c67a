// Proxy-wide keywords: mode, limits, routing to backends, ACL definitions, errorfiles, and the
// common HAProxy keywords handoff accepts with a warning.
import { addAcl, addFailedAcl, parsePredicate } from '../condition.ts';
import { ruleCondition } from './rule-condition.ts';
import { locateSampleFiles } from '../sample-files.ts';
import { parseTemplate, templateProblem } from '../template.ts';
import type { RetryCondition, RetryOn, Template } from '../model.ts';
import { parseInteger } from '../units.ts';
import type { Parsed } from '../units.ts';
import type { ProxyKeyword } from './types.ts';
import { ALL_PROXIES, BACKEND_SIDE, FRONTEND_ONLY, FRONTEND_SIDE, PROXIES_ONLY, ignored, refused, unsupported } from './types.ts';

/** Status codes HAProxy accepts in `errorfile`. */
export const ERRORFILE_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

const NAME = /^[A-Za-z0-9_.:-]+$/;

const RETRY_CONDITIONS: readonly RetryCondition[] = ['conn-failure', 'empty-response', 'junk-response', 'response-timeout', '0rtt-rejected'];
/** Status codes HAProxy 2.6 accepts in `retry-on`. */
export const RETRY_STATUSES = [401, 403, 404, 408, 425, 500, 501, 502, 503, 504];
const ALL_RETRYABLE: RetryOn = { conditions: [...RETRY_CONDITIONS], statuses: [500, 502, 503, 504] };

/** `retry-on` words → the expanded set; not cumulative: a new line replaces the previous one. */
export function parseRetryOn(words: readonly string[]): Parsed<RetryOn> {
  if (words.length === 0) return { ok: false, error: "'retry-on' expects at least one event, e.g. 'retry-on conn-failure empty-response 503'" };
  const conditions = new Set<RetryCondition>();
  const statuses = new Set<number>();
  for (const w of words) {
    if (w === 'none') {
      if (words.length > 1) return { ok: false, error: "'retry-on none' must be used alone" };
      return { ok: true, value: { conditions: [], statuses: [] } };
    }
    if (w === 'all-retryable-errors') {
      for (const c of ALL_RETRYABLE.conditions) conditions.add(c);
      for (const st of ALL_RETRYABLE.statuses) statuses.add(st);
    } else if ((RETRY_CONDITIONS as readonly string[]).includes(w)) {
      conditions.add(w as RetryCondition);
    } else if (/^\d{3}$/.test(w) && RETRY_STATUSES.includes(Number(w))) {
      statuses.add(Number(w));
    } else {
      return { ok: false, error: `'retry-on': unknown event '${w}' (expected none, ${RETRY_CONDITIONS.join(', ')}, all-retryable-errors or a status among ${RETRY_STATUSES.join(' ')})` };
    }
  }
  return { ok: true, value: { conditions: RETRY_CONDITIONS.filter((c) => conditions.has(c)), statuses: [...statuses].sort((a, b) => a - b) } };
}

/** A `use_backend` name: a word with `%` is a log-format string resolved per request (as HAProxy reads it). */
function useBackendName(word: string): Parsed<string | Template> {
  if (!word.includes('%')) return { ok: true, value: word };
  const t = parseTemplate(word);
  if (!t.ok) return t;
  const problem = templateProblem(t.value, 'request');
  return problem === undefined ? t : { ok: false, error: problem };
}

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'mode',
    sections: ALL_PROXIES,
    parse(ctx) {
      const m = ctx.args[0];
      if (m === 'health') return ctx.error("'mode health' is not supported (use 'monitor-uri' in http mode)");
      if ((m !== 'http' && m !== 'tcp') || ctx.args.length !== 1) return ctx.error(`'mode' expects http or tcp, got '${ctx.args.join(' ')}'`);
      ctx.proxy.mode = m;
      ctx.proxy.modeLoc = ctx.loc;
    },
  },
  {
    name: 'maxconn',
    sections: FRONTEND_SIDE,
    parse(ctx) {
      const n = parseInteger(ctx.args[0], 0, 10_000_000);
      if (!n.ok || ctx.args.length !== 1) return ctx.error(`'maxconn' ${n.ok ? 'expects one integer' : n.error}`);
      ctx.proxy.maxconn = n.value;
    },
  },
  {
    name: 'retries',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const n = parseInteger(ctx.args[0], 0, 1000);
      if (!n.ok || ctx.args.length !== 1) return ctx.error(`'retries' ${n.ok ? 'expects one integer' : n.error}`);
      ctx.proxy.retries = n.value;
    },
  },
  {
    name: 'retry-on',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const r = parseRetryOn(ctx.args);
      if (!r.ok) return ctx.error(r.error);
      ctx.proxy.retryOn = r.value;
    },
  },
  {
    name: 'default_backend',
    sections: FRONTEND_SIDE,
    parse(ctx) {
      const name = ctx.args[0];
      if (name === undefined || ctx.args.length !== 1) return ctx.error("'default_backend' expects one backend name");
      if (name.includes('%[')) return ctx.error("'default_backend' with a sample expression is not supported; name the backend");
      ctx.proxy.defaultBackend = { name, loc: ctx.loc };
    },
  },
  {
    name: 'use_backend',
    sections: FRONTEND_ONLY,
    strictSections: true,
    parse(ctx) {
      const split = ruleCondition(ctx, ctx.args);
      if (split === undefined) return;
      const [name, ...extra] = split.head;
      if (name === undefined || extra.length > 0) return ctx.error("'use_backend' expects one backend name, then an optional if/unless condition");
      const backend = useBackendName(name);
      if (!backend.ok) return ctx.error(`'use_backend': ${backend.error}`);
      const cond = split.cond;
      if (cond !== undefined) locateSampleFiles(cond, ctx.loc);
      locateSampleFiles(backend.value, ctx.loc);
      ctx.proxy.useBackends.push(cond === undefined ? { backend: backend.value, loc: ctx.loc } : { backend: backend.value, cond, loc: ctx.loc });
    },
  },
  {
    name: 'acl',
    sections: PROXIES_ONLY,
    strictSections: true,
    parse(ctx) {
      const [name, ...rest] = ctx.args;
      if (name === undefined || !NAME.test(name)) return ctx.error(`'acl' expects a name made of letters, digits, '_', '.', ':' or '-'${name === undefined ? '' : `, got '${name}'`}`);
      const pred = parsePredicate(rest);
      if (!pred.ok) {
        // Reported here once; the rules that use the ACL are not reported again.
        addFailedAcl(ctx.proxy.acls, name);
        return ctx.error(`acl '${name}': ${pred.error}`);
      }
      for (const w of pred.value.warnings) ctx.warn(`acl '${name}': ${w}`);
      locateSampleFiles(pred.value.predicates, ctx.loc);
      addAcl(ctx.proxy.acls, name, pred.value.predicates);
    },
  },
  {
    name: 'errorfile',
    sections: ALL_PROXIES,
    parse(ctx) {
      const [code, path, ...extra] = ctx.args;
      if (code === undefined || path === undefined || extra.length > 0) return ctx.error("'errorfile' expects a status code and a file, e.g. 'errorfile 503 /etc/handoff/errors/503.http'");
      if (!/^\d+$/.test(code) || !ERRORFILE_CODES.includes(Number(code))) {
        return ctx.error(`status code '${code}' cannot be customised with errorfile (supported: ${ERRORFILE_CODES.join(' ')})`);
      }
      ctx.proxy.errorfiles[code] = { path, loc: ctx.loc };
    },
  },
  {
    name: 'capture',
    sections: FRONTEND_ONLY,
    parse(ctx) {
      ctx.warn(`'capture ${ctx.args.slice(0, 2).join(' ')}' is accepted but not implemented: captured headers are logged empty (%hr/%hs)`);
    },
  },
  ignored('description', ALL_PROXIES),
  ignored('id', PROXIES_ONLY),
  { name: 'enabled', sections: ALL_PROXIES, parse: (ctx) => void (ctx.proxy.disabled = false) },
  { name: 'disabled', sections: ALL_PROXIES, parse: (ctx) => void (ctx.proxy.disabled = true) },
  ignored('bind-process', ALL_PROXIES),
  ignored('backlog', FRONTEND_SIDE),
  ignored('grace', ALL_PROXIES),
  ignored('max-keep-alive-queue', BACKEND_SIDE),
  unsupported('http-reuse', 'is accepted but ignored: handoff keeps its own per-server connection pools'),
  unsupported('fullconn', 'is ignored (no dynamic server maxconn)'),
  refused('unique-id-format', 'request unique IDs'),
  refused('unique-id-header', 'the unique-ID request header'),
  refused('http-error', 'custom error responses (use errorfile)'),
  refused('rate-limit', 'session rate limits'),
  refused('persist', 'persistence'),
  refused('use-server', 'rules choosing a server'),
  unsupported('email-alert', 'is ignored: handoff sends no e-mail alerts'),
  unsupported('declare', 'is ignored: captures only fill log fields'),
  refused('source', 'a chosen source address towards servers'),
  refused('external-check', 'external health-check programs'),
  refused('dispatch', 'a dispatch address (declare a server instead)'),
];
