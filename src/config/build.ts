// Pure second stage: sections → drafts (through the keyword tables) → validation → the plain-data
// model. Paths are resolved here but files are not read: load.ts fills certificates and errorfiles in.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { BindDraft, GlobalDraft, ProxyDraft, ProxyKind, ResolvedTls, ServerDraft } from './draft.ts';
import type { StickTableDef } from '../stick/types.ts';
import { builtinDefaults, DEFAULT_TIMEOUTS, defaultBackendOf, emptyTlsOptions, hasBackend, hasFrontend, newGlobalDraft, proxyFromDefaults } from './draft.ts';
import { diagnostic } from './diagnostics.ts';
import type {
  Backend, Bind, Config, Diagnostic, Frontend, GlobalConfig, Location, LogTarget, Server, StatsPage, Timeouts, TlsBind,
  TlsCertificate,
} from './model.ts';
import type { ParsedConfig, RawLine, RawSection } from './parse.ts';
import { CLF_FORMAT, HTTPLOG_FORMAT, TCPLOG_FORMAT } from './logformat.ts';
import { GLOBAL_KEYWORDS, lookup, PROXY_KEYWORDS } from './keywords/index.ts';
import { modernize } from './keywords/removed.ts';
import { reportUnknownGlobal, reportUnknownProxy } from './keywords/unknown.ts';
import { applyBindOptions, parseBindAddresses } from './keywords/bind.ts';
import { DEFAULT_STATS_REALM, DEFAULT_STATS_URI } from './keywords/stats.ts';
import type { LineContext, ProxyContext, Reporter } from './keywords/types.ts';
import { validateProxies } from './validate.ts';
import { readListSection } from './keywords/list-sections.ts';
import { backendHttp, frontendHttp, resolveReplyFiles } from './keywords/http-model.ts';
import { errorfilesModel as proxyErrorfiles } from './keywords/http-errors.ts';
import type { PayloadRef } from './reply-files.ts';

export { DEFAULT_TIMEOUTS };

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
  /** Payload files of http replies (`return … file F`). */
  payloadRefs: PayloadRef[];
  /** What relative file names resolved against (`default-path`, else the main file's directory). */
  baseDir: string;
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

const PROXY_KEYWORD_NAMES = [...PROXY_KEYWORDS.keys()];

function runGlobalLine(global: GlobalDraft, line: RawLine, diags: Diagnostic[]): void {
  const rep = reporter(diags, line.loc);
  const { words, negated } = splitNegation(line.words);
  const found = lookup(GLOBAL_KEYWORDS, words);
  const def = found?.defs[0];
  if (found === undefined || def === undefined) return reportUnknownGlobal(words, GLOBAL_KEYWORDS.keys(), rep);
  if (negated && def.negatable !== true) return rep.error(`'no ${found.name}' is not supported`);
  const ctx: LineContext = { ...rep, keyword: found.name, args: words.slice(found.argStart), negated, loc: line.loc, global };
  def.parse(ctx);
}

function runProxyLine(global: GlobalDraft, proxy: ProxyDraft, line: RawLine, diags: Diagnostic[]): void {
  const rep = reporter(diags, line.loc);
  const split = splitNegation(line.words);
  const negated = split.negated;
  const words = modernize(split.words, rep);
  if (words === null) return;
  const found = lookup(PROXY_KEYWORDS, words);
  if (found === undefined) return reportUnknownProxy(words, proxy.kind, PROXY_KEYWORD_NAMES, rep);
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
interface SectionHeader {
  name: string;
  addr?: string;
  from?: string;
}

function sectionHeader(section: RawSection, diags: Diagnostic[]): SectionHeader | undefined {
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
  if (addr !== undefined) {
    // HAProxy 2.x refuses this 1.x form; handoff reads it as the `bind` line it stands for.
    diags.push(diagnostic('warning', section.loc, `an address on the '${section.kind}' line was removed from HAProxy ("please use the 'bind' keyword for listening addresses"); handoff reads it as 'bind ${addr}', write that instead`));
  }
  return { name, ...(addr === undefined ? {} : { addr }), ...(from === undefined ? {} : { from }) };
}

export function buildConfig(parsed: readonly ParsedConfig[], opts: BuildOptions): BuildResult {
  const diags: Diagnostic[] = parsed.flatMap((p) => p.diagnostics);
  const drafts: Drafts = { global: newGlobalDraft(), proxies: [], defaults: builtinDefaults({ file: opts.file, line: 0 }), named: new Map(), diags };
  for (const file of parsed) for (const section of file.sections) readSection(drafts, section);
  validateProxies(drafts.global, drafts.proxies, diags);
  const resolved = { ...opts, baseDir: baseDirOf(drafts.global, opts.baseDir) };
  const files = resolveReplyFiles(drafts.global, resolved.baseDir, diags);
  const model = toModel(drafts.global, drafts.proxies, resolved);
  return { ...model, errorfileRefs: [...model.errorfileRefs, ...files.reads], payloadRefs: files.payloads, baseDir: resolved.baseDir, diagnostics: dedupe(diags) };
}

/** `default-path current|config|parent|origin PATH`; `configDir` is the main file's directory. */
function baseDirOf(global: GlobalDraft, configDir: string): string {
  const d = global.defaultPath;
  if (d === undefined || d.kind === 'config') return configDir;
  if (d.kind === 'current') return process.cwd();
  if (d.kind === 'parent') return dirname(configDir);
  return d.kind === 'origin' ? resolve(configDir, d.path) : configDir;
}

/** What reading the sections in order builds up. */
interface Drafts {
  global: GlobalDraft;
  proxies: ProxyDraft[];
  /** The defaults in force: the last defaults section read, else HAProxy's built-in values. */
  defaults: ProxyDraft;
  /** Named defaults sections, for `from NAME`. */
  named: Map<string, ProxyDraft>;
  diags: Diagnostic[];
}

function readSection(d: Drafts, section: RawSection): void {
  if (section.kind === 'userlist' || section.kind === 'http-errors' || section.kind === 'resolvers') return readListSection(d.global, section, d.diags);
  if (section.kind === 'global') {
    for (const line of section.lines) runGlobalLine(d.global, line, d.diags);
    return;
  }
  const header = sectionHeader(section, d.diags);
  if (header === undefined) return;
  let base = d.defaults;
  if (header.from !== undefined) {
    const found = d.named.get(header.from);
    if (found === undefined) {
      d.diags.push(diagnostic('error', section.loc, `no defaults section named '${header.from}' before this line`));
      return;
    }
    base = found;
  }
  if (section.kind === 'defaults') readDefaults(d, section, header, base);
  else readProxy(d, section, section.kind, header, base);
}

function readDefaults(d: Drafts, section: RawSection, header: SectionHeader, base: ProxyDraft): void {
  // A new defaults section starts from HAProxy's built-in values (or from its `from`).
  const draft = header.from === undefined ? builtinDefaults(section.loc) : proxyFromDefaults(base, 'defaults', header.name, section.loc);
  draft.name = header.name;
  draft.loc = section.loc;
  for (const line of section.lines) runProxyLine(d.global, draft, line, d.diags);
  if (header.name !== '') {
    const prev = d.named.get(header.name);
    if (prev !== undefined) d.diags.push(diagnostic('warning', section.loc, `defaults section '${header.name}' is already declared at ${prev.loc.file}:${prev.loc.line}; this one replaces it`));
    d.named.set(header.name, draft);
  }
  d.defaults = draft;
}

function readProxy(d: Drafts, section: RawSection, kind: Exclude<ProxyKind, 'defaults'>, header: SectionHeader, base: ProxyDraft): void {
  const clash = d.proxies.find((p) => p.name === header.name && ((hasFrontend(p.kind) && hasFrontend(kind)) || (hasBackend(p.kind) && hasBackend(kind))));
  if (clash !== undefined) {
    d.diags.push(diagnostic('error', section.loc, `${kind} '${header.name}' has the same name as ${clash.kind} '${clash.name}' declared at ${clash.loc.file}:${clash.loc.line}`));
    return;
  }
  const proxy = proxyFromDefaults(base, kind, header.name, section.loc);
  if (header.addr !== undefined) readHeaderBind(d, proxy, section, header.addr);
  for (const line of section.lines) runProxyLine(d.global, proxy, line, d.diags);
  d.proxies.push(proxy);
}

/** `listen NAME ADDR` (HAProxy 1.x) declares a bind on the header line. */
function readHeaderBind(d: Drafts, proxy: ProxyDraft, section: RawSection, addr: string): void {
  proxy.hasBindLine = true;
  const addrs = parseBindAddresses(addr);
  if (!addrs.ok) {
    d.diags.push(diagnostic('error', section.loc, addrs.error));
    return;
  }
  const binds: BindDraft[] = addrs.value.map((a) => ({ ...a, ssl: false, crts: [], tls: emptyTlsOptions(), loc: section.loc }));
  const ctx: ProxyContext = { ...reporter(d.diags, section.loc), keyword: section.kind, args: [], negated: false, loc: section.loc, global: d.global, proxy };
  if (applyBindOptions(ctx, binds, [])) proxy.binds.push(...binds);
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

/** What the model builders share: the options, the global draft, and the files load.ts reads in. */
interface ModelContext {
  opts: BuildOptions;
  global: GlobalDraft;
  certRefs: CertRef[];
  errorfileRefs: ErrorfileRef[];
}

/** The validated drafts as the model: a listen section becomes a frontend and a backend. */
function toModel(global: GlobalDraft, proxies: readonly ProxyDraft[], opts: BuildOptions): Omit<BuildResult, 'diagnostics' | 'payloadRefs' | 'baseDir'> {
  const ctx: ModelContext = { opts, global, certRefs: [], errorfileRefs: [] };
  const config: Config = { file: opts.file, global: globalModel(global, opts), frontends: [], backends: [] };
  if (Object.keys(global.userlists).length > 0) config.userlists = global.userlists;
  const tables = proxies.flatMap((p) => (p.stickTable === undefined ? [] : [withServerId(p.stickTable, proxies)]));
  if (tables.length > 0) config.stickTables = tables;
  if (Object.keys(global.resolvers).length > 0) config.resolvers = global.resolvers;
  for (const p of proxies) {
    // A disabled proxy is not started (HAProxy): its frontend half does not exist, its backend half
    // stays routable but every server is in maintenance, so requests to it get 503.
    if (hasFrontend(p.kind) && p.disabled !== true) config.frontends.push(frontendModel(p, ctx));
    if (hasBackend(p.kind)) {
      const be = backendModel(p, ctx);
      if (p.disabled === true) for (const s of be.servers) s.disabled = true;
      config.backends.push(be);
    }
  }
  return { config, certRefs: ctx.certRefs, errorfileRefs: ctx.errorfileRefs };
}

/** The global section with the command line's `--workers` and `-n` applied. */
function globalModel(global: GlobalDraft, opts: BuildOptions): GlobalConfig {
  const g = global.config;
  if (opts.workersOverride !== undefined) g.workers = opts.workersOverride;
  if (opts.maxconnOverride !== undefined) g.maxconn = opts.maxconnOverride;
  return g;
}

function frontendModel(p: ProxyDraft, ctx: ModelContext): Frontend {
  const targets = logTargets(p, ctx.global);
  const fe: Frontend = {
    name: p.name,
    mode: p.mode,
    binds: p.binds.map((b) => bindModel(b, ctx)),
    useBackends: p.useBackends.map((u) => (u.cond === undefined ? { backend: u.backend } : { backend: u.backend, cond: u.cond })),
    ...frontendHttp(p),
    forwardFor: p.forwardFor,
    httpServerClose: p.httpConnectionMode === 'server-close',
    clientKeepAlive: p.httpConnectionMode !== 'close',
    logFormat: logFormat(p, targets),
    logTargets: targets,
    dontLogNull: p.dontLogNull,
    timeouts: timeoutsModel(p),
    errorfiles: errorfilesModel(p, ctx),
    loc: p.loc,
  };
  const defaultBackend = defaultBackendOf(p)?.name;
  if (defaultBackend !== undefined) fe.defaultBackend = defaultBackend;
  if (p.forwardForHeader !== undefined) fe.forwardForHeader = p.forwardForHeader;
  const maxconn = p.maxconn ?? ctx.opts.defaultProxyMaxconn;
  if (maxconn !== undefined) fe.maxconn = maxconn;
  const stats = statsModel(p);
  if (stats !== undefined) fe.stats = stats;
  if (p.expectProxy !== undefined && p.expectProxy.length > 0) fe.expectProxy = p.expectProxy;
  if (p.tcpConnection !== undefined && p.tcpConnection.length > 0) fe.tcpConnection = p.tcpConnection;
  if (p.compression !== undefined) fe.compression = { ...p.compression, level: ctx.global.config.compLevel ?? 1 };
  if (p.inspectDelay !== undefined) fe.inspectDelay = p.inspectDelay;
  if (p.tcpContent !== undefined && p.tcpContent.length > 0) fe.tcpContent = p.tcpContent;
  // The listener id names the bind in a PROXY header error's log line.
  p.binds.forEach((b, i) => {
    const bind = fe.binds[i] as Bind;
    if (b.luid !== undefined && (bind.acceptProxy === true || fe.expectProxy !== undefined)) bind.luid = b.luid;
  });
  return fe;
}

function bindModel(b: BindDraft, ctx: ModelContext): Bind {
  const bind: Bind = b.unix === undefined ? { key: b.key, host: b.host, port: b.port, loc: b.loc } : { key: b.key, unix: { ...b.unix, id: b.luid ?? 1 }, loc: b.loc };
  if (b.maxconn !== undefined && b.maxconn > 0) bind.maxconn = b.maxconn;
  if (b.acceptProxy === true) bind.acceptProxy = true;
  // An ssl bind without resolvedTls has an error validation reported: no Config is loaded.
  if (b.resolvedTls !== undefined) bind.tls = tlsModel(b, b.resolvedTls, ctx);
  return bind;
}

/** Certificate paths are resolved against `crt-base`; load.ts reads them through `certRefs`. */
function tlsModel(b: BindDraft, resolved: ResolvedTls, ctx: ModelContext): TlsBind {
  const { options, versions } = resolved;
  const tls: TlsBind = { certificates: [], minVersion: versions.min, maxVersion: versions.max };
  if (options.ciphers !== undefined) tls.ciphers = options.ciphers;
  if (options.ciphersuites !== undefined) tls.ciphersuites = options.ciphersuites;
  if (options.curves !== undefined) tls.curves = options.curves;
  if (options.sigalgs !== undefined) tls.sigalgs = options.sigalgs;
  if (b.alpn !== undefined) tls.alpn = b.alpn;
  if (options.noTlsTickets) tls.noTlsTickets = true;
  if (options.preferClientCiphers === true) tls.preferClientCiphers = true;
  if (options.strictSni === true) tls.strictSni = true;
  const v = b.clientVerify;
  if (v?.mode === 'optional' || v?.mode === 'required') {
    tls.clientVerify = { mode: v.mode };
    if (v.ca !== undefined) tls.clientVerify.ca = { path: v.ca, pem: '' };
    if (v.crl !== undefined) tls.clientVerify.crl = { path: v.crl, pem: '' };
    if (v.caIgnore !== undefined) tls.clientVerify.caIgnore = v.caIgnore;
    if (v.crtIgnore !== undefined) tls.clientVerify.crtIgnore = v.crtIgnore;
  }
  const lists = b.crtLists ?? [];
  b.crts.forEach((crt, i) => {
    for (const l of lists) if (l.order === i) tls.crtLists = [...(tls.crtLists ?? []), { path: resolvePath(ctx.opts.baseDir, undefined, l.path), at: tls.certificates.length, loc: l.loc }];
    const cert: TlsCertificate = { path: resolvePath(ctx.opts.baseDir, ctx.global.config.crtBase, crt.path), pem: '' };
    tls.certificates.push(cert);
    ctx.certRefs.push({ cert, tls, loc: crt.loc });
  });
  for (const l of lists) if (l.order >= b.crts.length) tls.crtLists = [...(tls.crtLists ?? []), { path: resolvePath(ctx.opts.baseDir, undefined, l.path), at: tls.certificates.length, loc: l.loc }];
  return tls;
}

function statsModel(p: ProxyDraft): StatsPage | undefined {
  if (!p.stats.enabled) return undefined;
  const page: StatsPage = { uri: p.stats.uri ?? DEFAULT_STATS_URI, realm: p.stats.realm ?? DEFAULT_STATS_REALM, auth: p.stats.auth };
  const s = p.stats;
  if (s.refresh !== undefined) page.refresh = s.refresh;
  if (s.admin !== undefined) page.admin = s.admin;
  // `.` is the proxy serving the page (also when the line came from a defaults section).
  if (s.scope !== undefined) page.scope = s.scope.map((name) => (name === '.' ? p.name : name));
  if (s.hideVersion === true) page.hideVersion = true;
  if (s.showLegends === true) page.showLegends = true;
  if (s.showNode !== undefined) page.showNode = s.showNode;
  if (s.showDesc !== undefined) page.showDesc = s.showDesc;
  return page;
}

function backendModel(p: ProxyDraft, ctx: ModelContext): Backend {
  const be: Backend = {
    name: p.name,
    mode: p.mode,
    balance: p.balance,
    balanceOptions: p.balanceOptions,
    hashType: p.hashType,
    persist: p.persist,
    // A server without a port has an error validation reported: no Config is loaded.
    servers: p.servers.map((s) => serverModel(p.name, s, s.port ?? 0)),
    retries: p.retries,
    retryOn: p.retryOn,
    redispatch: p.redispatch,
    redispatchInterval: p.redispatchInterval,
    forwardFor: p.forwardFor,
    httpServerClose: p.httpConnectionMode === 'server-close',
    // A listen's rules run once, in its frontend half.
    ...backendHttp(p),
    timeouts: timeoutsModel(p),
    healthCheck: p.healthCheck,
    errorfiles: errorfilesModel(p, ctx),
    loc: p.loc,
  };
  if (p.forwardForHeader !== undefined) be.forwardForHeader = p.forwardForHeader;
  if (p.cookie !== undefined) be.cookie = p.cookie;
  if (p.hashBalanceFactor !== undefined && p.hashBalanceFactor > 0) be.hashBalanceFactor = p.hashBalanceFactor;
  if (p.persistRules !== undefined) be.persistRules = p.persistRules;
  if (p.stickRules !== undefined && p.stickRules.length > 0) be.stickRules = p.stickRules;
  if (p.loadServerState !== undefined) be.loadServerState = p.loadServerState;
  if (p.serverStateFileName !== undefined) be.serverStateFileName = p.serverStateFileName;
  if (p.compression !== undefined) be.compression = { ...p.compression, level: ctx.global.config.compLevel ?? 1 };
  // A listen's rules run once, in its frontend half (HAProxy runs a proxy's rules once per stream).
  if (p.kind === 'backend' && p.tcpContent !== undefined && p.tcpContent.length > 0) {
    be.tcpContent = p.tcpContent;
    if (p.inspectDelay !== undefined) be.inspectDelay = p.inspectDelay;
  }
  return be;
}

export function serverModel(backend: string, s: ServerDraft, port: number): Server {
  const server: Server = {
    id: `${backend}/${s.name}`,
    name: s.name,
    host: s.host,
    port,
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
  if (s.maxqueue !== undefined) server.maxqueue = s.maxqueue;
  if (s.poolMaxConn !== undefined) server.poolMaxConn = s.poolMaxConn;
  if (s.maxReuse !== undefined) server.maxReuse = s.maxReuse;
  if (s.fastinter !== undefined) server.fastinter = s.fastinter;
  if (s.downinter !== undefined) server.downinter = s.downinter;
  if (s.slowstart !== undefined && s.slowstart > 0) server.slowstart = s.slowstart;
  if (s.port === undefined) server.portOffset = s.portOffset ?? 0;
  if (s.checkPort !== undefined) server.checkPort = s.checkPort;
  if (s.checkAddr !== undefined) server.checkAddr = s.checkAddr;
  if (s.onMarkedDown !== undefined) server.onMarkedDown = s.onMarkedDown;
  if (s.onMarkedUp !== undefined) server.onMarkedUp = s.onMarkedUp;
  if (s.sendProxy !== undefined) server.sendProxy = s.sendProxy;
  if (s.proxyV2Authority === true) server.proxyV2Authority = true;
  if (s.checkSendProxy === true) server.checkSendProxy = true;
  if (s.ssl === true) server.ssl = true;
  if (s.checkSsl !== undefined) server.checkSsl = s.checkSsl;
  if (s.tls !== undefined && (s.ssl === true || s.checkSsl === true)) server.tls = structuredClone(s.tls);
  if (s.dns !== undefined) server.dns = structuredClone(s.dns);
  if (s.cookie !== undefined) server.cookie = s.cookie;
  return server;
}

function resolvePath(baseDir: string, base: string | undefined, path: string): string {
  if (isAbsolute(path)) return path;
  return base === undefined ? resolve(baseDir, path) : resolve(baseDir, base, path);
}

/** Each errorfile is left empty for load.ts to read through `errorfileRefs` (errorloc pages are text already). */
function errorfilesModel(p: ProxyDraft, ctx: ModelContext): Record<string, string> {
  return proxyErrorfiles(ctx.global, p, ctx.opts.baseDir, ctx.errorfileRefs);
}

/** The proxy's targets, each with the tag and hostname its lines carry. */
function logTargets(proxy: ProxyDraft, global: GlobalDraft): LogTarget[] {
  const tag = proxy.logTag ?? global.config.logTag;
  const host = global.config.logHostname;
  const named = { ...(tag !== undefined ? { tag } : {}), ...(host !== undefined ? { hostname: host } : {}) };
  return proxy.logs.flatMap((l) => (l === 'global' ? global.config.logTargets : [l])).map((t) => ({ ...t, ...named }));
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

/** Every proxy has connect, client and server timeouts; validation warned about missing ones. */
function timeoutsModel(p: ProxyDraft): Timeouts {
  const t: Timeouts = {
    connect: p.timeouts.connect ?? DEFAULT_TIMEOUTS.connect,
    client: p.timeouts.client ?? DEFAULT_TIMEOUTS.client,
    server: p.timeouts.server ?? DEFAULT_TIMEOUTS.server,
  };
  for (const k of ['httpRequest', 'httpKeepAlive', 'tunnel', 'queue', 'check', 'tarpit'] as const) {
    const v = p.timeouts[k];
    if (v !== undefined) t[k] = v;
  }
  return t;
}

/** A table `stick` rules store servers in keeps `server_id` (HAProxy adds it for them). */
function withServerId(def: StickTableDef, proxies: readonly ProxyDraft[]): StickTableDef {
  const used = proxies.some((p) => p.stickRules?.some((r) => r.table === def.name) === true);
  if (!used || def.store.some((s) => s.name === 'server_id')) return def;
  return { ...def, store: [{ name: 'server_id' }, ...def.store] };
}
