// What a request to the stats page asks for, read from what follows the `stats uri` as HAProxy
// reads it (`;up`, `;no-maint`, `;norefresh`, `;st=CODE`, `scope=TEXT`), and the page's own links
// built back from it.
import type { StatsAdminCode, StatsRow } from '../ipc/messages.ts';

export interface PageRequest {
  /** `;up`: hide servers that are DOWN (and not going up) or in maintenance. */
  hideDown: boolean;
  /** `;no-maint`: hide servers in maintenance. */
  hideMaint: boolean;
  /** `;norefresh` (only read when the page has `stats refresh`). */
  noRefresh: boolean;
  /** `;st=CODE`: the result of the action just posted, shown as a message. */
  st?: StatsAdminCode;
  /** `scope=TEXT` (the scope box): only proxies whose name contains it, case-insensitively. */
  scope: string;
}

const CODES: readonly StatsAdminCode[] = ['DENY', 'DONE', 'ERRP', 'EXCD', 'NONE', 'PART', 'UNKN', 'IVAL'];
/** HAProxy's STAT_SCOPE_TXT_MAXLEN. */
export const SCOPE_MAX = 20;

/** `rest`: the request URI after the stats uri. `refresh`: the page has `stats refresh`. */
export function parsePageRequest(rest: string, refresh: boolean): PageRequest {
  const req: PageRequest = { hideDown: rest.includes(';up'), hideMaint: rest.includes(';no-maint'), noRefresh: refresh && rest.includes(';norefresh'), scope: '' };
  const st = rest.indexOf(';st=');
  if (st !== -1 && rest.length - st >= 8) {
    const code = rest.slice(st + 4, st + 8);
    req.st = CODES.find((c) => c === code) ?? 'UNKN';
  }
  const at = rest.indexOf('scope=');
  if (at !== -1) {
    const m = /^[^;& ]*/.exec(rest.slice(at + 6)) as RegExpExecArray;
    const text = m[0].slice(0, SCOPE_MAX);
    // HAProxy clears a scope with a character that is not allowed in a proxy name.
    if (/^[A-Za-z0-9_.:-]*$/.test(text)) req.scope = text;
  }
  return req;
}

/** A link to the page with `req`'s flags, changed by `change`; `;st=` only when given. */
export function pageLink(uri: string, req: PageRequest, change: Partial<Pick<PageRequest, 'hideDown' | 'noRefresh'>> & { st?: StatsAdminCode } = {}): string {
  const hideDown = change.hideDown ?? req.hideDown;
  const noRefresh = change.noRefresh ?? req.noRefresh;
  const st = change.st !== undefined ? `;st=${change.st}` : '';
  return `${uri}${st}${hideDown ? ';up' : ''}${noRefresh ? ';norefresh' : ''}${scopeSuffix(req)}`;
}

/** `?scope=TEXT` when the request has one, as HAProxy appends to every link. */
export function scopeSuffix(req: PageRequest): string {
  return req.scope === '' ? '' : `?scope=${req.scope}`;
}

/** `;up` hides servers in maintenance and DOWN ones not on their way up; `;no-maint` those in maintenance. */
export function hidden(row: StatsRow, req: Pick<PageRequest, 'hideDown' | 'hideMaint'>): boolean {
  const maint = row.status.startsWith('MAINT');
  return (req.hideMaint && maint) || (req.hideDown && (maint || row.status === 'DOWN' || row.status === 'DOWN (agent)'));
}
