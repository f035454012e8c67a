// `show table`, `clear table`, `set table` (management.txt 9.3) over the master's stick tables,
// in HAProxy 2.6's words and format (`0x…: key=127.0.0.1 use=0 exp=59979 http_req_rate(10000)=3`).
import { entryData, getOrCreate, lookup, setData, type StickEntry, type StickTable } from '../../stick/table.ts';
import { STICK_DATA, type StickDataName } from '../../stick/types.ts';
import { CommandError, type Command } from '../command.ts';
import type { AdminTarget } from '../target.ts';

const OPS: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, le: (a, b) => a <= b, lt: (a, b) => a < b, ge: (a, b) => a >= b, gt: (a, b) => a > b,
};

interface Filter {
  name: StickDataName;
  op: (a: number, b: number) => boolean;
  value: number;
}

function header(t: StickTable): string {
  return `# table: ${t.def.name}, type: ${t.def.type}, size:${t.def.size}, used:${t.entries.size}`;
}

/** A pointer-like address per entry: stable while it lives, as HAProxy's is. */
function address(e: StickEntry): string {
  return `0x${(0x55d2e3a00000 + e.id * 0x68).toString(16)}`;
}

function entryLine(t: StickTable, e: StickEntry, now: number): string {
  const parts = [`${address(e)}: key=${e.key}`, `use=${e.use}`];
  // A table without `expire` shows exp=0 (HAProxy 2.6).
  parts.push(`exp=${t.def.expireMs === undefined ? 0 : Math.max(0, e.expireAt - now)}`);
  const data = entryData(t, e, now);
  for (const s of t.def.store) parts.push(s.periodMs === undefined ? `${s.name}=${data[s.name] ?? 0}` : `${s.name}(${s.periodMs})=${data[s.name] ?? 0}`);
  // HAProxy 2.6 keeps server_key (a name) beside server_id and prints it last, `-` when unset.
  if (data.server_id !== undefined) parts.push(`server_key=${e.serverKey ?? '-'}`);
  return parts.join(' ');
}

function tableOf(target: AdminTarget, name: string | undefined): StickTable {
  const t = name === undefined ? undefined : target.stickTables().get(name);
  if (t === undefined) throw new CommandError('No such table');
  return t;
}

function keyOf(target: AdminTarget, t: StickTable, raw: string | undefined): string {
  if (raw === undefined) throw new CommandError('Key value expected');
  const key = target.stickTables().key(t.def.name, raw);
  if (key === undefined) throw new CommandError('Invalid key');
  return key;
}

/** `data.<type> <op> <value>` filters (up to 4, as HAProxy 2.6). */
function parseFilters(t: StickTable, words: string[]): Filter[] {
  const out: Filter[] = [];
  for (let i = 0; i < words.length; i += 3) {
    const n = out.length + 1;
    const name = (words[i] ?? '').replace(/^data\./, '') as StickDataName;
    if (!(words[i] ?? '').startsWith('data.') || !STICK_DATA.includes(name)) throw new CommandError(`Filter entry #${n}: Unknown data type`);
    if (!t.def.store.some((s) => s.name === name)) throw new CommandError(`Filter entry #${n}: Data type not stored in this table`);
    const op = OPS[words[i + 1] ?? ''];
    if (op === undefined) throw new CommandError(`Filter entry #${n}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"`);
    const value = Number(words[i + 2]);
    if (words[i + 2] === undefined || !Number.isInteger(value)) throw new CommandError(`Filter entry #${n}: Require a valid integer value to compare against`);
    out.push({ name, op, value });
  }
  if (out.length > 4) throw new CommandError('Too many filters');
  return out;
}

/** HAProxy dumps a table in its tree's order: by the key's bytes (addresses by number). */
function inKeyOrder(t: StickTable): StickEntry[] {
  const rank = (k: string): string => (t.def.type === 'ip' ? k.split('.').map((b) => b.padStart(3, '0')).join('.') : t.def.type === 'integer' ? String(Number(k) + 2 ** 31).padStart(11, '0') : k);
  return [...t.entries.values()].sort((a, b) => (rank(a.key) < rank(b.key) ? -1 : rank(a.key) > rank(b.key) ? 1 : 0));
}

function showTable(target: AdminTarget, args: string[]): string {
  const now = Date.now();
  if (args[2] === undefined) return target.stickTables().all().reverse().map((t) => `${header(t)}\n`).join('');
  const t = tableOf(target, args[2]);
  const lines = [header(t)];
  if (args[3] === 'key') {
    if (args[4] === undefined) throw new CommandError('Key value expected');
    // A value that cannot be a key of this table: nothing at all (HAProxy 2.6).
    const key = target.stickTables().key(t.def.name, args[4]);
    if (key === undefined) return '';
    const e = lookup(t, key, now);
    if (e !== undefined) lines.push(entryLine(t, e, now));
    return `${lines.join('\n')}\n`;
  }
  const filters = parseFilters(t, args.slice(3));
  for (const e of inKeyOrder(t)) {
    const data = entryData(t, e, now);
    if (filters.every((f) => f.op(data[f.name] ?? 0, f.value))) lines.push(entryLine(t, e, now));
  }
  return `${lines.join('\n')}\n`;
}

function clearTable(target: AdminTarget, args: string[]): string {
  const t = tableOf(target, args[2]);
  if (args[3] === undefined || args[3].startsWith('data.')) {
    const filters = parseFilters(t, args.slice(3));
    const now = Date.now();
    for (const e of [...t.entries.values()]) {
      const data = entryData(t, e, now);
      if (e.use === 0 && filters.every((f) => f.op(data[f.name] ?? 0, f.value))) t.entries.delete(e.key);
    }
    return '';
  }
  if (args[3] !== 'key') throw new CommandError('Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>');
  const key = keyOf(target, t, args[4]);
  const e = t.entries.get(key);
  if (e !== undefined && e.use === 0) t.entries.delete(key);
  return '';
}

function setTable(target: AdminTarget, args: string[]): string {
  const t = tableOf(target, args[2]);
  if (args[3] !== 'key') throw new CommandError('"key" value expected');
  const key = keyOf(target, t, args[4]);
  const now = Date.now();
  const pairs = args.slice(5);
  // The entry is created (or touched) before the data are read, as HAProxy does.
  const entry = getOrCreate(t, key, now);
  if (entry === undefined) throw new CommandError('Unable to allocate a new entry');
  for (let i = 0; i < pairs.length; i += 2) {
    const name = (pairs[i] ?? '').replace(/^data\./, '') as StickDataName;
    if (!(pairs[i] ?? '').startsWith('data.') || !STICK_DATA.includes(name)) throw new CommandError('"data.<type>" followed by a value expected');
    if (!t.def.store.some((s) => s.name === name)) throw new CommandError('Data type not stored in this table');
    const value = Number(pairs[i + 1]);
    if (pairs[i + 1] === undefined || !Number.isInteger(value)) throw new CommandError('Require a valid integer value to store');
    setData(t, entry, name, value, now);
  }
  return '';
}

export const stickTableCommands: Command[] = [
  { usage: 'show table <table> [<filter>]*', help: "report table usage stats or dump this table's contents (filter: data/key)", level: 'operator', run: (target, args) => showTable(target, args) },
  { usage: 'clear table <table> [<filter>]*', help: 'remove an entry from a table (filter: data/key)', level: 'operator', run: (target, args) => clearTable(target, args) },
  { usage: 'set table <table> key <k> [data.* <v>]*', help: 'update or create a table entry\'s data', level: 'admin', run: (target, args) => setTable(target, args) },
];
