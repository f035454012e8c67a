// A strict reader of Prometheus' text exposition format (0.0.4), for tests: every line is a HELP,
// a TYPE or a sample of a declared family; a family's TYPE comes before its samples, once, and its
// samples are contiguous; histogram samples are NAME_bucket{le}, NAME_sum and NAME_count.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new Error(`line ${line}: bad labels {${text}}`);
    const key = m[1] as string;
    if (key in out) throw new Error(`line ${line}: label ${key} twice`);
    out[key] = (m[2] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
  }
  return out;
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`line ${line}: bad value '${text}'`);
  return n;
}

/** The family a sample name belongs to (NAME, or a histogram's NAME_bucket/_sum/_count). */
function familyOf(families: Map<string, ParsedFamily>, name: string): ParsedFamily | undefined {
  const own = families.get(name);
  if (own !== undefined) return own.type === 'histogram' ? undefined : own;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m === null ? undefined : families.get(m[1] as string);
  return base?.type === 'histogram' || base?.type === 'summary' ? base : undefined;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  let current: ParsedFamily | undefined;
  const closed = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      let f = families.get(name);
      if (f === undefined) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest;
      } else {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: bad type ${rest}`);
        if (f.samples.length > 0 || f.type !== 'untyped') throw new Error(`line ${line}: TYPE for ${name} after its samples or twice`);
        f.type = rest;
      }
      if (current !== undefined && current !== f) closed.add(current.name);
      current = f;
      return;
    }
    if (raw.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (m === null) throw new Error(`line ${line}: not a sample: ${raw}`);
    const f = familyOf(families, m[1] as string);
    if (f === undefined) throw new Error(`line ${line}: sample ${m[1]} of no declared family`);
    if (closed.has(f.name) || (current !== undefined && current !== f)) throw new Error(`line ${line}: samples of ${f.name} are not contiguous`);
    current = f;
    f.samples.push({ name: m[1] as string, labels: parseLabels(m[2] ?? '', line), value: parseValue(m[3] as string, line) });
  });
  return families;
}
