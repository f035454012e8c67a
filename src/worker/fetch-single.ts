// A fetch with at most one value per request: the shape most fetches share.
import type { CompiledFetch } from './fetches.ts';
import type { SampleValue } from './match.ts';
import type { SampleContext } from './sample.ts';

export function single(one: (ctx: SampleContext) => SampleValue | undefined): CompiledFetch {
  return {
    one,
    each(ctx, visit) {
      const v = one(ctx);
      return v !== undefined && visit(v, ctx);
    },
  };
}
