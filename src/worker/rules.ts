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

export function evaluate(cond: Condition | undefined, ctx: RuleContext): boolean {
  if (cond === undefined) return true;
  let result = false;
  for (const group of cond.anyOf) {
    let all = true;
    for (const term of group) {
      if (matchTerm(term.predicate, ctx) === term.negate) {
        all = false;
        break;
      }
    }
    if (all) {
      result = true;
      break;
    }
  }
  return cond.unless ? !result : result;
}

function matchTerm(p: Condition['anyOf'][number][number]['predicate'], ctx: RuleContext): boolean {
  switch (p.fetch) {
    case 'ssl_fc':
      return ctx.ssl;
    case 'always_true':
      return true;
    case 'always_false':
      return false;
    case 'path':
      return p.values.includes(ctx.path);
    case 'path_beg':
      return p.values.some((v) => ctx.path.startsWith(v));
    case 'path_end':
      return p.values.some((v) => ctx.path.endsWith(v));
    case 'hdr_host': {
      // hdr(host) compares the header value; HAProxy users match the name without the port.
      const host = ctx.host.toLowerCase();
      const bare = stripPort(host);
      return p.values.some((v) => v.toLowerCase() === host || v.toLowerCase() === bare);
    }
    case 'method':
      return p.values.includes(ctx.method);
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
