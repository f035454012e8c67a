// Options of a keyword line (`bind …`, `server …`) that handoff does not implement: accepted
// without effect, warned (ignoring them changes nothing a client or server sees), refused (it
// would), or unknown to HAProxy too — a misspelling, refused with a "did you mean". One decision
// for every keyword with options.
import { didYouMean } from '../suggest.ts';
import type { ProxyContext } from './types.ts';

export interface UnimplementedOptions {
  /** How a message names the option: `'ssl'` on a bind line, `server option 'ssl'` on a server line. */
  label(word: string): string;
  /** What an unknown option is called in its error: `bind option`, `server option`. */
  kind: string;
  /** Take a value, no effect. */
  ignoredWithValue: ReadonlySet<string>;
  /** Take a value, warned with the reason. */
  warnedWithValue?: Readonly<Record<string, string>>;
  /** Take a value, refused with the reason. */
  refusedWithValue?: Readonly<Record<string, string>>;
  /** No value, no effect. */
  ignoredFlags: ReadonlySet<string>;
  /** No value, warned with the reason. */
  warnedFlags: Readonly<Record<string, string>>;
  /** No value, refused with the reason. */
  refusedFlags?: Readonly<Record<string, string>>;
  /** Every option HAProxy 2.6 has on this line: known but in no list above = refused. */
  haproxy: ReadonlySet<string>;
  /** Options handoff implements, for suggestions. */
  implemented: readonly string[];
}

/** How many words option `word` (with `value` after it) takes, or null after reporting an error. */
export function skipUnimplemented(ctx: ProxyContext, opts: UnimplementedOptions, word: string, value: string | undefined): number | null {
  const why = opts.warnedWithValue?.[word];
  const refused = opts.refusedWithValue?.[word];
  if (refused !== undefined) {
    ctx.error(`${opts.label(word)} ${refused}`);
    return null;
  }
  if (opts.ignoredWithValue.has(word) || why !== undefined) {
    if (value === undefined) {
      ctx.error(`'${word}' expects a value`);
      return null;
    }
    if (why !== undefined) ctx.warn(`${opts.label(word)} ${why}`);
    return 2;
  }
  if (opts.ignoredFlags.has(word)) return 1;
  const flagRefused = opts.refusedFlags?.[word];
  if (flagRefused !== undefined) {
    ctx.error(`${opts.label(word)} ${flagRefused}`);
    return null;
  }
  const flagWhy = opts.warnedFlags[word];
  if (flagWhy !== undefined) {
    ctx.warn(`${opts.label(word)} ${flagWhy}`);
    return 1;
  }
  if (opts.haproxy.has(word)) ctx.error(`${opts.label(word)} is not supported by handoff; refusing to run without what it does (see docs/config.md)`);
  else ctx.error(`unknown ${opts.kind} '${word}'${didYouMean(word, [...opts.implemented, ...opts.haproxy])}`);
  return null;
}
