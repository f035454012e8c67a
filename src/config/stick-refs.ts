// The tables `track-scN` rules name (their own proxy's when no `table T` is given) must exist.
import type { ProxyDraft } from './draft.ts';
import { diagnostic } from './diagnostics.ts';
import type { Diagnostic } from './model.ts';

export function checkStickReferences(proxies: readonly ProxyDraft[], diags: Diagnostic[]): void {
  const tables = new Set(proxies.flatMap((p) => (p.stickTable === undefined ? [] : [p.name])));
  for (const p of proxies) {
    for (const r of p.stickRules ?? []) {
      if (p.mode === 'tcp' && r.kind === 'store-response') diags.push(diagnostic('error', r.loc, `'stick store-response' in tcp ${p.kind} '${p.name}' is not supported by handoff: a tcp backend reads no response (use 'stick on' or 'stick store-request')`));
      if (!tables.has(r.table)) diags.push(diagnostic('error', r.loc, `'stick ${r.kind}': ${r.table === p.name ? `${p.kind} '${p.name}' has no stick-table (declare one, e.g. 'stick-table type ip size 200k expire 30m')` : `unable to find table '${r.table}'`}`));
    }
    if (p.mode === 'tcp') {
      for (const r of p.contentTracks ?? []) diags.push(diagnostic('error', r.loc, `'tcp-request content track-sc*' in tcp ${p.kind} '${p.name}' is not supported by handoff yet: stick counters are tracked for HTTP requests only; refusing to run without them`));
    }
    const rules = [...p.httpRequest.map((r) => ({ r, kw: 'http-request' })), ...(p.tcpConnection ?? []).map((r) => ({ r, kw: 'tcp-request connection' }))];
    for (const { r, kw } of rules) {
      if (r.action !== 'track-sc' || tables.has(r.table)) continue;
      const own = r.table === p.name;
      diags.push(diagnostic('error', r.loc, own
        ? `'${kw} track-sc${r.slot}': ${p.kind} '${p.name}' has no stick-table (declare one, e.g. 'stick-table type ip size 100k expire 30s store http_req_rate(10s)', or name another proxy's with 'table <name>')`
        : `'${kw} track-sc${r.slot}': unable to find table '${r.table}' (no proxy of that name declares a stick-table)`));
    }
  }
}
