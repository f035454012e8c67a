// What happens when handoff answers a request itself: a rule's verdict (deny, tarpit, return,
// auth, redirect, reject, a failed rewrite), monitor-uri, or an error page. Every such response
// goes through the backend's then the frontend's http-after-response rules, as in HAProxy, and is
// logged with HAProxy's termination state (PR, PT, LR, PH, LH).
import type { Backend, Frontend, HttpReply, HttpRule, Redirect } from '../config/model.ts';
import type { Http1Connection } from './http1/server.ts';
import { REWRITE_FAILED, runRules, type RuleExchange, type Verdict } from './actions.ts';
import { authResponse, builtinPage, errorResponse, parsedResponse, redirectResponse, replyResponse, type OwnResponse } from './replies.ts';

/** What answering needs of the exchange (http-proxy.ts's Exchange). */
export interface Answering extends RuleExchange {
  client: Http1Connection;
  termination: string;
  headSent: boolean;
  done: boolean;
  /** A tarpitted request's hold, cleared when the exchange ends. */
  tarpitTimer: NodeJS.Timeout | undefined;
  /** The proxies whose rules and pages apply: the frontend, and the backend once chosen. */
  proxies(): { fe: Frontend; be: Backend | undefined };
  /** Our response was written: the exchange completes. */
  ownResponseSent(): void;
}

/** Where a verdict came from: request rules (termination R) or response rules (H), of which proxy. */
export interface VerdictSource {
  side: 'request' | 'response';
  /** The proxy whose rule it is: `auth`'s default realm, `tarpit`'s timeout. */
  proxy: Frontend | Backend;
}

/** Apply the http-after-response rules (backend's, then frontend's) to `resp`; undefined: they failed. */
function afterResponse(x: Answering, resp: OwnResponse): OwnResponse | undefined {
  const { fe, be } = x.proxies();
  const lists: readonly HttpRule[][] = be === undefined ? [fe.http.httpAfterResponse] : [be.http.httpAfterResponse, fe.http.httpAfterResponse];
  if (lists.every((l) => l.length === 0)) return resp;
  const parsed = parsedResponse(resp);
  // An errorfile that is not an HTTP message cannot be changed: it is sent as it is.
  if (parsed === undefined) return resp;
  const headers = [...parsed.headers];
  x.resHeaders = headers;
  x.status = parsed.status;
  x.statusText = parsed.reason;
  for (const rules of lists) if (runRules(rules, x, headers) === REWRITE_FAILED) return undefined;
  return { status: x.status, reason: x.statusText, headers, body: parsed.body };
}

/** Send a response of ours: http-after-response rules, then the bytes, then the exchange completes. */
export function sendOwn(x: Answering, resp: OwnResponse, termination: string): void {
  x.termination = termination;
  x.status = resp.status;
  const client = x.client;
  if (x.headSent || client.closedOrGone) {
    client.abort();
    return;
  }
  const { fe, be } = x.proxies();
  // A failure in the after-response rules gets the 500 page as it is (HAProxy's const reply).
  const out = afterResponse(x, resp) ?? (parsedResponse(errorResponse(500, be, fe)) ?? builtinPage(500));
  // The log shows the status asked for, or the one the rules set; an errorfile's own status line is not read.
  x.status = out.raw !== undefined ? resp.status : out.status;
  if (out.raw !== undefined) client.respondRaw(out.raw);
  else client.respond(out.status, out.reason, out.headers, out.body);
  x.headSent = true;
  x.ownResponseSent();
}

/** Answer with the proxy's page for a status (handoff's own errors: 503, 502, 504…). */
export function sendErrorPage(x: Answering, status: number, termination: string): void {
  const { fe, be } = x.proxies();
  sendOwn(x, errorResponse(status, be, fe), termination);
}

/** A redirect rule matched (`x.location` holds where to). */
export function sendRedirect(x: Answering, r: Pick<Redirect, 'code' | 'cookie'>, side: 'request' | 'response'): void {
  sendOwn(x, redirectResponse(r.code, x.location, r.cookie), side === 'request' ? 'LR--' : 'LH--');
}

/** Answer a rule list's verdict. */
export function answerVerdict(x: Answering, v: NonNullable<Verdict>, src: VerdictSource): void {
  const { fe, be } = x.proxies();
  const r = src.side === 'request' ? 'R' : 'H';
  if (v === REWRITE_FAILED) return sendOwn(x, errorResponse(500, be, fe), `P${r}--`);
  switch (v.action) {
    case 'deny':
      return sendOwn(x, replyResponse(v.reply, x, be, fe), `P${r}--`);
    case 'return':
      return sendOwn(x, replyResponse(v.reply, x, be, fe), `L${r}--`);
    case 'auth':
      return sendOwn(x, authResponse(v.realm ?? src.proxy.name, be, fe), 'LR--');
    case 'redirect':
      return sendRedirect(x, v.redirect, src.side);
    case 'reject':
      x.termination = 'PR--';
      x.status = 0;
      x.client.abort();
      return;
    case 'tarpit':
      return tarpit(x, v.reply, src.proxy);
  }
}

/** Hold the request for `timeout tarpit` (else `timeout connect`), then answer (500 by default): `PT`. */
function tarpit(x: Answering, reply: HttpReply, proxy: Frontend | Backend): void {
  const t = proxy.timeouts;
  x.termination = 'PT--';
  x.tarpitTimer = setTimeout(() => {
    x.tarpitTimer = undefined;
    if (x.done || x.client.closedOrGone) return;
    const { fe, be } = x.proxies();
    sendOwn(x, replyResponse(reply, x, be, fe), 'PT--');
  }, t.tarpit ?? t.connect);
}
