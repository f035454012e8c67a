// The stick-counter actions of rule lists: `track-sc0|1|2 KEY [table T]`, `sc-inc-gpc0(N)`,
// `sc-inc-gpc1(N)`, `sc-set-gpt0(N) VALUE` (configuration.txt 4.2 http-request, 4.2 tcp-request).
import type { Sample } from '../model.ts';
import { parseSample, type SampleWhere } from '../sample.ts';
import type { Reporter } from './types.ts';

/** A parsed stick action (the model's HttpRule / TcpRule member without cond and loc). */
export type StickAction =
  | { action: 'track-sc'; slot: number; key: Sample; table: string }
  | { action: 'sc-inc-gpc'; slot: number; gpc: 0 | 1 }
  | { action: 'sc-set-gpt0'; slot: number; value: Sample };

export const STICK_SLOTS = 3;

function slotOf(rep: Reporter, word: string, text: string | undefined): number | undefined {
  const n = text === undefined ? NaN : Number(text);
  if (Number.isInteger(n) && n >= 0 && n < STICK_SLOTS) return n;
  return void rep.error(`'${word}': the stick counter must be 0, 1 or 2`);
}

/** `track-scN KEY [table T]`; `proxy` is the default table (the rule's own proxy). */
export function parseTrack(rep: Reporter, word: string, args: readonly string[], proxy: string, where: SampleWhere): StickAction | undefined {
  const slot = slotOf(rep, word, /^track-sc(\d)$/.exec(word)?.[1]);
  if (slot === undefined) return undefined;
  const [keyText, kw, table, ...extra] = args;
  if (keyText === undefined) return void rep.error(`'${word}' expects a sample expression as the key, e.g. '${word} src'`);
  if (kw !== undefined && (kw !== 'table' || table === undefined || extra.length > 0)) {
    return void rep.error(`'${word} ${keyText}' expects 'table <name>' or 'if'/'unless' after the key, got '${kw}'`);
  }
  const key = parseSample(keyText);
  if (!key.ok) return void rep.error(`'${word}': ${key.error}`);
  void where;
  return { action: 'track-sc', slot, key: key.value.sample, table: table ?? proxy };
}

/** `sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`, `sc-set-gpt0(N) VALUE`. */
export function parseScAction(rep: Reporter, word: string, args: readonly string[]): StickAction | undefined {
  const m = /^(sc-inc-gpc[01]|sc-set-gpt0)\((\d)\)$/.exec(word);
  if (m === null) return void rep.error(`'${word}' expects a stick counter number, e.g. 'sc-inc-gpc0(0)'`);
  const slot = slotOf(rep, word, m[2]);
  if (slot === undefined) return undefined;
  if (m[1] === 'sc-set-gpt0') {
    const text = args[0] ?? '';
    const v = args.length === 1 ? parseSample(/^-?\d+$/.test(text) ? `int(${text})` : text) : undefined;
    if (v === undefined || !v.ok) return void rep.error(`'${word}' expects one value (an integer or a sample expression)`);
    return { action: 'sc-set-gpt0', slot, value: v.value.sample };
  }
  if (args.length > 0) return void rep.error(`'${word}' takes no argument, got '${args[0]}'`);
  return { action: 'sc-inc-gpc', slot, gpc: m[1] === 'sc-inc-gpc1' ? 1 : 0 };
}
