// `stick match|on|store-request|store-response` (configuration.txt 4.2 `stick`): a key's server kept in a
// master-held stick table (server_id = the server's position in its backend, HAProxy's puid).
// Before the balancer picks, the rules' keys are looked up (one round trip, only for backends
// with match/on rules); the first rule whose entry names a server that is up (or, with `option
// persist` / `force-persist`, even down) sends the request there. After the choice, the on /
// store-request rules store it, except in a table whose entry already gave it. After the server's
// response head, the store-response rules store the server that answered (`res.cook(SESSID)`).
import type { StickRule } from '../config/model.ts';
import type { StickSnapshot } from '../stick/types.ts';
import type { BackendRuntime, ServerRuntime } from './runtime.ts';
import { evaluate } from './rules.ts';
import type { SampleContext } from './sample.ts';
import { compileSample } from './sample.ts';
import { toStr } from './match.ts';

export type StickMode = 'normal' | 'persist' | 'ignore';

interface Keyed {
  rule: StickRule;
  key: string;
}

/** The rules of `kinds` whose condition holds, with their keys (rules whose key is not found are skipped). */
function keyed(x: SampleContext, rules: readonly StickRule[], kinds: ReadonlySet<string>): Keyed[] {
  const out: Keyed[] = [];
  for (const rule of rules) {
    if (!kinds.has(rule.kind) || (rule.cond !== undefined && !evaluate(rule.cond, x))) continue;
    const v = compileSample(rule.key).value(x);
    if (v !== undefined) out.push({ rule, key: toStr(v) });
  }
  return out;
}

const MATCHING: ReadonlySet<string> = new Set(['on', 'match']);
const STORING: ReadonlySet<string> = new Set(['on', 'store-request']);
const STORING_RESPONSE: ReadonlySet<string> = new Set(['store-response']);

/** The server the match/on rules find (a promise: the look-ups), or undefined when none can. */
export function stuckServer(x: SampleContext, be: BackendRuntime, mode: StickMode): Promise<{ srv?: ServerRuntime; table?: string }> | undefined {
  const rules = be.backend.stickRules;
  const client = x.stick?.client;
  if (rules === undefined || client === undefined || mode === 'ignore') return undefined;
  const wanted = keyed(x, rules, MATCHING);
  if (wanted.length === 0) return undefined;
  return Promise.all(wanted.map((k) => client.lookup(k.rule.table, k.key, false))).then((answers) => {
    for (const [i, a] of answers.entries()) {
      const srv = storedServer(be, a?.entry);
      if (srv !== undefined && (srv.running || mode === 'persist')) return { srv, table: (wanted[i] as Keyed).rule.table };
    }
    return {};
  });
}

/** An entry's server: by its name (`server_key`) first, as HAProxy 2.6 does, else by `server_id`. */
function storedServer(be: BackendRuntime, entry: StickSnapshot | undefined): ServerRuntime | undefined {
  const name = entry?.serverKey;
  const named = name === undefined ? undefined : be.servers.find((s) => s.name === name);
  if (named !== undefined) return named;
  const id = entry?.data.server_id;
  return id === undefined || id < 1 ? undefined : be.servers[id - 1];
}

/** Store the chosen server under the on/store-request rules' keys (not in `matched`, the table that gave it). */
export function storeServer(x: SampleContext, be: BackendRuntime, srv: ServerRuntime, matched: string | undefined): void {
  const rules = be.backend.stickRules;
  const client = x.stick?.client;
  if (rules === undefined || client === undefined) return;
  const id = be.servers.indexOf(srv) + 1;
  if (id < 1) return;
  const done = new Set<string>(matched === undefined ? [] : [matched]);
  for (const k of keyed(x, rules, STORING)) {
    if (done.has(k.rule.table)) continue;
    done.add(k.rule.table);
    client.update(k.rule.table, k.key, { serverId: id, serverKey: srv.name });
  }
}

/** `stick store-response`: the server that answered, under the rules' keys read from its response
 * (HAProxy runs them before the http-response rules); one store per table, the first rule's. */
export function storeResponseServer(x: SampleContext, be: BackendRuntime, srv: ServerRuntime): void {
  const rules = be.backend.stickRules;
  const client = x.stick?.client;
  if (rules === undefined || client === undefined) return;
  const id = be.servers.indexOf(srv) + 1;
  if (id < 1) return;
  const done = new Set<string>();
  for (const k of keyed(x, rules, STORING_RESPONSE)) {
    if (done.has(k.rule.table)) continue;
    done.add(k.rule.table);
    client.update(k.rule.table, k.key, { serverId: id, serverKey: srv.name });
  }
}
