// Every keyword HAProxy 2.6 has (and every one handoff adds), with what handoff does with it,
// read off the keyword tables themselves: `handoff check --keywords` prints it and
// docs/config.md embeds it, so the list cannot drift from what `check` does.
import { GLOBAL_KEYWORDS, PROXY_KEYWORDS } from './keywords/index.ts';
import { HAPROXY_BIND_OPTION, HAPROXY_GLOBAL, HAPROXY_OPTION, HAPROXY_PROXY, HAPROXY_SERVER_OPTION, HAPROXY_TIMEOUT } from './keywords/haproxy-names.ts';
import { BIND_OPTIONS } from './keywords/bind.ts';
import { SERVER_OPTIONS } from './keywords/server.ts';
import { REMOVED } from './keywords/removed.ts';
import { HARMLESS_GLOBAL, HARMLESS_OPTION, HARMLESS_PROXY } from './keywords/unknown.ts';
import type { KeywordStatus } from './keywords/types.ts';
import type { UnimplementedOptions } from './keywords/unimplemented.ts';

export interface KeywordRow {
  where: 'global' | 'proxy' | 'bind' | 'server';
  name: string;
  status: 'supported' | 'ignored' | 'warned' | 'refused' | 'removed';
  why?: string;
}

const NOT_IMPLEMENTED_HARMLESS = 'not implemented; no effect on traffic';
const NOT_IMPLEMENTED = 'not implemented';

function row(where: KeywordRow['where'], name: string, status: KeywordStatus | undefined): KeywordRow {
  if (status === undefined) return { where, name, status: 'supported' };
  return status.kind === 'ignored' ? { where, name, status: 'ignored' } : { where, name, status: status.kind, why: status.why };
}

function tableRows(): KeywordRow[] {
  const rows: KeywordRow[] = [];
  for (const [name, defs] of GLOBAL_KEYWORDS) rows.push(row('global', name, defs[0]?.status));
  for (const [name, defs] of PROXY_KEYWORDS) rows.push(row('proxy', name, defs[0]?.status));
  return rows;
}

function missingRows(seen: Set<string>): KeywordRow[] {
  const rows: KeywordRow[] = [];
  const add = (where: KeywordRow['where'], name: string, harmless: boolean) => {
    if (seen.has(`${where} ${name}`)) return;
    rows.push({ where, name, status: harmless ? 'warned' : 'refused', why: harmless ? NOT_IMPLEMENTED_HARMLESS : NOT_IMPLEMENTED });
  };
  for (const n of HAPROXY_GLOBAL) add('global', n, HARMLESS_GLOBAL.has(n) || n.startsWith('tune.'));
  for (const n of HAPROXY_PROXY) if (n !== 'option' && n !== 'timeout' && n !== 'stats') add('proxy', n, HARMLESS_PROXY.has(n));
  for (const n of HAPROXY_OPTION) add('proxy', `option ${n}`, HARMLESS_OPTION.has(n));
  for (const n of HAPROXY_TIMEOUT) add('proxy', `timeout ${n}`, false);
  for (const [name, r] of Object.entries(REMOVED)) {
    if (!seen.has(`proxy ${name}`)) rows.push({ where: 'proxy', name, status: r.refuse === true ? 'refused' : 'removed', why: `removed from HAProxy; write ${r.replacement}` });
  }
  return rows;
}

function optionRows(where: 'bind' | 'server', opts: UnimplementedOptions, haproxy: ReadonlySet<string>): KeywordRow[] {
  const rows: KeywordRow[] = [];
  const status = (w: string): Omit<KeywordRow, 'where' | 'name'> => {
    const refused = opts.refusedWithValue?.[w] ?? opts.refusedFlags?.[w];
    if (refused !== undefined) return { status: 'refused', why: refused };
    const warned = opts.warnedWithValue?.[w] ?? opts.warnedFlags[w];
    if (warned !== undefined) return { status: 'warned', why: warned };
    if (opts.ignoredWithValue.has(w) || opts.ignoredFlags.has(w)) return { status: 'ignored' };
    if (opts.implemented.includes(w)) return { status: 'supported' };
    return { status: 'refused', why: NOT_IMPLEMENTED };
  };
  for (const w of new Set([...opts.implemented, ...haproxy])) rows.push({ where, name: w, ...status(w) });
  return rows;
}

/** Every keyword, sorted by where it appears and name. */
export function keywordRows(): KeywordRow[] {
  const rows = tableRows();
  const seen = new Set(rows.map((r) => `${r.where} ${r.name}`));
  rows.push(...missingRows(seen));
  rows.push(...optionRows('bind', BIND_OPTIONS, HAPROXY_BIND_OPTION));
  rows.push(...optionRows('server', SERVER_OPTIONS, HAPROXY_SERVER_OPTION));
  const order = { global: 0, proxy: 1, bind: 2, server: 3 };
  return rows.sort((a, b) => order[a.where] - order[b.where] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const LABEL: Record<KeywordRow['status'], string> = {
  supported: 'supported',
  ignored: 'accepted, no effect',
  warned: 'warning',
  refused: '**error**',
  removed: 'read as its replacement, warning',
};

/** The rows as Markdown tables, one per place a keyword appears. */
export function keywordMarkdown(rows: readonly KeywordRow[] = keywordRows()): string {
  const heads = { global: '`global` keywords', proxy: 'Proxy keywords (`defaults`, `frontend`, `backend`, `listen`)', bind: '`bind` options', server: '`server` / `default-server` options' };
  const out: string[] = [];
  for (const where of ['global', 'proxy', 'bind', 'server'] as const) {
    out.push(`#### ${heads[where]}`, '', '| keyword | handoff | why |', '|---|---|---|');
    for (const r of rows) if (r.where === where) out.push(`| \`${r.name}\` | ${LABEL[r.status]} | ${(r.why ?? '').replaceAll('|', '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
