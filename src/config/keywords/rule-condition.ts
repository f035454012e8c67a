// A rule line's words split at `if` / `unless`: the words before it and the parsed condition,
// with the condition's warnings and error reported at the line. One reader for every keyword
// that takes a condition (http-request…, use_backend, monitor fail).
import { splitCondition } from '../condition.ts';
import type { Condition } from '../model.ts';
import type { SampleWhere } from '../sample.ts';
import type { ProxyContext } from './types.ts';

export function ruleCondition(ctx: ProxyContext, words: readonly string[], where: SampleWhere = 'request'): { head: string[]; cond?: Condition } | undefined {
  const r = splitCondition(words, ctx.proxy.acls, where);
  if (!r.ok) {
    ctx.error(r.error);
    return undefined;
  }
  for (const w of r.value.warnings ?? []) ctx.warn(w);
  return r.value;
}
