// HAProxy's preprocessor: `.if/.elif/.else/.endif` blocks and the `.diag/.notice/.warning/.alert`
// messages (configuration.txt 2.4). A condition is `0`, a non-zero integer, an empty string
// (false), a predicate — `defined(VAR)`, `feature(NAME)`, `streq(a,b)`, `strneq(a,b)`,
// `version_atleast(V)`, `version_before(V)` — and `!`, `&&` (binds tighter), `||`, parentheses.
import type { Parsed } from './units.ts';
import { FEATURES, HAPROXY_LEVEL } from '../version.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Compare dotted versions (`2.4-dev19` → 2.4.0); missing components are zero. */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0]?.split('.').map((p) => Number.parseInt(p, 10) || 0) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

type Predicate = (args: string[], env: Env) => Parsed<boolean>;

const two = (name: string, f: (a: string, b: string) => boolean): Predicate => (args) =>
  args.length === 2 ? { ok: true, value: f(args[0] as string, args[1] as string) } : { ok: false, error: `'${name}' expects 2 arguments` };
const one = (name: string, f: (a: string, env: Env) => boolean): Predicate => (args, env) =>
  args.length === 1 ? { ok: true, value: f(args[0] as string, env) } : { ok: false, error: `'${name}' expects 1 argument` };

const PREDICATES: Readonly<Record<string, Predicate>> = {
  defined: one('defined', (name, env) => env[name] !== undefined),
  feature: one('feature', (name) => FEATURES[name] === true),
  streq: two('streq', (a, b) => a === b),
  strneq: two('strneq', (a, b) => a !== b),
  version_atleast: one('version_atleast', (v) => compareVersions(HAPROXY_LEVEL, v) >= 0),
  version_before: one('version_before', (v) => compareVersions(HAPROXY_LEVEL, v) < 0),
};

/** A recursive-descent reader over the condition text. */
class Reader {
  pos = 0;
  text: string;
  env: Env;
  constructor(text: string, env: Env) {
    this.text = text;
    this.env = env;
  }
  skip(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }
  eat(token: string): boolean {
    this.skip();
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }
  or(): Parsed<boolean> {
    let left = this.and();
    while (left.ok && this.eat('||')) {
      const right = this.and();
      left = right.ok ? { ok: true, value: left.value || right.value } : right;
    }
    return left;
  }
  and(): Parsed<boolean> {
    let left = this.term();
    while (left.ok && this.eat('&&')) {
      const right = this.term();
      left = right.ok ? { ok: true, value: left.value && right.value } : right;
    }
    return left;
  }
  term(): Parsed<boolean> {
    if (this.eat('!')) {
      const t = this.term();
      return t.ok ? { ok: true, value: !t.value } : t;
    }
    if (this.eat('(')) {
      const inner = this.or();
      if (inner.ok && !this.eat(')')) return { ok: false, error: "missing ')' in condition" };
      return inner;
    }
    this.skip();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\)|^(-?\d+)/.exec(this.text.slice(this.pos));
    if (m === null) return { ok: false, error: `unparsable conditional expression near '${this.text.slice(this.pos)}'` };
    this.pos += m[0].length;
    if (m[3] !== undefined) return { ok: true, value: Number(m[3]) !== 0 };
    const pred = PREDICATES[m[1] as string];
    if (pred === undefined) return { ok: false, error: `unknown predicate '${m[1] as string}' in condition (supported: ${Object.keys(PREDICATES).join(', ')})` };
    return pred((m[2] as string).split(',').map((a) => a.trim()), this.env);
  }
}

/** Evaluate the words after `.if` / `.elif` (already tokenized, variables expanded). */
export function evaluateCondition(words: readonly string[], env: Env): Parsed<boolean> {
  const text = words.join(' ').trim();
  if (text === '') return { ok: true, value: false };
  const r = new Reader(text, env);
  const v = r.or();
  if (!v.ok) return v;
  r.skip();
  if (r.pos < text.length) return { ok: false, error: `unexpected '${text.slice(r.pos)}' in condition` };
  return v;
}

interface Level {
  /** The lines of the branch being read are used. */
  active: boolean;
  /** A branch of this level was taken (later .elif/.else are skipped). */
  taken: boolean;
  /** The enclosing level is active. */
  parentActive: boolean;
  sawElse: boolean;
  line: number;
}

export type DirectiveOutcome =
  | { kind: 'none' }
  | { kind: 'message'; level: 'diag' | 'notice' | 'warning' | 'alert'; text: string }
  | { kind: 'error'; message: string };

/** The `.if` nesting of one file: feed it every line; `active` says whether ordinary lines count. */
export class Blocks {
  private levels: Level[] = [];

  get active(): boolean {
    return this.levels.length === 0 || (this.levels[this.levels.length - 1] as Level).active;
  }

  /** Handle a line whose first word starts with '.'; undefined when it is not a directive. */
  directive(words: readonly string[], line: number, env: Env): DirectiveOutcome | undefined {
    const [head, ...args] = words;
    const top = this.levels[this.levels.length - 1];
    switch (head) {
      case '.if': {
        const parentActive = this.active;
        const c = parentActive ? evaluateCondition(args, env) : { ok: true as const, value: false };
        this.levels.push({ active: parentActive && c.ok && c.value, taken: c.ok && c.value, parentActive, sawElse: false, line });
        return c.ok ? { kind: 'none' } : { kind: 'error', message: c.error };
      }
      case '.elif': {
        if (top === undefined || top.sawElse) return { kind: 'error', message: `'.elif' without a matching '.if'${top?.sawElse === true ? " (after '.else')" : ''}` };
        if (top.taken || !top.parentActive) {
          top.active = false;
          return { kind: 'none' };
        }
        const c = evaluateCondition(args, env);
        top.active = c.ok && c.value;
        top.taken = top.active;
        return c.ok ? { kind: 'none' } : { kind: 'error', message: c.error };
      }
      case '.else':
        if (top === undefined || top.sawElse) return { kind: 'error', message: `'.else' without a matching '.if'${top?.sawElse === true ? " (a second '.else')" : ''}` };
        top.sawElse = true;
        top.active = top.parentActive && !top.taken;
        top.taken = true;
        return { kind: 'none' };
      case '.endif':
        if (top === undefined) return { kind: 'error', message: "'.endif' without a matching '.if'" };
        this.levels.pop();
        return { kind: 'none' };
      case '.diag':
      case '.notice':
      case '.warning':
      case '.alert':
        if (!this.active) return { kind: 'none' };
        return { kind: 'message', level: head.slice(1) as 'diag' | 'notice' | 'warning' | 'alert', text: args.join(' ') };
      default:
        return undefined;
    }
  }

  /** Lines of `.if` levels still open at the end of the file. */
  unclosed(): number[] {
    return this.levels.map((l) => l.line);
  }
}
