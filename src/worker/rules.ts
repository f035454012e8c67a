// ACL conditions and `use_backend` routing. The rules themselves run in actions.ts.
// Conditions are evaluated by the sample engine (sample.ts, match.ts): each predicate is compiled
// once per configuration, on first use, into a function of the request.
import type { Condition, Frontend, Mode, PatternFile, Predicate } from '../config/model.ts';
import { compileLookup, toBool } from './match.ts';
import { compileSample, renderTemplate, type SampleContext } from './sample.ts';

export type { SampleContext };

/** What conditions, header rules and redirects look at: samples, and the Host for redirects. */
export interface RuleContext extends SampleContext {
  host: string;
}

type Compiled = (ctx: SampleContext) => boolean;

const compiled = new WeakMap<Condition, Compiled>();

/** Whether a condition holds (no condition: it does). Compiled on first use, kept with the condition. */
export function evaluate(cond: Condition | undefined, ctx: SampleContext): boolean {
  if (cond === undefined) return true;
  let fn = compiled.get(cond);
  if (fn === undefined) {
    fn = compileCondition(cond);
    compiled.set(cond, fn);
  }
  return fn(ctx);
}

/** OR of AND-groups of terms; a term is an ACL: any of its predicates (negated as a whole). */
export function compileCondition(cond: Condition): Compiled {
  const groups = cond.anyOf.map((group) =>
    group.map((term) => {
      const preds = term.anyOf.map(compilePredicate);
      const one = preds.length === 1 ? (preds[0] as Compiled) : (ctx: SampleContext) => preds.some((p) => p(ctx));
      return term.negate ? (ctx: SampleContext) => !one(ctx) : one;
    }),
  );
  const any = (ctx: SampleContext): boolean => {
    for (const group of groups) {
      let all = true;
      for (const term of group) {
        if (!term(ctx)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  };
  return cond.unless ? (ctx) => !any(ctx) : any;
}

const NEVER: Compiled = () => false;

/** A predicate: the sample (every occurrence) against its patterns, files' patterns first; rebuilt
 * when the runtime API changes one of its files (`add acl` …). */
export function compilePredicate(p: Predicate): Compiled {
  const files = p.files;
  if (files === undefined || files.length === 0) return compilePatterns(p);
  let seen = files.map((f) => f.rev);
  let fn = compilePatterns(p);
  const changed = (): boolean => {
    for (let i = 0; i < files.length; i++) if ((files[i] as PatternFile).rev !== seen[i]) return true;
    return false;
  };
  return (ctx) => {
    if (changed()) {
      seen = files.map((f) => f.rev);
      fn = compilePatterns(p);
    }
    return fn(ctx);
  };
}

function compilePatterns(p: Predicate): Compiled {
  const sample = compileSample(p.sample);
  if (p.match === 'found') return sample.any(() => true);
  if (p.match === 'bool') return sample.any(toBool);
  const patterns = [...(p.files ?? []).flatMap((f) => f.patterns.map((x) => x.text)), ...p.patterns];
  // configuration.txt 7.1: an ACL without patterns never matches.
  if (patterns.length === 0) return NEVER;
  const groups = p.sample.userlist;
  if (p.sample.fetch === 'http_auth_group' && p.sample.convs.length === 0 && groups !== undefined) {
    // configuration.txt http_auth_group: the patterns are groups the authenticated user must be in one of.
    const wanted = new Set(patterns);
    const member = new Map(groups.users.map((u) => [u.name, u.groups.some((g) => wanted.has(g))]));
    return sample.any((v) => member.get(String(v)) === true);
  }
  const lookup = compileLookup(p.match, patterns, p.ignoreCase === true);
  return sample.any((v) => lookup(v) >= 0);
}

/**
 * The backend a request or TCP session goes to: the first `use_backend` whose condition holds,
 * else `default_backend`. A dynamic name (`use_backend %[…]`) that names no backend falls to
 * default_backend, as in HAProxy; one of another mode is returned (a tcp frontend's connection
 * is then served as HTTP; an http frontend's request is closed, see chooseBackend).
 */
export function routeBackend<B extends { backend: { mode: Mode } }>(f: Frontend, backends: ReadonlyMap<string, B>, ctx: SampleContext): B | undefined {
  for (const u of f.useBackends) {
    if (!evaluate(u.cond, ctx)) continue;
    if (typeof u.backend === 'string') return backends.get(u.backend);
    const be = backends.get(renderTemplate(u.backend, ctx));
    if (be !== undefined) return be;
    break;
  }
  return f.defaultBackend === undefined ? undefined : backends.get(f.defaultBackend);
}
