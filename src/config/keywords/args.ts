// Argument shapes several keyword modules share.
import type { LineContext } from './types.ts';

/** The keyword's only argument, or an error naming the keyword (undefined). */
export function oneArg(ctx: LineContext): string | undefined {
  const v = ctx.args[0];
  if (v === undefined || ctx.args.length !== 1) {
    ctx.error(`'${ctx.keyword}' expects exactly one argument (escape spaces with '\\ ' or quote)`);
    return undefined;
  }
  return v;
}
