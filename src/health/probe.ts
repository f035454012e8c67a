// One health check of one server: the backend's ruleset run step by step, as HAProxy's
// tcpcheck_main does — connect (to the check's port and address), send, expect — ending with the
// status of the last step (L4OK after a connect, the expect's ok-status, L7OK by default).
import type { CheckConnect, CheckExpect, CheckHttpSend, CheckRule, HealthCheck, Server } from '../config/model.ts';
import { openConn, type CheckConn, type Deadline } from './conn.ts';
import { serverConnectOptions } from '../config/server-tls-context.ts';
import { encodeProxyV1, encodeProxyV2 } from '../worker/proxy-header.ts';
import { expectHttp, expectTcp, type ExpectContext, type Verdict } from './expect.ts';
import { parseResponse } from './http-response.ts';
import type { CheckOutcome } from './status.ts';

export interface ProbeOptions {
  /** The server's `inter`: the whole check's time, unless `timeout check` is set. */
  inter: number;
  /** `timeout connect`: with `timeout check`, connecting takes at most min(inter, this). */
  timeoutConnect: number;
  /** `timeout check`: the time for the exchange once connected. */
  timeoutCheck?: number;
  /** `tune.bufsize`: what a check reads at most. */
  bufsize: number;
  /** The server is not DOWN: `http-check disable-on-404` applies. */
  notDown: boolean;
}

type Result = Omit<CheckOutcome, 'durationMs'>;

/** What one run of the ruleset carries from step to step. */
interface Run {
  server: Server;
  check: HealthCheck;
  opts: ProbeOptions;
  deadline: Deadline;
  conn: CheckConn | undefined;
  /** The last request was HEAD: its response has no body. */
  head: boolean;
}

export async function runCheck(server: Server, check: HealthCheck, opts: ProbeOptions): Promise<CheckOutcome> {
  const t0 = Date.now();
  const run: Run = { server, check, opts, deadline: { at: t0 + opts.inter }, conn: undefined, head: false };
  try {
    const result = await runRules(run);
    return { ...result, durationMs: Date.now() - t0 };
  } finally {
    run.conn?.close();
  }
}

/** HAProxy's step numbers: the implicit connect is step 0, written rules count from 1. */
function stepOf(rules: readonly CheckRule[], i: number): number {
  return rules[0]?.action === 'connect' && rules[0].implicit === true ? i : i + 1;
}

async function runRules(run: Run): Promise<Result> {
  const rules = run.check.rules;
  let last: Verdict | undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CheckRule;
    const ctx: ExpectContext = { kind: run.check.kind, step: stepOf(rules, i), last: i === rules.length - 1, disable404: run.check.disableOn404 && run.opts.notDown };
    if (rule.action === 'connect') {
      const failed = await connect(run, rule, ctx.step);
      if (failed !== undefined) return failed;
      last = undefined;
      continue;
    }
    const conn = run.conn as CheckConn;
    if (rule.action === 'send' || rule.action === 'http-send') {
      // HAProxy empties its input buffer at every send.
      conn.reset();
      conn.write(rule.action === 'send' ? Buffer.from(rule.hex, 'hex') : httpRequest(rule));
      run.head = rule.action === 'http-send' && rule.method === 'HEAD';
      last = undefined;
      continue;
    }
    const v = await expect(run, rule, ctx);
    if (v.kind === 'fail') return { status: v.status, ...(v.code !== undefined ? { code: v.code } : {}), ...(v.info !== undefined ? { info: v.info } : {}) };
    last = v;
  }
  return finalStatus(run, rules.at(-1), last);
}

function finalStatus(run: Run, rule: CheckRule | undefined, v: Verdict | undefined): Result {
  const tcpCheck = run.check.kind === 'tcp-check';
  // A TLS check that only connects passed the handshake too: HAProxy's L6OK.
  if (rule?.action === 'connect') return { status: run.server.checkSsl === true ? 'L6OK' : 'L4OK', ...(rule.implicit === true ? {} : { info: '(tcp-check)' }) };
  if (rule?.action !== 'expect' || v?.kind !== 'pass') return { status: 'L7OK', info: '(tcp-check)' };
  const code = v.code !== undefined ? { code: v.code } : {};
  // disable-on-404: the server answered 404 to the last request — up, but no new traffic.
  if (run.check.kind === 'http' && run.check.disableOn404 && run.opts.notDown && v.code === 404) return { status: 'L7OKC', code: 404 };
  const info = v.info ?? (tcpCheck ? '(tcp-check)' : undefined);
  return { status: rule.okStatus ?? 'L7OK', ...code, ...(info !== undefined ? { info } : {}) };
}

async function connect(run: Run, rule: CheckConnect, step: number): Promise<Result | undefined> {
  run.conn?.close();
  run.conn = undefined;
  const { server, opts } = run;
  // HAProxy: `inter` bounds the check; with `timeout check`, connecting is bounded by min(inter, timeout connect).
  run.deadline.at = Date.now() + (opts.timeoutCheck !== undefined ? Math.min(opts.inter, opts.timeoutConnect) : opts.inter);
  const host = rule.addr ?? server.checkAddr ?? server.host;
  const port = rule.port ?? server.checkPort ?? server.port;
  const proxy = sendsProxy(server, rule);
  const proxyHeader = (ends: ReturnType<CheckConn['ends']>): Buffer => (server.sendProxy === 'v2' ? encodeProxyV2(undefined) : encodeProxyV1(ends));
  // `check-ssl` (or an `ssl` server checked on its own address): the check runs over TLS.
  const secure = server.checkSsl === true && server.tls !== undefined ? { options: serverConnectOptions(server.tls, server.tls.checkSni), ...(proxy ? { header: proxyHeader } : {}) } : undefined;
  const r = await openConn(host, port, run.deadline, opts.bufsize, secure);
  if (!r.ok) {
    const where = run.check.kind !== 'tcp-check' ? '' : rule.implicit === true ? ' at initial connection step of tcp-check' : ` at step ${step} of tcp-check (connect port ${port})`;
    const info = `${r.info}${where}`.trim();
    if (r.handshake === true) return { status: 'L6RSP', info: r.info };
    return { status: r.timeout ? 'L4TOUT' : 'L4CON', ...(info !== '' ? { info } : {}) };
  }
  run.conn = r.conn;
  if (proxy && secure === undefined) r.conn.write(proxyHeader(r.conn.ends()));
  if (opts.timeoutCheck !== undefined) run.deadline.at = Date.now() + opts.timeoutCheck;
  return undefined;
}

/** HAProxy: `connect send-proxy`, `check-send-proxy`, or a `send-proxy*` server checked on its own
 * address and port. A check has no client: as HAProxy 2.6, v1 carries the check connection's own
 * ends, v2 is `LOCAL`. */
function sendsProxy(server: Server, rule: CheckConnect): boolean {
  if (rule.sendProxy === true || server.checkSendProxy === true) return true;
  const ownTarget = rule.port === undefined && rule.addr === undefined && server.checkPort === undefined && server.checkAddr === undefined;
  return server.sendProxy !== undefined && ownTarget;
}

/** Evaluate, waiting for more data while the rule cannot decide, until the deadline. */
async function expect(run: Run, rule: CheckExpect, ctx: ExpectContext): Promise<Verdict> {
  const conn = run.conn as CheckConn;
  for (;;) {
    const data = conn.data();
    if (data.length === 0 && conn.error !== undefined) return { kind: 'fail', status: rule.errorStatus ?? 'L7RSP', info: conn.error };
    const v = run.check.kind === 'http' ? expectHttp(rule, parseResponse(data, conn.ended, run.head), conn.ended, ctx) : expectTcp(rule, data, conn.ended, ctx);
    if (v.kind !== 'wait') return v;
    if ((await conn.wait()) === 'timeout') return timedOut(run, rule, ctx);
  }
}

function timedOut(run: Run, rule: CheckExpect, ctx: ExpectContext): Verdict {
  const status = rule.toutStatus ?? 'L7TOUT';
  if (run.check.kind !== 'tcp-check') return { kind: 'fail', status };
  const m = rule.match;
  const what = m.type === 'string' ? `string '${Buffer.from(m.hex, 'hex').toString('latin1').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}'` : m.type;
  return { kind: 'fail', status, info: `at step ${ctx.step} of tcp-check (expect ${what})` };
}

/** The request as HAProxy's h1 layer writes it: lower-case names, content-length, `connection: close` in 1.1. */
export function httpRequest(r: CheckHttpSend): Buffer {
  const lines = [`${r.method} ${r.uri} ${r.version}`];
  let connection = false;
  for (const [name, value] of r.headers) {
    if (value === '') continue;
    const lower = name.toLowerCase();
    if (lower === 'connection') connection = true;
    lines.push(`${lower}: ${value}`);
  }
  const body = Buffer.from(r.body, 'utf8');
  if (body.length > 0) lines.push(`content-length: ${body.length}`);
  if (!connection && r.version === 'HTTP/1.1') lines.push('connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}
