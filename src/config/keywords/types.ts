// The keyword table contract: each subsystem exports the keywords it owns with the sections they
// are valid in and a parse function that fills the section's draft or reports a located problem.
import type { GlobalDraft, ProxyDraft, ProxyKind } from '../draft.ts';
import type { Location } from '../model.ts';

export interface Reporter {
  warn(message: string): void;
  error(message: string): void;
}

export interface LineContext extends Reporter {
  /** The keyword as matched, e.g. `timeout client` or `bind`. */
  keyword: string;
  /** Words after the keyword. */
  args: string[];
  /** The line started with `no` (e.g. `no option httpclose`, `no log`). */
  negated: boolean;
  loc: Location;
  global: GlobalDraft;
}

export interface ProxyContext extends LineContext {
  proxy: ProxyDraft;
}

/** What handoff does with a keyword, for `handoff check --keywords` and docs/config.md. Absent: implemented. */
export type KeywordStatus = { kind: 'ignored' } | { kind: 'warned' | 'refused'; why: string };

export interface GlobalKeyword {
  name: string;
  status?: KeywordStatus;
  negatable?: boolean;
  parse(ctx: LineContext): void;
}

export interface ProxyKeyword {
  name: string;
  status?: KeywordStatus;
  sections: readonly ProxyKind[];
  negatable?: boolean;
  /** Using the keyword in another section is an error (else a warning and the line is ignored). */
  strictSections?: boolean;
  parse(ctx: ProxyContext): void;
}

export const ALL_PROXIES: readonly ProxyKind[] = ['defaults', 'frontend', 'backend', 'listen'];
export const FRONTEND_SIDE: readonly ProxyKind[] = ['defaults', 'frontend', 'listen'];
export const BACKEND_SIDE: readonly ProxyKind[] = ['defaults', 'backend', 'listen'];
/** Keywords that name things of one proxy and make no sense in `defaults`. */
export const FRONTEND_ONLY: readonly ProxyKind[] = ['frontend', 'listen'];
export const BACKEND_ONLY: readonly ProxyKind[] = ['backend', 'listen'];
export const PROXIES_ONLY: readonly ProxyKind[] = ['frontend', 'backend', 'listen'];

/** Keywords accepted and deliberately ignored (no effect on traffic in handoff). */
export function ignored(name: string, sections: readonly ProxyKind[] = ALL_PROXIES, negatable = false): ProxyKeyword {
  return { name, sections, negatable, status: { kind: 'ignored' }, parse() {} };
}

/** Keywords HAProxy has that handoff does not implement and that change traffic: an error saying what is missing. */
export function refused(name: string, what: string, sections: readonly ProxyKind[] = ALL_PROXIES): ProxyKeyword {
  return { name, sections, negatable: true, status: { kind: 'refused', why: what }, parse: (ctx) => ctx.error(`'${ctx.keyword}' is not supported by handoff: ${what}; refusing to run without it`) };
}

/** Keywords accepted with a warning explaining what handoff does instead (ignoring them changes no traffic). */
export function unsupported(name: string, why: string, sections: readonly ProxyKind[] = ALL_PROXIES): ProxyKeyword {
  return { name, sections, negatable: true, status: { kind: 'warned', why }, parse: (ctx) => ctx.warn(`'${ctx.keyword}' ${why}`) };
}
