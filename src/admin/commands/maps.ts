// Map and ACL commands (management.txt 9.3): show/get/add/set/del/clear map|acl, answered and
// refused in HAProxy 2.6's words; and `show table`, which has nothing to show until handoff has
// stick tables (issue 11).
import { CommandError, type Command } from '../command.ts';
import type { AdminTarget, PatternKind, PatternMatch } from '../target.ts';

const ID = { map: 'map', acl: 'ACL' } as const;

function check(result: string | null): string {
  if (result !== null) throw new CommandError(result);
  return '';
}

/** `@VER` (HAProxy's prepared versions, `prepare map` / `commit map`) is not supported. */
function noVersion(args: string[]): void {
  if (args[2]?.startsWith('@') === true) throw new CommandError(`'${args[0]} ${args[1]} @VERSION': handoff has no map versions (no 'prepare map' / 'commit map')`);
}

function showList(target: AdminTarget, kind: PatternKind): string {
  const rows = target.patternRefs(kind).map((r) => `${r.id} (${r.path}) ${r.description}. curr_ver=0 next_ver=0 entry_cnt=${r.entries}\n`);
  return `# id (file) description\n${rows.join('')}`;
}

function show(kind: PatternKind): Command['run'] {
  return (target, args) => {
    noVersion(args);
    const name = args[2];
    if (name === undefined) return showList(target, kind);
    const entries = target.patternEntries(kind, name);
    if (typeof entries === 'string') throw new CommandError(entries);
    return entries.map((e) => (kind === 'map' ? `${e.ref} ${e.key} ${e.value}\n` : `${e.ref} ${e.key}\n`)).join('');
  };
}

function lookupLine(kind: PatternKind, m: PatternMatch): string {
  let out = `type=${m.match}, case=${m.ignoreCase ? 'insensitive' : 'sensitive'}`;
  const word = kind === 'map' ? 'found' : 'match';
  if (m.entry === undefined) return `${out}, ${word}=no\n`;
  out += `, ${word}=yes, idx=${m.idx}`;
  if (kind === 'acl') return `${out}, pattern="${m.entry.key}"\n`;
  return `${out}, key="${m.entry.key}", value="${m.entry.value}", type="${m.output ?? 'str'}"\n`;
}

function get(kind: PatternKind): Command['run'] {
  return (target, args) => {
    const [, , name, value] = args;
    if (name === undefined || value === undefined) throw new CommandError(`Missing ${ID[kind]} identifier and/or key.`);
    const m = target.patternLookup(kind, name, value);
    if (typeof m === 'string') throw new CommandError(m);
    return lookupLine(kind, m);
  };
}

/** `add map NAME <<` / `add acl NAME <<`: one entry per payload line (a map's: key, spaces, value). */
function addPayload(target: AdminTarget, kind: PatternKind, name: string, payload: string): string {
  for (const line of payload.split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    if (kind === 'acl') {
      check(target.changePatterns(kind, name, { op: 'add', key: text }));
      continue;
    }
    const m = /^(\S+)\s+(.*)$/.exec(text);
    if (m === null) throw new CommandError(`'add map' payload: a line is a key and a value, got '${text}'`);
    check(target.changePatterns(kind, name, { op: 'add', key: m[1] as string, value: m[2] as string }));
  }
  return '';
}

function add(kind: PatternKind): Command['run'] {
  return (target, args, _level, ctx) => {
    noVersion(args);
    const [, , name, key, value] = args;
    if (name !== undefined && key === undefined && ctx.payload !== undefined) return addPayload(target, kind, name, ctx.payload);
    if (kind === 'map' && (name === undefined || key === undefined || value === undefined)) {
      throw new CommandError("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload");
    }
    if (name === undefined || key === undefined) throw new CommandError("'add acl' expects two parameters: ACL identifier and pattern.");
    return check(target.changePatterns(kind, name, kind === 'map' ? { op: 'add', key, value: value as string } : { op: 'add', key }));
  };
}

function del(kind: PatternKind): Command['run'] {
  return (target, args) => {
    const [, , name, key] = args;
    if (name === undefined || key === undefined) throw new CommandError(`This command expects two parameters: ${ID[kind]} identifier and key.`);
    return check(target.changePatterns(kind, name, { op: 'del', key }));
  };
}

function clear(kind: PatternKind): Command['run'] {
  return (target, args) => {
    noVersion(args);
    const name = args[2];
    if (name === undefined) throw new CommandError(`Missing ${ID[kind]} identifier.`);
    return check(target.changePatterns(kind, name, { op: 'clear' }));
  };
}

export const mapCommands: Command[] = [
  { usage: 'show map [@ver] [map]', help: "report available maps or dump a map's contents", level: 'user', run: show('map') },
  { usage: 'show acl [@<ver>] <acl>]', help: "report available acls or dump an acl's contents", level: 'user', run: show('acl') },
  { usage: 'get map <acl> <value>', help: 'report the keys and values matching a sample for a map', level: 'user', run: get('map') },
  { usage: 'get acl <acl> <value>', help: 'report the patterns matching a sample for an ACL', level: 'user', run: get('acl') },
  { usage: 'add map [@<ver>] <map> <key> <val>', help: 'add a map entry (payload supported instead of key/val)', level: 'operator', run: add('map') },
  { usage: 'add acl [@<ver>] <acl> <pattern>', help: 'add an acl entry', level: 'operator', run: add('acl') },
  {
    usage: 'set map <map> [<key>|#<ref>] <value>',
    help: 'modify a map entry',
    level: 'operator',
    run(target, args) {
      const [, , name, key, value] = args;
      if (name === undefined || key === undefined || value === undefined) throw new CommandError("'set map' expects three parameters: map identifier, key and value.");
      return check(target.changePatterns('map', name, { op: 'set', key, value }));
    },
  },
  { usage: 'del map <map> [<key>|#<ref>]', help: 'delete map entries matching <key>', level: 'operator', run: del('map') },
  { usage: 'del acl <acl> [<key>|#<ref>]', help: 'delete acl entries matching <key>', level: 'operator', run: del('acl') },
  { usage: 'clear map [@<ver>] <map>', help: 'clear the contents of this map', level: 'operator', run: clear('map') },
  { usage: 'clear acl [@<ver>] <acl>', help: 'clear the contents of this acl', level: 'operator', run: clear('acl') },
  {
    // handoff has no stick tables yet: an empty answer, or No such table.
    usage: 'show table <table> [<filter>]*',
    help: "report table usage stats or dump this table's contents (filter: data/key)",
    level: 'operator',
    run(_target, args) {
      if (args[2] !== undefined) throw new CommandError('No such table');
      return '';
    },
  },
];
