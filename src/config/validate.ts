// Cross-section checks that need the whole configuration: references between proxies, modes,
// listening addresses, and server addresses.
import type { ProxyDraft } from './draft.ts';
import { diagnostic } from './diagnostics.ts';
import type { Diagnostic, Location } from './model.ts';
import { isIP } from 'node:net';
import { bindKey } from './keywords/bind.ts';

/** Two different hosts on one port collide when one is a wildcard covering the other. */
function overlaps(a: string, b: string): boolean {
  if (a === b) return false;
  // `::` is dual-stack in Node.js: it covers every IPv4 and IPv6 address.
  if (a === '::' || b === '::') return isIP(a) !== 0 && isIP(b) !== 0;
  if (a === '0.0.0.0') return isIP(b) === 4;
  if (b === '0.0.0.0') return isIP(a) === 4;
  return false;
}

export function validateProxies(proxies: readonly ProxyDraft[], diags: Diagnostic[]): void {
  const backends = new Map<string, ProxyDraft>();
  for (const p of proxies) if (p.kind === 'backend' || p.kind === 'listen') backends.set(p.name, p);
  const bound = new Map<string, { proxy: ProxyDraft; loc: Location; host: string; port: number }>();

  for (const p of proxies) {
    const isFrontend = p.kind === 'frontend' || p.kind === 'listen';
    if (isFrontend) {
      if (p.binds.length === 0 && p.hasBindLine !== true) {
        diags.push(diagnostic('error', p.loc, `${p.kind} '${p.name}' has no 'bind' line; declare it as a backend if it is not meant to listen`));
      }
      for (const b of p.binds) {
        if (b.ssl && p.mode === 'tcp') {
          diags.push(diagnostic('error', b.loc, `${p.kind} '${p.name}' is in tcp mode: handoff terminates TLS only in http mode; use 'mode http', or pass TLS through by removing 'ssl'`));
        }
        const prev = bound.get(b.key);
        if (prev !== undefined) {
          diags.push(diagnostic('error', b.loc, `address ${b.key} is already bound by ${prev.proxy.kind} '${prev.proxy.name}' at ${prev.loc.file}:${prev.loc.line}`));
        } else {
          const overlap = [...bound.values()].find((o) => o.port === b.port && overlaps(o.host, b.host));
          if (overlap !== undefined) {
            diags.push(
              diagnostic(
                'warning',
                b.loc,
                `address ${b.key} overlaps ${bindKey(overlap.host, overlap.port)} bound by ${overlap.proxy.kind} '${overlap.proxy.name}' at ${overlap.loc.file}:${overlap.loc.line}; Linux refuses to bind both (EADDRINUSE) unless SO_REUSEPORT is used`,
              ),
            );
          }
          bound.set(b.key, { proxy: p, loc: b.loc, host: b.host, port: b.port });
        }
      }
      const refs: { name: string; loc: Location; what: string }[] = [];
      const ownDefault = p.kind === 'listen' && (p.defaultBackend === undefined || p.defaultBackend.inherited === true);
      if (p.defaultBackend !== undefined && !ownDefault) refs.push({ name: p.defaultBackend.name, loc: p.defaultBackend.loc, what: 'default_backend' });
      for (const u of p.useBackends) refs.push({ name: u.backend, loc: u.loc, what: 'use_backend' });
      for (const r of refs) {
        const be = backends.get(r.name);
        if (be === undefined) {
          diags.push(diagnostic('error', r.loc, `${r.what} '${r.name}' of ${p.kind} '${p.name}': no such backend`));
          continue;
        }
        if (be.mode !== p.mode) {
          diags.push(
            diagnostic('error', r.loc, `${p.kind} '${p.name}' is in ${p.mode} mode but ${r.what} '${r.name}' is in ${be.mode} mode; both must use the same mode`),
          );
        }
      }
      const routes = refs.length > 0 || ownDefault || p.redirects.some((r) => r.cond === undefined) || p.stats.enabled;
      if (!routes && p.binds.length > 0) {
        diags.push(diagnostic('warning', p.loc, `${p.kind} '${p.name}' has no default_backend: requests no rule routes get a 503`));
      }
      if (p.mode === 'tcp') {
        const httpOnly = [...p.requestRules, ...p.responseRules].map((r) => r.loc).concat(p.redirects.map((r) => r.loc));
        for (const loc of httpOnly) diags.push(diagnostic('warning', loc, `HTTP rule ignored: ${p.kind} '${p.name}' is in tcp mode`));
        p.requestRules = [];
        p.responseRules = [];
        p.redirects = [];
        if (p.stats.enabled) diags.push(diagnostic('warning', p.stats.loc ?? p.loc, `stats page ignored: ${p.kind} '${p.name}' is in tcp mode`));
        p.stats.enabled = false;
      }
    }
    // HTTP-only options inherited by a tcp proxy have no meaning there (HAProxy ignores them too).
    if (p.mode === 'tcp') {
      p.forwardFor = false;
      delete p.forwardForHeader;
    }
    if (p.kind === 'backend' && p.stats.enabled && p.stats.loc !== undefined && p.stats.loc.line > p.loc.line) {
      diags.push(diagnostic('warning', p.stats.loc, "the stats page is served by frontend and listen sections only; in a backend it is ignored"));
    }
    if (p.kind === 'backend' || p.kind === 'listen') {
      for (const s of p.servers) {
        if (s.port === undefined) {
          diags.push(diagnostic('error', s.loc, `server '${s.name}' has no port; write '${s.host}:PORT' (handoff always needs the server port${p.mode === 'http' ? ' in http mode' : ''})`));
        }
      }
    }
  }
}
