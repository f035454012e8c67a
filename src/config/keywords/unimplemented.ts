// Options of a keyword line (`bind …`, `server …`) that handoff does not implement: accepted
// without effect, warned, or unknown. One decision for every keyword with options.
import type { ProxyContext } from './types.ts';

export interface UnimplementedOptions {
  /** How a warning names the option: `'ssl'` on a bind line, `server option 'ssl'` on a server line. */
  label(word: string): string;
  /** What an unknown option is called in its warning: `bind option`, `server option`. */
  kind: string;
  /** Take a value, no effect. */
  ignoredWithValue: ReadonlySet<string>;
  /** Take a value, warned with the reason. */
  warnedWithValue?: Readonly<Record<string, string>>;
  /** No value, no effect. */
  ignoredFlags: ReadonlySet<string>;
  /** No value, warned with the reason. */
  warnedFlags: Readonly<Record<string, string>>;
}

/** How many words option `word` (with `value` after it) takes, or null after reporting an error. */
export function skipUnimplemented(ctx: ProxyContext, opts: UnimplementedOptions, word: string, value: string | undefined): number | null {
  const why = opts.warnedWithValue?.[word];
  if (opts.ignoredWithValue.has(word) || why !== undefined) {
    if (value === undefined) {
      ctx.error(`'${word}' expects a value`);
      return null;
    }
    if (why !== undefined) ctx.warn(`${opts.label(word)} ${why}`);
    return 2;
  }
  if (opts.ignoredFlags.has(word)) return 1;
  const flagWhy = opts.warnedFlags[word];
  ctx.warn(flagWhy === undefined ? `unknown ${opts.kind} '${word}', ignored` : `${opts.label(word)} ${flagWhy}`);
  return 1;
}
