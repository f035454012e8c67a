// HAProxy's answer to `help` and to an unknown command: the commands whose first words match
// what was typed, or the five closest by a fingerprint of character transitions (the words
// after the matching ones), sorted by usage, then the three commands every session has.
import type { Command } from './command.ts';

const MAX_MATCHES = 5;
const ALWAYS = [
  '  help [<command>]                        : list matching or all commands',
  '  prompt                                  : toggle interactive mode with prompt',
  '  quit                                    : disconnect',
];

/** A command's keyword: the literal words its usage starts with (at most five, as HAProxy's). */
export function keywordOf(usage: string): string[] {
  const out: string[] = [];
  for (const w of usage.split(' ')) {
    if (!/^[@a-z][a-z0-9-]*$/.test(w) || out.length === 5) break;
    out.push(w);
  }
  return out;
}

/** `usage` padded as HAProxy's help column, then `: help`. */
export function usageLine(c: Command): string {
  return `  ${c.usage.padEnd(40)}: ${c.help}`;
}

// Transitions between character classes (letter, digit, other; begin and end), counted.
function addFingerprint(fp: Map<number, number>, word: string): void {
  const cls = (ch: string): number => {
    const c = ch.toLowerCase();
    if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
    if (c >= '0' && c <= '9') return 27;
    return 28;
  };
  let from = 28;
  for (const ch of word) {
    const to = cls(ch);
    fp.set(to, Math.max(fp.get(to) ?? 0, 1));
    fp.set(32 * from + to, (fp.get(32 * from + to) ?? 0) + 1);
    from = to;
  }
  fp.set(32 * from + 28, (fp.get(32 * from + 28) ?? 0) + 1);
}

function distance(a: Map<number, number>, b: Map<number, number>): number {
  let d = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) d += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return d;
}

/** How many of the first words some command's keyword shares with `args`. */
function matchedWords(commands: readonly Command[], args: readonly string[]): number {
  let length = 0;
  for (const c of commands) {
    const kw = keywordOf(c.usage);
    let i = 0;
    while (i < kw.length && i < args.length && args[i] !== '' && kw[i] === args[i]) i++;
    length = Math.max(length, i);
  }
  return length;
}

function closest(commands: readonly Command[], args: readonly string[], length: number): Command[] {
  const matches: { c: Command; dist: number }[] = [];
  for (const c of commands) {
    const kw = keywordOf(c.usage);
    if (!kw.slice(0, length).every((w, i) => w === args[i]) || kw.length < length) continue;
    const typed = new Map<number, number>();
    const listed = new Map<number, number>();
    let total = 0;
    for (const w of args.slice(length, 5)) (addFingerprint(typed, w), (total += w.length));
    for (const w of kw.slice(length)) (addFingerprint(listed, w), (total += w.length));
    const dist = distance(typed, listed);
    const worst = matches.length < MAX_MATCHES ? Infinity : (matches[MAX_MATCHES - 1] as { dist: number }).dist;
    if (dist >= (5 * total) / 2 || dist >= worst) continue;
    if (matches.length === MAX_MATCHES) matches.pop();
    let at = matches.length;
    while (at > 0 && (matches[at - 1] as { dist: number }).dist > dist) at--;
    matches.splice(at, 0, { c, dist });
  }
  const best = matches[0]?.dist ?? 0;
  return matches.filter((m) => m.dist <= (5 * best) / 2).map((m) => m.c);
}

/** The answer to `help [WORDS]` (`isHelp`) or to the unknown command `args`. */
export function usageMessage(commands: readonly Command[], args: readonly string[], isHelp: boolean): string {
  const words = isHelp ? args.slice(1) : args;
  const length = matchedWords(commands, words);
  const head = isHelp
    ? 'The following commands are valid at this level:'
    : length === 0 && (words[0] ?? '') === ''
      ? 'Unknown command. Please enter one of the following commands only:'
      : 'Unknown command, but maybe one of the following ones is a better match:';
  let entries = (words[length] ?? '') !== '' ? closest(commands, words, length) : [];
  if (entries.length === 0) entries = commands.filter((c) => keywordOf(c.usage).length >= length && keywordOf(c.usage).slice(0, length).every((w, i) => w === words[i]));
  const lines = entries.map(usageLine).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [head, ...lines, ...ALWAYS, ''].join('\n');
}
