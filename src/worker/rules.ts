// Request/response rules: ACL conditions, header rules and redirects, applied to the flat
// `[name, value, name, value…]` header arrays the proxy forwards (Node's rawHeaders shape).
import type { Condition, HeaderRule, Redirect } from '../config/model.ts';

/** What a condition can look at. */
export interface RuleContext {
  ssl: boolean;
  path: string;
  host: string;
  method: string;
}

type Compiled = (ctx: RuleContext) => boolean;
type Predicate = Condition['anyOf'][number][number]['predicate'];

// Conditions are plain config data; each is compiled once, on first use, into a closure with
// its values pre-lowercased, so a request pays no allocation or case folding for the rule side.
const compiled = new WeakMap<Condition, Compiled>();

export function evaluate(cond: Condition | undefined, ctx: RuleContext): boolean {
  if (cond === undefined) return true;
  let fn = compiled.get(cond);
  if (fn === undefined) {
    fn = compileCondition(cond);
    compiled.set(cond, fn);
  }
  return fn(ctx);
}

export function compileCondition(cond: Condition): Compiled {
  const groups = cond.anyOf.map((group) =>
    group.map((term) => {
      const match = compilePredicate(term.predicate);
      return term.negate ? (ctx: RuleContext) => !match(ctx) : match;
    }),
  );
  const any = (ctx: RuleContext): boolean => {
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

function compilePredicate(p: Predicate): Compiled {
  switch (p.fetch) {
    case 'ssl_fc':
      return (ctx) => ctx.ssl;
    case 'always_true':
      return () => true;
    case 'always_false':
      return () => false;
    case 'path':
    case 'path_beg':
    case 'path_end': {
      const fold = p.ignoreCase === true;
      const values = fold ? p.values.map((v) => v.toLowerCase()) : [...p.values];
      const test =
        p.fetch === 'path'
          ? (path: string) => values.includes(path)
          : p.fetch === 'path_beg'
            ? (path: string) => values.some((v) => path.startsWith(v))
            : (path: string) => values.some((v) => path.endsWith(v));
      return fold ? (ctx) => test(ctx.path.toLowerCase()) : (ctx) => test(ctx.path);
    }
    case 'hdr_host': {
      // hdr(host) compares the header value; HAProxy users match the name without the port.
      const values = p.values.map((v) => v.toLowerCase());
      return (ctx) => {
        const host = ctx.host.toLowerCase();
        const bare = stripPort(host);
        return values.includes(host) || values.includes(bare);
      };
    }
    case 'method': {
      // HAProxy matches method names case-insensitively (`method get` matches GET).
      const values = p.values.map((v) => v.toUpperCase());
      return (ctx) => values.includes(ctx.method.toUpperCase());
    }
  }
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Apply header rules in order to a flat header array, in place. */
export function applyHeaderRules(headers: string[], rules: readonly HeaderRule[], ctx: RuleContext): void {
  for (const rule of rules) {
    if (!evaluate(rule.cond, ctx)) continue;
    if (rule.action === 'add-header') {
      headers.push(rule.name, rule.value);
      continue;
    }
    removeHeader(headers, rule.name);
    if (rule.action === 'set-header') headers.push(rule.name, rule.value);
  }
}

export function removeHeader(headers: string[], name: string): void {
  const lower = name.toLowerCase();
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const k = headers[r] as string;
    if (k.length === lower.length && k.toLowerCase() === lower) continue;
    headers[w++] = k;
    headers[w++] = headers[r + 1] as string;
  }
  headers.length = w;
}

/** The first redirect whose condition holds, as `{ code, location }`; undefined when none. */
export function findRedirect(
  redirects: readonly Redirect[],
  ctx: RuleContext,
  url: string,
): { code: number; location: string } | undefined {
  for (const r of redirects) {
    if (!evaluate(r.cond, ctx)) continue;
    switch (r.kind) {
      case 'scheme':
        return { code: r.code, location: `${r.scheme}://${schemeHost(ctx.host, r.scheme, ctx.ssl)}${url}` };
      case 'location':
        return { code: r.code, location: r.target };
      case 'prefix':
        return { code: r.code, location: `${r.target === '/' ? '' : r.target}${url}` };
    }
  }
  return undefined;
}

// HAProxy drops the port when switching scheme only if it was the default one of the old scheme;
// keeping a non-default port would send https to an http port, so we drop it whenever scheme changes.
function schemeHost(host: string, scheme: string, ssl: boolean): string {
  const changes = (scheme === 'https') !== ssl;
  return changes ? stripPort(host) : host;
}
