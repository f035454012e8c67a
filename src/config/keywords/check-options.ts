// The `option …` lines that choose a backend's health check: `httpchk`, `tcp-check`, and the
// protocol checks, each built as the tcp-check ruleset HAProxy itself uses for it (the bytes
// and patterns of its tcpcheck.c, described in configuration.txt).
import type { HttpSendDraft } from '../draft.ts';
import type { CheckExpect, CheckKind, CheckRule } from '../model.ts';
import type { Parsed } from '../units.ts';
import { textHex } from './check-expect.ts';
import { addOptionRequest, headerValue, ownRules } from './checks.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { BACKEND_SIDE } from './types.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The 1.x trick `VER\r\nName:\ value\r\n…[\r\n\r\nBODY]`: the version, then headers and a body. */
function splitVersion(text: string): Parsed<{ version: string; headers: [string, string][]; body?: string; hidden: boolean }> {
  const bodyAt = text.indexOf('\r\n\r\n');
  const head = bodyAt === -1 ? text : text.slice(0, bodyAt);
  const [version = '', ...lines] = head.split('\r\n');
  if (!/^HTTP\/1\.[01]$/.test(version)) return { ok: false, error: `unsupported HTTP version '${version}' (handoff's checks speak HTTP/1.0 or HTTP/1.1)` };
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) return { ok: false, error: `unable to parse the request headers: '${line}' is not 'Name: value'` };
    const value = headerValue(name, line.slice(colon + 1).trim());
    if (!value.ok) return value;
    if (!['content-length', 'transfer-encoding'].includes(name.toLowerCase())) headers.push([name, value.value]);
  }
  return { ok: true, value: { version, headers, ...(bodyAt === -1 ? {} : { body: text.slice(bodyAt + 4) }), hidden: lines.length > 0 || bodyAt !== -1 } };
}

/** `option httpchk [[METHOD] URI [VERSION]]`. */
function parseHttpChk(ctx: ProxyContext): void {
  const args = ctx.args;
  if (args.length > 3) return ctx.error(`'option httpchk' cannot handle unexpected argument '${args[3] ?? ''}'`);
  const [a, b, c] = args;
  const send: HttpSendDraft = { action: 'http-send', headers: [], fromOption: true };
  if (a !== undefined && b === undefined) send.uri = a;
  else if (a !== undefined && b !== undefined) {
    if (!TOKEN.test(a)) return ctx.error(`'option httpchk': invalid method '${a}'`);
    send.method = a;
    send.uri = b;
  }
  if (c !== undefined) {
    const v = splitVersion(c);
    if (!v.ok) return ctx.error(`'option httpchk': ${v.error}`);
    send.version = v.value.version;
    send.headers = v.value.headers;
    if (v.value.body !== undefined) send.body = v.value.body;
    // HAProxy's own words: the headers are sent, and the form is deprecated.
    if (v.value.hidden) ctx.warn("'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.");
  }
  const checks = ctx.proxy.checks;
  checks.kind = 'http';
  addOptionRequest(ownRules(checks.http, ctx.loc), send);
}

function expect(match: CheckExpect['match'], extra: Partial<CheckExpect> = {}): CheckExpect {
  return { action: 'expect', match, negate: false, minRecv: -1, ...extra };
}

const hex32 = (n: number): string => n.toString(16).padStart(8, '0');
const NUL = '00';

/** PostgreSQL StartupMessage (protocol 3.0, `user`), then an authentication request, not an error. */
function pgsqlRules(user: string): CheckRule[] {
  const body = `00030000${textHex('user')}${NUL}${textHex(user)}${NUL}${NUL}`;
  return [
    { action: 'connect' },
    { action: 'send', hex: hex32(body.length / 2 + 4) + body },
    expect({ type: 'rstring', regex: '^E' }, { negate: true, minRecv: 5, errorStatus: 'L7RSP', report: 6 }),
    expect({ type: 'rbinary', regex: '^52000000(08|0A|0C)000000(00|02|03|04|05|06)' }, { minRecv: 9, errorStatus: 'L7STS', onSuccess: 'PostgreSQL server is ok', onError: 'PostgreSQL unknown error' }),
  ];
}

/** MySQL: the server's handshake; with a user, a client authentication and QUIT, then its answer. */
function mysqlRules(user: string | undefined, post41: boolean): CheckRule[] {
  const rules: CheckRule[] = [{ action: 'connect' }];
  if (user !== undefined) {
    const u = textHex(user);
    const fields = post41 ? `00820000${'00800001'}21${'00'.repeat(23)}${u}${NUL}${NUL}` : `0080${'000001'}${u}${NUL}${NUL}`;
    const len = fields.length / 2;
    const header = `${(len & 0xff).toString(16).padStart(2, '0')}${((len >> 8) & 0xff).toString(16).padStart(2, '0')}${((len >> 16) & 0xff).toString(16).padStart(2, '0')}01`;
    rules.push({ action: 'send', hex: `${header}${fields}01000000${'01'}` });
  }
  rules.push(expect({ type: 'custom', parser: 'mysql-handshake' }));
  if (user !== undefined) rules.push(expect({ type: 'custom', parser: 'mysql-ok' }));
  return rules;
}

/** An SSLv3 ClientHello (39 common RSA/DH ciphers); any TLS record back (alert or handshake) passes. */
function sslHelloRules(): CheckRule[] {
  const ciphers = [...Array.from({ length: 0x1b }, (_, i) => i + 1), ...Array.from({ length: 0x3a - 0x2f + 1 }, (_, i) => i + 0x2f)]
    .map((c) => c.toString(16).padStart(4, '0'))
    .join('');
  const random = textHex('HAPROXYSSLCHK\nHAPROXYSSLCHK\n');
  // The GMT time of the hello: HAProxy puts the clock there, servers do not look at it.
  const hello = `0300${'00000000'}${random}${NUL}004e${ciphers}0100`;
  const handshake = `01${(hello.length / 2).toString(16).padStart(6, '0')}${hello}`;
  const record = `160300${(handshake.length / 2).toString(16).padStart(4, '0')}${handshake}`;
  return [
    { action: 'send', hex: record },
    expect({ type: 'rbinary', regex: '^1[56]' }, { minRecv: 5, okStatus: 'L6OK', errorStatus: 'L6RSP', toutStatus: 'L6TOUT' }),
  ];
}

/** SMTP: a 2xx banner, then HELO/EHLO and a 2xx answer. */
function smtpRules(command: string): CheckRule[] {
  return [
    { action: 'connect' },
    expect({ type: 'rstring', regex: '^[0-9]{3}[ \r]' }, { minRecv: 4, errorStatus: 'L7RSP', report: 0 }),
    expect({ type: 'rstring', regex: '^2[0-9]{2}[ \r]' }, { minRecv: 4, errorStatus: 'L7STS', report: 4, reportCode: true }),
    { action: 'send', hex: textHex(`${command}\r\n`) },
    expect({ type: 'rstring', regex: '^2[0-9]{2}[- \r]' }, { minRecv: 4, errorStatus: 'L7STS', report: 4, reportCode: true }),
  ];
}

const REDIS: CheckRule[] = [
  { action: 'send', hex: textHex('*1\r\n$4\r\nPING\r\n') },
  expect({ type: 'string', hex: textHex('+PONG\r\n') }, { errorStatus: 'L7STS', report: 0, onSuccess: 'Redis server is ok' }),
];

/** An anonymous LDAPv3 simple bind; the answer must be a bindResponse with resultCode success. */
const LDAP: CheckRule[] = [
  { action: 'send', hex: '300c020101600702010304008000' },
  expect({ type: 'rbinary', regex: '^30' }, { minRecv: 14, onError: 'Not LDAPv3 protocol' }),
  expect({ type: 'custom', parser: 'ldap-bind' }),
];

function useProtocol(ctx: ProxyContext, kind: CheckKind, rules: CheckRule[]): void {
  ctx.proxy.checks.kind = kind;
  ctx.proxy.checks.protocol = structuredClone(rules);
}

function noArgument(ctx: ProxyContext): boolean {
  if (ctx.args.length === 0) return true;
  ctx.error(`'${ctx.keyword}' cannot handle unexpected argument '${ctx.args[0] ?? ''}'`);
  return false;
}

function parsePgsql(ctx: ProxyContext): void {
  const [key, user, extra] = ctx.args;
  if (key === undefined || user === undefined) return ctx.error("'option pgsql-check' expects 'user <username>' as argument");
  if (key !== 'user') return ctx.error("'option pgsql-check' only supports optional values: 'user'");
  if (extra !== undefined) return ctx.error(`'option pgsql-check' cannot handle unexpected argument '${extra}'`);
  useProtocol(ctx, 'pgsql', pgsqlRules(user));
}

function parseMysql(ctx: ProxyContext): void {
  const [key, user, variant, extra] = ctx.args;
  if (key === undefined) return useProtocol(ctx, 'mysql', mysqlRules(undefined, true));
  if (key !== 'user') return ctx.error(`'option mysql-check' only supports optional values: 'user' (got '${key}')`);
  if (user === undefined) return ctx.error("'option mysql-check user' expects <username> as argument");
  if (variant !== undefined && variant !== 'post-41' && variant !== 'pre-41') return ctx.error(`keyword 'user' only supports 'post-41' and 'pre-41' (got '${variant}')`);
  if (extra !== undefined) return ctx.error(`'option mysql-check' cannot handle unexpected argument '${extra}'`);
  useProtocol(ctx, 'mysql', mysqlRules(user, variant !== 'pre-41'));
}

function parseSmtp(ctx: ProxyContext): void {
  const [hello, domain, extra] = ctx.args;
  if (extra !== undefined) return ctx.error(`'option smtpchk' cannot handle unexpected argument '${extra}'`);
  // As HAProxy: any other greeting (or a missing domain) falls back to `HELO localhost`.
  const command = (hello === 'EHLO' || hello === 'HELO') && domain !== undefined ? `${hello} ${domain}` : 'HELO localhost';
  useProtocol(ctx, 'smtp', smtpRules(command));
}

function optionCheck(name: string, parse: (ctx: ProxyContext) => void): ProxyKeyword {
  return { name: `option ${name}`, sections: BACKEND_SIDE, parse };
}

export const proxyKeywords: ProxyKeyword[] = [
  optionCheck('httpchk', parseHttpChk),
  optionCheck('tcp-check', (ctx) => {
    if (noArgument(ctx)) ctx.proxy.checks.kind = 'tcp-check';
  }),
  optionCheck('redis-check', (ctx) => {
    if (noArgument(ctx)) useProtocol(ctx, 'redis', REDIS);
  }),
  optionCheck('ldap-check', (ctx) => {
    if (noArgument(ctx)) useProtocol(ctx, 'ldap', LDAP);
  }),
  optionCheck('ssl-hello-chk', (ctx) => {
    if (noArgument(ctx)) useProtocol(ctx, 'ssl-hello', sslHelloRules());
  }),
  optionCheck('pgsql-check', parsePgsql),
  optionCheck('mysql-check', parseMysql),
  optionCheck('smtpchk', parseSmtp),
];
