// Pure second stage: sections → drafts (through the keyword tables) → the plain-data model.
// Paths are resolved here but files are not read: load.ts fills certificates and errorfiles in.
import { isAbsolute, resolve } from 'node:path';
import type { BindDraft, GlobalDraft, ProxyDraft, ProxyKind } from './draft.ts';
import { builtinDefaults, newGlobalDraft, proxyFromDefaults } from './draft.ts';
import { diagnostic } from './diagnostics.ts';
import type {
  Backend, Bind, Config, Diagnostic, Frontend, Location, LogTarget, Server, Timeouts, TlsBind, TlsCertificate,
} from './model.ts';
import type { ParsedConfig, RawLine, RawSection } from './parse.ts';
import { CLF_FORMAT, HTTPLOG_FORMAT, TCPLOG_FORMAT } from './logformat.ts';
import { FAMILIES, GLOBAL_KEYWORDS, lookup, PROXY_KEYWORDS } from './keywords/index.ts';
import { applyBindOptions, parseBindAddresses } from './keywords/bind.ts';
import { DEFAULT_STATS_REALM, DEFAULT_STATS_URI } from './keywords/stats.ts';
import { mergeTlsOptions, resolveTlsVersions } from './keywords/tls.ts';
import type { LineContext, ProxyContext, Reporter } from './keywords/types.ts';
import { validateProxies } from './validate.ts';

/** Used when a proxy sets no timeout, as HAProxy's sample configurations do (documented). */
export const DEFAULT_TIMEOUTS = { connect: 5000, client: 50_000, server: 50_000 } as const;

export interface BuildOptions {
  /** Directory relative paths resolve against (the main config file's directory). */
  baseDir: string;
  /** Absolute path recorded as `Config.file`. */
  file: string;
  workersOverride?: number;
  /** `haproxy -n`: overrides the global `maxconn`. */
  maxconnOverride?: number;
  /** `haproxy -N`: the `maxconn` of a frontend that sets none. */
  defaultProxyMaxconn?: number;
}

export interface CertRef {
  cert: TlsCertificate;
  /** The bind the certificate belongs to (a `crt` naming a directory expands into several). */
  tls: TlsBind;
  loc: Location;
}

export interface ErrorfileRef {
  target: Record<string, string>;
  code: string;
  path: string;
  loc: Location;
}

export interface BuildResult {
  config: Config;
  diagnostics: Diagnostic[];
  certRefs: CertRef[];
  errorfileRefs: ErrorfileRef[];
}

function reporter(diags: Diagnostic[], loc: Location): Reporter {
  return {
    warn: (message) => diags.push(diagnostic('warning', loc, message)),
    error: (message) => diags.push(diagnostic('error', loc, message)),
  };
}

/** Split `no` off a line; `default` (HAProxy's "reset to default" prefix) is treated as `no`. */
function splitNegation(words: string[]): { words: string[]; negated: boolean } {
  if ((words[0] === 'no' || words[0] === 'default') && words.length > 1) return { words: words.slice(1), negated: true };
  return { words, negated: false };
}

function unknownName(words: readonly string[]): string {
  const [w0, w1] = words;
  return w0 !== undefined && w1 !== undefined && FAMILIES.has(w0) ? `${w0} ${w1}` : (w0 ?? '');
}

function runGlobalLine(global: GlobalDraft, line: RawLine, diags: Diagnostic[]): void {
  const rep = reporter(diags, line.loc);
  const { words, negated } = splitNegation(line.words);
  const found = lookup(GLOBAL_KEYWORDS, words);
  const def = found?.defs[0];
  if (found === undefined || def === undefined) {
    const name = unknownName(words);
    if (name.startsWith('tune.')) rep.warn(`'${name}' is ignored by handoff`);
    else rep.warn(`unknown keyword '${name}' in global section, ignored`);
    return;
  }
  if (negated && def.negatable !== true) return rep.error(`'no ${found.name}' is not supported`);
  const ctx: LineContext = { ...rep, keyword: found.name, args: words.slice(found.argStart), negated, loc: line.loc, global };
  def.parse(ctx);
}

function runProxyLine(global: GlobalDraft, proxy: ProxyDraft, line: RawLine, diags: Diagnostic[]): void {
  const rep = reporter(diags, line.loc);
  const { words, negated } = splitNegation(line.words);
  const found = lookup(PROXY_KEYWORDS, words);
  if (found === undefined) {
    rep.warn(`unknown keyword '${unknownName(words)}' in ${proxy.kind} section, ignored`);
    return;
  }
  const def = found.defs.find((d) => d.sections.includes(proxy.kind));
  if (def === undefined) {
    const strict = found.defs.some((d) => d.strictSections === true);
    const where = [...new Set(found.defs.flatMap((d) => d.sections))].join(', ');
    if (strict) rep.error(`'${found.name}' is not allowed in a ${proxy.kind} section (only in: ${where})`);
    else rep.warn(`'${found.name}' has no effect in a ${proxy.kind} section (only in: ${where}), ignored`);
    return;
  }
  if (negated && def.negatable !== true) return rep.error(`'no ${found.name}' is not supported`);
  const ctx: ProxyContext = { ...rep, keyword: found.name, args: words.slice(found.argStart), negated, loc: line.loc, global, proxy };
  def.parse(ctx);
}

/** Section header arguments: `NAME [ADDR] [from DEFAULTS]`. */
function sectionHeader(section: RawSection, diags: Diagnostic[]): { name: string; addr?: string; from?: string } | undefined {
  const args = [...section.args];
  let from: string | undefined;
  const fromIdx = args.indexOf('from');
  if (fromIdx !== -1) {
    from = args[fromIdx + 1];
    if (from === undefined) {
      diags.push(diagnostic('error', section.loc, `'from' expects the name of a defaults section`));
      return undefined;
    }
    args.splice(fromIdx, 2);
  }
  const [name, addr, ...extra] = args;
  if (section.kind === 'defaults') {
    return { name: name ?? '', ...(from === undefined ? {} : { from }) };
  }
  if (name === undefined) {
    diags.push(diagnostic('error', section.loc, `'${section.kind}' expects a name`));
    return undefined;
  }
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) {
    diags.push(diagnostic('error', section.loc, `invalid ${section.kind} name '${name}' (letters, digits, '_', '.', ':', '-')`));
    return undefined;
  }
  if (addr !== undefined && section.kind !== 'listen' && section.kind !== 'frontend') {
    diags.push(diagnostic('error', section.loc, `unexpected '${addr}' after the ${section.kind} name`));
    return undefined;
  }
  if (extra.length > 0) {
    diags.push(diagnostic('error', section.loc, `unexpected '${extra.join(' ')}' after the ${section.kind} address`));
    return undefined;
  }
  return { name, ...(addr === undefined ? {} : { addr }), ...(from === undefined ? {} : { from }) };
}

const CAPS: Record<ProxyKind, { fe: boolean; be: boolean }> = {
  defaults: { fe: false, be: false },
  frontend: { fe: true, be: false },
  backend: { fe: false, be: true },
  listen: { fe: true, be: true },
};

export function buildConfig(parsed: readonly ParsedConfig[], opts: BuildOptions): BuildResult {
  const diags: Diagnostic[] = parsed.flatMap((p) => p.diagnostics);
  const global = newGlobalDraft();
  const firstLoc = { file: opts.file, line: 0 };
  let defaults = builtinDefaults(firstLoc);
  const named = new Map<string, ProxyDraft>();
  const proxies: ProxyDraft[] = [];

  for (const file of parsed) {
    for (const section of file.sections) {
      if (section.kind === 'global') {
        for (const line of section.lines) runGlobalLine(global, line, diags);
        continue;
      }
      const header = sectionHeader(section, diags);
      if (header === undefined) continue;
      let base = defaults;
      if (header.from !== undefined) {
        const found = named.get(header.from);
        if (found === undefined) {
          diags.push(diagnostic('error', section.loc, `no defaults section named '${header.from}' before this line`));
          continue;
        }
        base = found;
      }
      if (section.kind === 'defaults') {
        // A new defaults section starts from HAProxy's built-in values (or from its `from`).
        const d = header.from === undefined ? builtinDefaults(section.loc) : proxyFromDefaults(base, 'defaults', header.name, section.loc);
        d.name = header.name;
        d.loc = section.loc;
        for (const line of section.lines) runProxyLine(global, d, line, diags);
        if (header.name !== '') {
          const prev = named.get(header.name);
          if (prev !== undefined) diags.push(diagnostic('warning', section.loc, `defaults section '${header.name}' is already declared at ${prev.loc.file}:${prev.loc.line}; this one replaces it`));
          named.set(header.name, d);
        }
        defaults = d;
        continue;
      }
      const caps = CAPS[section.kind];
      const clash = proxies.find((p) => p.name === header.name && ((CAPS[p.kind].fe && caps.fe) || (CAPS[p.kind].be && caps.be)));
      if (clash !== undefined) {
        diags.push(diagnostic('error', section.loc, `${section.kind} '${header.name}' has the same name as ${clash.kind} '${clash.name}' declared at ${clash.loc.file}:${clash.loc.line}`));
        continue;
      }
      const proxy = proxyFromDefaults(base, section.kind, header.name, section.loc);
      if (header.addr !== undefined) {
        // `listen NAME ADDR` (HAProxy 1.x) declares a bind on the header line.
        proxy.hasBindLine = true;
        const addrs = parseBindAddresses(header.addr);
        if (!addrs.ok) diags.push(diagnostic('error', section.loc, addrs.error));
        else {
          const binds: BindDraft[] = addrs.value.map((a) => ({ ...a, ssl: false, crts: [], tls: { disabled: [], noTlsTickets: false }, loc: section.loc }));
          const ctx: ProxyContext = { ...reporter(diags, section.loc), keyword: section.kind, args: [], negated: false, loc: section.loc, global, proxy };
          if (applyBindOptions(ctx, binds, [])) proxy.binds.push(...binds);
        }
      }
      for (const line of section.lines) runProxyLine(global, proxy, line, diags);
      proxies.push(proxy);
    }
  }

  validateProxies(proxies, diags);
  const out = toModel(global, proxies, opts, diags);
  return { ...out, diagnostics: dedupe(diags) };
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.severity}\0${d.file}\0${d.line}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function resolvePath(baseDir: string, base: string | undefined, path: string): string {
  if (isAbsolute(path)) return path;
  return base === undefined ? resolve(baseDir, path) : resolve(baseDir, base, path);
}

function logTargets(proxy: ProxyDraft, global: GlobalDraft): LogTarget[] {
  return proxy.logs.flatMap((l) => (l === 'global' ? global.config.logTargets : [l]));
}

function logFormat(proxy: ProxyDraft, targets: LogTarget[]): string | null {
  if (targets.length === 0) return null;
  if (proxy.logFormat !== undefined) return proxy.logFormat.format;
  switch (proxy.logOption?.kind) {
    case 'httplog':
      return HTTPLOG_FORMAT;
    case 'httplog-clf':
      return CLF_FORMAT;
    default:
      return TCPLOG_FORMAT;
  }
}

function timeouts(proxy: ProxyDraft, need: ('connect' | 'client' | 'server')[], diags: Diagnostic[]): Timeouts {
  const missing = need.filter((k) => proxy.timeouts[k] === undefined);
  if (missing.length > 0) {
    const list = missing.map((k) => `'timeout ${k}' (using ${DEFAULT_TIMEOUTS[k] / 1000}s)`).join(', ');
    diags.push(diagnostic('warning', proxy.loc, `missing timeouts for ${proxy.kind} '${proxy.name}': ${list}; set them, e.g. in the defaults section`));
  }
  const t: Timeouts = {
    connect: proxy.timeouts.connect ?? DEFAULT_TIMEOUTS.connect,
    client: proxy.timeouts.client ?? DEFAULT_TIMEOUTS.client,
    server: proxy.timeouts.server ?? DEFAULT_TIMEOUTS.server,
  };
  for (const k of ['httpRequest', 'httpKeepAlive', 'tunnel', 'queue', 'check'] as const) {
    const v = proxy.timeouts[k];
    if (v !== undefined) t[k] = v;
  }
  return t;
}

function toModel(global: GlobalDraft, proxies: ProxyDraft[], opts: BuildOptions, diags: Diagnostic[]): Omit<BuildResult, 'diagnostics'> {
  const certRefs: CertRef[] = [];
  const errorfileRefs: ErrorfileRef[] = [];
  const g = global.config;
  if (opts.workersOverride !== undefined) g.workers = opts.workersOverride;
  if (opts.maxconnOverride !== undefined) g.maxconn = opts.maxconnOverride;

  const errorfiles = (proxy: ProxyDraft): Record<string, string> => {
    const target: Record<string, string> = {};
    for (const [code, ref] of Object.entries(proxy.errorfiles)) {
      errorfileRefs.push({ target, code, path: resolvePath(opts.baseDir, undefined, ref.path), loc: ref.loc });
    }
    return target;
  };

  const bindModel = (b: BindDraft): Bind => {
    const bind: Bind = { key: b.key, host: b.host, port: b.port, loc: b.loc };
    if (b.maxconn !== undefined && b.maxconn > 0) bind.maxconn = b.maxconn;
    if (!b.ssl) return bind;
    const merged = mergeTlsOptions(global.sslDefaultBind, b.tls);
    const versions = resolveTlsVersions(merged);
    if (!versions.ok) {
      diags.push(diagnostic('error', b.loc, versions.error));
      return bind;
    }
    if (versions.warning !== undefined) diags.push(diagnostic('warning', b.loc, versions.warning));
    const tls: TlsBind = { certificates: [], minVersion: versions.value.min, maxVersion: versions.value.max };
    if (merged.ciphers !== undefined) tls.ciphers = merged.ciphers;
    if (merged.ciphersuites !== undefined) tls.ciphersuites = merged.ciphersuites;
    if (b.alpn !== undefined) tls.alpn = b.alpn;
    if (merged.noTlsTickets) tls.noTlsTickets = true;
    for (const crt of b.crts) {
      const cert: TlsCertificate = { path: resolvePath(opts.baseDir, g.crtBase, crt.path), pem: '' };
      tls.certificates.push(cert);
      certRefs.push({ cert, tls, loc: crt.loc });
    }
    bind.tls = tls;
    return bind;
  };

  const frontends: Frontend[] = [];
  const backends: Backend[] = [];
  for (const p of proxies) {
    const httpServerClose = p.httpConnectionMode === 'server-close';
    if (p.kind === 'frontend' || p.kind === 'listen') {
      const targets = logTargets(p, global);
      const fe: Frontend = {
        name: p.name,
        mode: p.mode,
        binds: p.binds.map(bindModel),
        useBackends: p.useBackends.map((u) => (u.cond === undefined ? { backend: u.backend } : { backend: u.backend, cond: u.cond })),
        requestRules: p.requestRules,
        responseRules: p.responseRules,
        redirects: p.redirects,
        forwardFor: p.forwardFor,
        httpServerClose,
        clientKeepAlive: p.httpConnectionMode !== 'close',
        logFormat: logFormat(p, targets),
        logTargets: targets,
        dontLogNull: p.dontLogNull,
        timeouts: timeouts(p, p.kind === 'listen' ? ['connect', 'client', 'server'] : ['client'], diags),
        errorfiles: errorfiles(p),
        loc: p.loc,
      };
      const defaultBackend = p.kind === 'listen' && (p.defaultBackend === undefined || p.defaultBackend.inherited === true) ? p.name : p.defaultBackend?.name;
      if (defaultBackend !== undefined) fe.defaultBackend = defaultBackend;
      if (p.forwardForHeader !== undefined) fe.forwardForHeader = p.forwardForHeader;
      const maxconn = p.maxconn ?? opts.defaultProxyMaxconn;
      if (maxconn !== undefined) fe.maxconn = maxconn;
      if (p.stats.enabled) {
        fe.stats = { uri: p.stats.uri ?? DEFAULT_STATS_URI, realm: p.stats.realm ?? DEFAULT_STATS_REALM, auth: p.stats.auth };
        if (p.stats.refresh !== undefined) fe.stats.refresh = p.stats.refresh;
      }
      frontends.push(fe);
    }
    if (p.kind === 'backend' || p.kind === 'listen') {
      const servers: Server[] = [];
      for (const s of p.servers) {
        if (s.port === undefined) continue; // reported by validation
        const server: Server = {
          id: `${p.name}/${s.name}`,
          name: s.name,
          host: s.host,
          port: s.port,
          weight: s.weight,
          check: s.check,
          inter: s.inter,
          rise: s.rise,
          fall: s.fall,
          backup: s.backup,
          disabled: s.disabled,
          observe: s.observe,
          errorLimit: s.errorLimit,
          onError: s.onError,
          loc: s.loc,
        };
        if (s.maxconn !== undefined) server.maxconn = s.maxconn;
        if (s.fastinter !== undefined) server.fastinter = s.fastinter;
        if (s.downinter !== undefined) server.downinter = s.downinter;
        servers.push(server);
      }
      const be: Backend = {
        name: p.name,
        mode: p.mode,
        balance: p.balance,
        servers,
        retries: p.retries,
        retryOn: p.retryOn,
        redispatch: p.redispatch,
        redispatchInterval: p.redispatchInterval,
        forwardFor: p.forwardFor,
        httpServerClose,
        // A listen's rules run once, in its frontend half.
        requestRules: p.kind === 'listen' ? [] : p.requestRules,
        responseRules: p.kind === 'listen' ? [] : p.responseRules,
        timeouts: timeouts(p, p.kind === 'listen' ? [] : ['connect', 'server'], diags),
        healthCheck: p.healthCheck,
        errorfiles: errorfiles(p),
        loc: p.loc,
      };
      if (p.forwardForHeader !== undefined) be.forwardForHeader = p.forwardForHeader;
      backends.push(be);
    }
  }
  return { config: { file: opts.file, global: g, frontends, backends }, certRefs, errorfileRefs };
}
