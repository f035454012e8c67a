// HAProxy's numeric proxy and server ids (`iid`/`sid` of `show stat`, `be_id`/`srv_id` of the server
// state file): proxies are numbered in declaration order from 1, or from 2 when the global section
// declares a `stats socket` (HAProxy's CLI proxy, GLOBAL, then holds 1), a listen section's two
// halves sharing one; servers from 1 in their backend.
import type { Config, Location } from './model.ts';

/** Proxy name → HAProxy's id (`be_id`, `iid`). */
export function proxyIds(config: Config): Map<string, number> {
  const fileOrder = new Map<string, number>();
  const all: { name: string; loc: Location }[] = [...config.frontends, ...config.backends].map((p) => ({ name: p.name, loc: p.loc }));
  for (const p of all) if (!fileOrder.has(p.loc.file)) fileOrder.set(p.loc.file, fileOrder.size);
  all.sort((a, b) => (fileOrder.get(a.loc.file) ?? 0) - (fileOrder.get(b.loc.file) ?? 0) || a.loc.line - b.loc.line);
  const ids = new Map<string, number>();
  let next = config.global.statsSockets.length > 0 ? 2 : 1;
  for (const p of all) if (!ids.has(p.name)) ids.set(p.name, next++);
  return ids;
}
