// A check's outcome in HAProxy's terms: the status names of `show stat` (check_status), their
// descriptions (check_desc), and the "reason" text of HAProxy's UP/DOWN log lines.
import type { CheckStatus } from '../config/model.ts';

export const CHECK_DESCRIPTIONS: Readonly<Record<CheckStatus | 'INI', string>> = {
  INI: 'Initializing',
  SOCKERR: 'Socket error',
  L4OK: 'Layer4 check passed',
  L4TOUT: 'Layer4 timeout',
  L4CON: 'Layer4 connection problem',
  L6OK: 'Layer6 check passed',
  L6TOUT: 'Layer6 timeout',
  L6RSP: 'Layer6 invalid response',
  L7OK: 'Layer7 check passed',
  L7OKC: 'Layer7 check conditionally passed',
  L7TOUT: 'Layer7 timeout',
  L7RSP: 'Layer7 invalid response',
  L7STS: 'Layer7 wrong status',
};

export interface CheckOutcome {
  status: CheckStatus;
  /** The HTTP status, LDAP resultCode, MySQL error number or SMTP code, when there is one. */
  code?: number;
  /** HAProxy's "info": the system error, the reason phrase, the protocol's message… */
  info?: string;
  durationMs: number;
}

/** Passed, failed, or HAProxy's "conditionally passed" (L7OKC: the server goes to NOLB). */
export type CheckResult = 'passed' | 'failed' | 'condpass';

export function resultOf(status: CheckStatus): CheckResult {
  if (status === 'L4OK' || status === 'L6OK' || status === 'L7OK') return 'passed';
  return status === 'L7OKC' ? 'condpass' : 'failed';
}

/** As HAProxy words it: `Layer7 wrong status, code: 500, info: "Internal Server Error"`. */
export function describeOutcome(o: Pick<CheckOutcome, 'status' | 'code' | 'info'>): string {
  const code = o.code !== undefined ? `, code: ${o.code}` : '';
  const info = o.info !== undefined && o.info !== '' ? `, info: "${o.info}"` : '';
  return `${CHECK_DESCRIPTIONS[o.status]}${code}${info}`;
}
