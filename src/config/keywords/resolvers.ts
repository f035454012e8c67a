// `resolvers NAME` sections (configuration.txt 5.3.2): the nameservers and timers the master's
// DNS resolution (src/master/dns-resolution.ts) uses for `server … resolvers NAME`.
import { isIP } from 'node:net';
import { diagnostic } from '../diagnostics.ts';
import type { GlobalDraft } from '../draft.ts';
import type { Diagnostic, Location, Resolvers } from '../model.ts';
import type { RawLine, RawSection } from '../parse.ts';
import { parseInteger, parseTime } from '../units.ts';

const HOLDS = ['valid', 'nx', 'timeout', 'refused', 'other', 'obsolete'] as const;

/** HAProxy 2.6's values for the lines a section leaves out. */
export function defaultResolvers(name: string, loc: Location): Resolvers {
  return {
    name, nameservers: [], parseResolvConf: false, resolveRetries: 3, timeoutResolve: 1000, timeoutRetry: 1000,
    hold: { valid: 10_000, nx: 30_000, timeout: 30_000, refused: 30_000, other: 30_000, obsolete: 0 },
    acceptedPayloadSize: 512, loc,
  };
}

/** HAProxy 2.6's implicit `default` section (the system's resolv.conf), when none is declared. */
export function implicitDefaultResolvers(): Resolvers {
  return { ...defaultResolvers('default', { file: '', line: 0 }), parseResolvConf: true };
}

/** The resolvers section a server names: a declared one, or the implicit `default`. */
export function resolversNamed(declared: Readonly<Record<string, Resolvers>> | undefined, name: string): Resolvers | undefined {
  return declared?.[name] ?? (name === 'default' ? implicitDefaultResolvers() : undefined);
}

/** `ADDR:PORT`, `[v6]:PORT`, `udp@ADDR:PORT`: a nameserver; an error message otherwise. */
export function parseNameserver(text: string): { host: string; port: number } | string {
  if (text.startsWith('tcp@')) return `nameserver '${text}': DNS over TCP is not supported by handoff (use udp, the default)`;
  const rest = text.replace(/^(udp@|ipv4@|ipv6@)/, '');
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(rest) ?? /^([^:]+):(\d+)$/.exec(rest) ?? /^(.*):(\d+)$/.exec(rest);
  const host = m?.[1];
  const port = Number(m?.[2] ?? '53');
  if (m === null || host === undefined || isIP(host) === 0) return `nameserver '${text}': expects IP:PORT, e.g. 127.0.0.1:53`;
  if (port < 1 || port > 65535) return `nameserver '${text}': port ${port} out of range 1..65535`;
  return { host, port };
}

function readLine(r: Resolvers, line: RawLine, err: (m: string) => void): void {
  const [kw, a, b] = line.words;
  const time = (text: string | undefined, what: string, set: (v: number) => void): void => {
    const t = parseTime(text);
    if (!t.ok) return err(`'${what}': ${t.error}`);
    set(t.value);
  };
  switch (kw) {
    case 'nameserver': {
      if (a === undefined || b === undefined) return err("'nameserver' expects a name and an address, e.g. 'nameserver dns1 10.0.0.1:53'");
      if (r.nameservers.some((n) => n.name === a)) return err(`nameserver '${a}' is already declared in resolvers '${r.name}'`);
      const ns = parseNameserver(b);
      if (typeof ns === 'string') return err(ns);
      r.nameservers.push({ name: a, ...ns });
      return;
    }
    case 'parse-resolv-conf':
      r.parseResolvConf = true;
      return;
    case 'resolve_retries': {
      const n = parseInteger(a, 1, 1000);
      if (!n.ok) return err(`'resolve_retries' ${n.error}`);
      r.resolveRetries = n.value;
      return;
    }
    case 'accepted_payload_size': {
      const n = parseInteger(a, 512, 65535);
      if (!n.ok) return err(`'accepted_payload_size' ${n.error}`);
      r.acceptedPayloadSize = n.value;
      return;
    }
    case 'timeout':
      if (a !== 'resolve' && a !== 'retry') return err(`'timeout' expects 'resolve' or 'retry', got '${a ?? ''}'`);
      return time(b, `timeout ${a}`, (v) => (a === 'resolve' ? (r.timeoutResolve = v) : (r.timeoutRetry = v)));
    case 'hold': {
      const which = HOLDS.find((h) => h === a);
      if (which === undefined) return err(`'hold' expects ${HOLDS.join(', ')}, got '${a ?? ''}'`);
      return time(b, `hold ${which}`, (v) => (r.hold[which] = v));
    }
    default:
      return err(`unknown keyword '${kw ?? ''}' in resolvers section (nameserver, parse-resolv-conf, resolve_retries, timeout, hold, accepted_payload_size)`);
  }
}

export function readResolvers(global: GlobalDraft, section: RawSection, diags: Diagnostic[]): void {
  const name = section.args[0];
  if (name === undefined) return void diags.push(diagnostic('error', section.loc, "'resolvers' expects a name"));
  const prev = global.resolvers[name];
  if (prev !== undefined) return void diags.push(diagnostic('error', section.loc, `resolvers '${name}' is already declared at ${prev.loc.file}:${prev.loc.line}`));
  const r = defaultResolvers(name, section.loc);
  for (const line of section.lines) readLine(r, line, (m) => void diags.push(diagnostic('error', line.loc, m)));
  if (r.nameservers.length === 0 && !r.parseResolvConf) diags.push(diagnostic('warning', section.loc, `resolvers '${name}' has no nameservers configured! (add 'nameserver NAME IP:PORT' or 'parse-resolv-conf'; its servers never resolve)`));
  global.resolvers[name] = r;
}
