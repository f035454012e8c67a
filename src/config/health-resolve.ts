// A backend's health-check lines → the ruleset its checks run, as HAProxy resolves it once the
// section is read (check_proxy_tcpcheck): `option httpchk`'s request after a leading connect, an
// implicit `expect status 200-399` after a last send, a connect before anything else, comments
// given to the rules they precede. Rules of the kind not in use are reported, as HAProxy does.
import type { CheckRuleDraft, CheckRulesDraft, HealthCheckDraft, HttpSendDraft } from './draft.ts';
import type { CheckHttpSend, CheckRule, HealthCheck, Location } from './model.ts';

export interface ResolvedCheck {
  check: HealthCheck;
  warnings: { loc: Location; message: string }[];
}

function realIndex(rules: readonly CheckRuleDraft[], from = 0): number {
  for (let i = from; i < rules.length; i++) if (rules[i]?.action !== 'comment') return i;
  return -1;
}

/** HTTP only: the option's request goes after a leading connect; a last send gets its expect. */
function resolveHttp(rules: CheckRuleDraft[]): CheckRuleDraft[] {
  const out = [...rules];
  const first = realIndex(out);
  const next = first === -1 ? -1 : realIndex(out, first + 1);
  const f = out[first];
  if (f?.action === 'http-send' && f.fromOption && out[next]?.action === 'connect') {
    out.splice(first, 1);
    out.splice(next, 0, f);
  }
  const last = [...out].reverse().find((r) => r.action !== 'comment');
  if (last?.action === 'http-send') out.push({ action: 'expect', match: { type: 'status', ranges: [[200, 399]] }, negate: false, minRecv: -1 });
  return out;
}

/** Drafts → model rules: a connect first, each comment given to the rules it precedes. */
function finish(rules: readonly (CheckRuleDraft | CheckRule)[]): CheckRule[] {
  const out: CheckRule[] = [];
  const first = rules.find((r) => r.action !== 'comment');
  if (first?.action !== 'connect') out.push({ action: 'connect', implicit: true });
  let comment: string | undefined;
  let prev: CheckRuleDraft['action'] | CheckRule['action'] = 'comment';
  for (const r of rules) {
    // HAProxy: a comment applies to the following rules until the kind of rule changes.
    if (r.action !== prev && prev !== 'comment') comment = undefined;
    prev = r.action;
    if (r.action === 'comment') {
      comment = r.text;
      continue;
    }
    const withComment = r.comment === undefined && comment !== undefined ? { ...r, comment } : r;
    out.push(withComment.action === 'http-send' ? request(withComment) : withComment);
    if (r.action === 'connect') comment = undefined;
  }
  return out;
}

/** HAProxy's defaults for what a request leaves unset: `OPTIONS / HTTP/1.0`, no body. */
function request(send: HttpSendDraft | CheckHttpSend): CheckHttpSend {
  const { action, headers, comment } = send;
  return {
    action, method: send.method ?? 'OPTIONS', uri: send.uri ?? '/', version: send.version ?? 'HTTP/1.0', headers, body: send.body ?? '',
    ...(comment !== undefined ? { comment } : {}),
  };
}

function unused(list: CheckRulesDraft, what: 'http-check' | 'tcp-check', proxy: string, fallback: Location): { loc: Location; message: string }[] {
  if (!list.own || list.rules.length === 0) return [];
  const option = what === 'http-check' ? 'option httpchk' : 'option tcp-check';
  return [{ loc: list.loc ?? fallback, message: `backend '${proxy}' uses ${what} rules without '${option}', so the rules are ignored` }];
}

export function resolveHealthCheck(d: HealthCheckDraft, proxy: string, loc: Location): ResolvedCheck {
  const warnings = [
    ...(d.kind === 'http' ? [] : unused(d.http, 'http-check', proxy, loc)),
    ...(d.kind === 'tcp-check' ? [] : unused(d.tcp, 'tcp-check', proxy, loc)),
  ];
  const drafts: readonly (CheckRuleDraft | CheckRule)[] = d.kind === 'http' ? resolveHttp(d.http.rules) : d.kind === 'tcp-check' ? d.tcp.rules : d.kind === 'connect' ? [] : d.protocol;
  return { check: { kind: d.kind, rules: finish(drafts), disableOn404: d.disableOn404 }, warnings };
}
