// Every check made once all lines are read: references between proxies, modes, listening
// addresses, server ports, then what needs the global section (TLS versions) and missing timeouts.
// Problems are reported here with their location; build.ts's toModel then assumes checked drafts.
import { resolversNamed } from './keywords/resolvers.ts';
import { isIP } from 'node:net';
import type { BindDraft, GlobalDraft, ProxyDraft, ProxyKind } from './draft.ts';
import { DEFAULT_TIMEOUTS, defaultBackendOf, hasBackend, hasFrontend } from './draft.ts';
import { checkHttpReferences, dropHttpRules } from './keywords/http-model.ts';
import { diagnostic } from './diagnostics.ts';
import { checkStickReferences } from './stick-refs.ts';
import type { Diagnostic, Location } from './model.ts';
import { bindKey } from './keywords/bind.ts';
import { mergeTlsOptions, resolveTlsVersions } from './keywords/tls.ts';
import { resolveHealthCheck } from './health-resolve.ts';
import { conditionProblem } from './condition.ts';
import { templateProblem } from './template.ts';

/** Listening keys taken so far, and by whom. */
type Bound = Map<string, { proxy: ProxyDraft; loc: Location; host: string; port: number }>;

/** The timeouts a section serves with; a missing one falls back to DEFAULT_TIMEOUTS with a warning. */
const NEEDED_TIMEOUTS: Record<ProxyKind, readonly (keyof typeof DEFAULT_TIMEOUTS)[]> = {
  defaults: [],
  frontend: ['client'],
  backend: ['connect', 'server'],
  listen: ['connect', 'client', 'server'],
};

export function validateProxies(global: GlobalDraft, proxies: readonly ProxyDraft[], diags: Diagnostic[]): void {
  checkHttpReferences(global, proxies, diags);
  checkStickReferences(proxies, diags);
  const backends = new Map<string, ProxyDraft>();
  for (const p of proxies) if (hasBackend(p.kind)) backends.set(p.name, p);
  const bound: Bound = new Map();
  for (const p of proxies) {
    if (hasFrontend(p.kind)) {
      checkBinds(p, bound, diags, global.config.statsSockets);
      numberListeners(p, diags);
      checkRoutes(p, backends, diags);
      if (p.mode === 'tcp') dropHttpOnly(p, backends, diags);
    }
    // HTTP-only options inherited by a tcp proxy have no meaning there (HAProxy ignores them too).
    if (p.mode === 'tcp') {
      p.forwardFor = false;
      delete p.forwardForHeader;
      if (hasBackend(p.kind)) dropHttpPersistence(p, diags);
    }
    if (p.kind === 'backend' && p.stats.enabled && p.stats.loc !== undefined && p.stats.loc.line > p.loc.line) {
      diags.push(diagnostic('warning', p.stats.loc, "the stats page is served by frontend and listen sections only; in a backend it is ignored"));
    }
    if (hasBackend(p.kind)) {
      checkServerPorts(p, diags);
      checkResolvers(global, p, diags);
      resolveChecks(p, diags);
    }
  }
  // A second pass: TLS versions and missing timeouts are reported after every cross-check.
  for (const p of proxies) {
    if (hasFrontend(p.kind)) for (const b of p.binds) if (b.ssl) resolveBindTls(global, b, diags);
    warnMissingTimeouts(p, diags);
  }
}

/** Two different hosts on one port collide when one is a wildcard covering the other. */
function overlaps(a: string, b: string): boolean {
  if (a === b) return false;
  // `::` is dual-stack in Node.js: it covers every IPv4 and IPv6 address.
  if (a === '::' || b === '::') return isIP(a) !== 0 && isIP(b) !== 0;
  if (a === '0.0.0.0') return isIP(b) === 4;
  if (b === '0.0.0.0') return isIP(a) === 4;
  return false;
}

/** A frontend listens somewhere, TLS only in http mode, and each listening key is taken once. */
function checkBinds(p: ProxyDraft, bound: Bound, diags: Diagnostic[], statsSockets: readonly { path: string; loc: Location }[] = []): void {
  if (p.binds.length === 0 && p.hasBindLine !== true) {
    // HAProxy's warning, in its words: such a proxy never receives a connection.
    diags.push(diagnostic('warning', p.loc, `${p.kind} '${p.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`));
  }
  for (const b of p.binds) {
    if (b.ssl && p.mode === 'tcp') {
      diags.push(diagnostic('error', b.loc, `${p.kind} '${p.name}' is in tcp mode: handoff terminates TLS only in http mode; use 'mode http', or pass TLS through by removing 'ssl'`));
    }
    const prev = bound.get(b.key);
    if (prev !== undefined) {
      diags.push(diagnostic('error', b.loc, `address ${b.key} is already bound by ${prev.proxy.kind} '${prev.proxy.name}' at ${prev.loc.file}:${prev.loc.line}`));
      continue;
    }
    if (b.unix !== undefined) {
      const file = b.unix.path;
      const stats = statsSockets.find((st) => st.path === file);
      if (stats !== undefined) diags.push(diagnostic('error', b.loc, `address ${b.key} is also the path of the 'stats socket' at ${stats.loc.file}:${stats.loc.line}`));
      bound.set(b.key, { proxy: p, loc: b.loc, host: b.host, port: b.port });
      continue;
    }
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

/**
 * HAProxy's listener ids (`luid`, what `%cp` logs for a unix socket's clients): `id N` where given,
 * the others numbered in order, each taking the first id not used at or after its position.
 */
function numberListeners(p: ProxyDraft, diags: Diagnostic[]): void {
  const used = new Map<number, BindDraft>();
  for (const b of p.binds) {
    if (b.id === undefined) continue;
    const prev = used.get(b.id);
    if (prev !== undefined) diags.push(diagnostic('error', b.loc, `'bind' : custom id ${b.id} already used at ${prev.loc.file}:${prev.loc.line} ('bind ${prev.key}')`));
    else used.set(b.id, b);
    b.luid = b.id;
  }
  let next = 1;
  for (const b of p.binds) {
    if (b.id === undefined) {
      while (used.has(next)) next++;
      b.luid = next;
      used.set(next, b);
    }
    next++;
  }
}

/** `default_backend` and every `use_backend` name a backend; an http frontend's must be http (a tcp frontend's may be: HAProxy upgrades the connection). */
function checkRoutes(p: ProxyDraft, backends: ReadonlyMap<string, ProxyDraft>, diags: Diagnostic[]): void {
  const refs: { name: string; loc: Location; what: string }[] = [];
  const byDefault = defaultBackendOf(p);
  if (byDefault !== undefined && !byDefault.own) refs.push({ name: byDefault.name, loc: byDefault.loc, what: 'default_backend' });
  for (const u of p.useBackends) if (typeof u.backend === 'string') refs.push({ name: u.backend, loc: u.loc, what: 'use_backend' });
  if (p.mode === 'tcp') checkTcpRoutes(p, diags);
  for (const r of refs) {
    const be = backends.get(r.name);
    if (be === undefined) {
      diags.push(diagnostic('error', r.loc, `${r.what} '${r.name}' of ${p.kind} '${p.name}': no such backend`));
      continue;
    }
    if (p.mode === 'http' && be.mode === 'tcp') {
      // HAProxy's words; its `proxy` is a listen section.
      const how = r.what === 'default_backend' ? 'as its default backend' : "in a 'use_backend' rule";
      const kind = p.kind === 'listen' ? 'proxy' : p.kind;
      diags.push(diagnostic('error', r.loc, `http ${kind} '${p.name}' (${at(p.loc)}) tries to use incompatible tcp backend '${be.name}' (${at(be.loc)}) ${how} (see 'mode').`));
    }
  }
  const answers = (r: { cond?: unknown; action?: string }): boolean => r.cond === undefined && ['deny', 'tarpit', 'return', 'redirect', 'auth', 'reject'].includes(r.action ?? 'redirect');
  const routes = refs.length > 0 || p.useBackends.length > 0 || byDefault?.own === true || p.redirects.some(answers) || p.httpRequest.some(answers) || p.stats.enabled;
  if (!routes && p.binds.length > 0) {
    diags.push(diagnostic('warning', p.loc, `${p.kind} '${p.name}' has no default_backend: requests no rule routes get a 503`));
  }
}

/** A tcp frontend's `use_backend` rules can read only the connection (handoff does not inspect TCP content). */
function checkTcpRoutes(p: ProxyDraft, diags: Diagnostic[]): void {
  for (const u of p.useBackends) {
    const problem = (u.cond === undefined ? undefined : conditionProblem(u.cond, 'tcp')) ?? (typeof u.backend === 'string' ? undefined : templateProblem(u.backend, 'tcp'));
    if (problem !== undefined) diags.push(diagnostic('error', u.loc, `use_backend in ${p.kind} '${p.name}': ${problem}`));
  }
}

function at(loc: Location): string {
  return `${loc.file}:${loc.line}`;
}

/**
 * A tcp frontend has no stats page and logs in tcplog format (each dropped with a warning). Its
 * HTTP rules, redirects and monitor-uri are dropped too, unless it may route to an http backend:
 * HAProxy then runs them on the connections it upgrades to HTTP (while warning they are ignored).
 */
function dropHttpOnly(p: ProxyDraft, backends: ReadonlyMap<string, ProxyDraft>, diags: Diagnostic[]): void {
  if (p.stats.enabled) diags.push(diagnostic('warning', p.stats.loc ?? p.loc, `stats page ignored: ${p.kind} '${p.name}' is in tcp mode`));
  p.stats.enabled = false;
  if (p.logOption !== undefined && p.logOption.kind !== 'tcplog') {
    diags.push(diagnostic('warning', p.logOption.loc, `'option httplog' not usable with ${p.kind} '${p.name}' (needs 'mode http'). Falling back to 'option tcplog'.`));
    p.logOption = { kind: 'tcplog', loc: p.logOption.loc };
  }
  if (!mayUpgrade(p, backends)) {
    dropHttpRules(p, diags);
    return;
  }
  const only = 'applies only to connections routed to an http backend (served as HTTP, as HAProxy does)';
  for (const r of [...p.httpRequest, ...p.httpResponse, ...p.httpAfterResponse, ...p.redirects]) diags.push(diagnostic('warning', r.loc, `HTTP rule of tcp ${p.kind} '${p.name}': it ${only}`));
  if (p.monitor !== undefined) diags.push(diagnostic('warning', p.loc, `'monitor-uri' of tcp ${p.kind} '${p.name}' ${only}`));
}

/** A tcp backend has no cookie persistence and no layer-7 hash (HAProxy's warnings, round robin instead). */
function dropHttpPersistence(p: ProxyDraft, diags: Diagnostic[]): void {
  if (p.cookie !== undefined) diags.push(diagnostic('warning', p.loc, `cookie will be ignored for ${p.kind} '${p.name}' (needs 'mode http').`));
  delete p.cookie;
  if (p.balance === 'uri' || p.balance === 'url_param' || p.balance === 'hdr') {
    diags.push(diagnostic('warning', p.loc, `Layer 7 hash not possible for ${p.kind} '${p.name}' (needs 'mode http'). Falling back to round robin.`));
    p.balance = 'roundrobin';
    p.balanceOptions = {};
  }
}

/** Whether a tcp frontend may route a connection to an http backend (a dynamic name may name one). */
function mayUpgrade(p: ProxyDraft, backends: ReadonlyMap<string, ProxyDraft>): boolean {
  const isHttp = (name: string): boolean => backends.get(name)?.mode === 'http';
  if (p.useBackends.some((u) => typeof u.backend !== 'string' || isHttp(u.backend))) return true;
  const byDefault = defaultBackendOf(p);
  return byDefault !== undefined && !byDefault.own && isHttp(byDefault.name);
}

/** The backend's health-check lines become the ruleset its checks run. */
function resolveChecks(p: ProxyDraft, diags: Diagnostic[]): void {
  const r = resolveHealthCheck(p.checks, p.name, p.loc);
  p.healthCheck = r.check;
  for (const w of r.warnings) diags.push(diagnostic('warning', w.loc, w.message));
}

/** `server … resolvers R` names a resolvers section. */
function checkResolvers(global: GlobalDraft, p: ProxyDraft, diags: Diagnostic[]): void {
  for (const s of p.servers) {
    const r = s.dns?.resolvers;
    if (r !== undefined && resolversNamed(global.resolvers, r) === undefined) diags.push(diagnostic('error', s.loc, `server '${s.name}': no resolvers section named '${r}'`));
  }
}

function checkServerPorts(p: ProxyDraft, diags: Diagnostic[]): void {
  for (const s of p.servers) {
    if (s.port !== undefined) continue;
    // HAProxy maps the client's destination port; handoff does it for tcp-mode connections only.
    if (p.mode === 'http') diags.push(diagnostic('error', s.loc, `server '${s.name}' has no port: handoff maps the client's destination port onto a server in mode tcp only; write '${s.host}:PORT'`));
    else if (s.check && s.checkPort === undefined) diags.push(diagnostic('error', s.loc, `proxy '${p.name}': server '${s.name}' has neither service port nor check port.`));
  }
}

/** An ssl bind's options over `ssl-default-bind-*`, resolved into `b.resolvedTls` when they leave a version range. */
function resolveBindTls(global: GlobalDraft, b: BindDraft, diags: Diagnostic[]): void {
  const options = mergeTlsOptions(global.sslDefaultBind, b.tls);
  const versions = resolveTlsVersions(options);
  if (!versions.ok) {
    diags.push(diagnostic('error', b.loc, versions.error));
    return;
  }
  if (versions.warning !== undefined) diags.push(diagnostic('warning', b.loc, versions.warning));
  b.resolvedTls = { options, versions: versions.value };
}

function warnMissingTimeouts(p: ProxyDraft, diags: Diagnostic[]): void {
  const missing = NEEDED_TIMEOUTS[p.kind].filter((k) => p.timeouts[k] === undefined);
  if (missing.length === 0) return;
  const list = missing.map((k) => `'timeout ${k}' (using ${DEFAULT_TIMEOUTS[k] / 1000}s)`).join(', ');
  diags.push(diagnostic('warning', p.loc, `missing timeouts for ${p.kind} '${p.name}': ${list}; set them, e.g. in the defaults section`));
}
