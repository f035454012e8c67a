// Keywords HAProxy removed (1.5 to 2.1) that old configurations still carry. handoff reads each
// with its modern meaning and a warning naming the replacement — where HAProxy 2.6 refuses the
// file — or, where no exact modern meaning exists, refuses it naming what to write instead.
import type { Reporter } from './types.ts';

export interface Removed {
  /** The modern spelling, for the warning. */
  replacement: string;
  /** The line rewritten in modern syntax; absent: the keyword's own parser still reads it. */
  rewrite?: (args: readonly string[]) => string[];
  /** No exact modern meaning: refused. */
  refuse?: boolean;
}

const alias = (...head: string[]) => (args: readonly string[]): string[] => [...head, ...args];

export const REMOVED: Readonly<Record<string, Removed>> = {
  contimeout: { replacement: 'timeout connect', rewrite: alias('timeout', 'connect') },
  clitimeout: { replacement: 'timeout client', rewrite: alias('timeout', 'client') },
  srvtimeout: { replacement: 'timeout server', rewrite: alias('timeout', 'server') },
  redispatch: { replacement: 'option redispatch', rewrite: alias('option', 'redispatch') },
  block: { replacement: 'http-request deny', rewrite: alias('http-request', 'deny') },
  reqadd: { replacement: 'http-request add-header' },
  rspadd: { replacement: 'http-response add-header' },
  reqdel: { replacement: 'http-request del-header' },
  reqidel: { replacement: 'http-request del-header' },
  rspdel: { replacement: 'http-response del-header' },
  rspidel: { replacement: 'http-response del-header' },
  reqrep: { replacement: 'http-request replace-header, replace-value or replace-uri', refuse: true },
  reqirep: { replacement: 'http-request replace-header, replace-value or replace-uri', refuse: true },
  rsprep: { replacement: 'http-response replace-header or replace-value', refuse: true },
  rspirep: { replacement: 'http-response replace-header or replace-value', refuse: true },
  reqallow: { replacement: 'http-request allow', refuse: true },
  reqiallow: { replacement: 'http-request allow', refuse: true },
  reqpass: { replacement: 'http-request allow', refuse: true },
  reqipass: { replacement: 'http-request allow', refuse: true },
  reqdeny: { replacement: 'http-request deny', refuse: true },
  reqideny: { replacement: 'http-request deny', refuse: true },
  reqtarpit: { replacement: 'http-request tarpit', refuse: true },
  reqitarpit: { replacement: 'http-request tarpit', refuse: true },
  rspdeny: { replacement: 'http-response deny', refuse: true },
  rspideny: { replacement: 'http-response deny', refuse: true },
  reqsetbe: { replacement: 'use_backend', refuse: true },
  reqisetbe: { replacement: 'use_backend', refuse: true },
  'monitor-net': { replacement: "'http-request return status 200 if { src NET }' or 'tcp-request connection'", refuse: true },
  appsession: { replacement: "'cookie' with 'stick-table'", refuse: true },
};

/**
 * The words to read for a proxy line, after a removed keyword is mapped to its replacement
 * (warned), or null when it is refused (reported).
 */
export function modernize(words: string[], rep: Reporter): string[] | null {
  const [head, ...args] = words;
  const r = head === undefined ? undefined : REMOVED[head];
  if (r === undefined) return words;
  const since = `'${head}' was removed from HAProxy (2.1 and earlier)`;
  if (r.refuse === true) {
    rep.error(`${since}; handoff has no exact equivalent of its regex or rule: use ${r.replacement}`);
    return null;
  }
  rep.warn(`${since}; handoff reads it as '${r.replacement}', write that instead`);
  return r.rewrite === undefined ? words : r.rewrite(args);
}
