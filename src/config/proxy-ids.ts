// HAProxy's numeric proxy and server ids (`iid`/`sid` of `show stat`, `be_id`/`srv_id` of the server
// state file): proxies are numbered from 2 in declaration order (HAProxy's internal CLI proxy
// holds 1), a listen section's two halves sharing one; servers from 1 in their backend.
import type { Config, Location } from './model.ts';

/** Proxy name → HAProxy's id (`be_id`, `iid`). */
export function proxyIds(config: Config): Map<string, number> {
  const fileOrder = new Map<string, number>();
  const all: { name: string; loc: Location }[] = [...config.frontends, ...config.backends].map((p) => ({ name: p.name, loc: p.loc }));
  for (const p of all) if (!fileOrder.has(p.loc.file)) fileOrder.set(p.loc.file, fileOrder.size);
  all.sort((a, b) => (fileOrder.get(a.loc.file) ?? 0) - (fileOrder.get(b.loc.file) ?? 0) || a.loc.line - b.loc.line);
  const ids = new Map<string, number>();
  let next = 2;
  for (const p of all) if (!ids.has(p.name)) ids.set(p.name, next++);
  return ids;
}
