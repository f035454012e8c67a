// Pure first stage: text → sections of tokenized lines. It knows section headers and nothing of
// keywords; the keyword tables (keywords/*.ts) give the lines meaning in build.ts.
import type { Diagnostic, Location } from './model.ts';
import { diagnostic } from './diagnostics.ts';
import { splitLines, tokenizeLine } from './tokenize.ts';
import { Blocks } from './conditional.ts';

/** Sections handoff understands; their lines go through the keyword tables. */
export const PROXY_SECTIONS = ['defaults', 'frontend', 'backend', 'listen'] as const;
/** Named lists proxies refer to, read by keywords/list-sections.ts. */
export const LIST_SECTIONS = ['userlist', 'http-errors', 'resolvers'] as const;
export type SectionKind = 'global' | (typeof PROXY_SECTIONS)[number] | (typeof LIST_SECTIONS)[number];

/** HAProxy sections handoff does not implement: recognised so their lines are skipped, not misread. */
const OTHER_SECTIONS = new Set([
  'peers', 'mailers', 'program', 'ring', 'cache',
  'fcgi-app', 'crt-store', 'traces', 'log-forward', 'dynamic-update',
]);

export interface RawLine {
  words: string[];
  loc: Location;
}

export interface RawSection {
  kind: SectionKind;
  /** Words after the section keyword, e.g. `['www', '0.0.0.0:80']` for `listen www 0.0.0.0:80`. */
  args: string[];
  loc: Location;
  lines: RawLine[];
}

export interface ParsedConfig {
  file: string;
  sections: RawSection[];
  diagnostics: Diagnostic[];
}

function isKnownSection(word: string): word is SectionKind {
  return word === 'global' || (PROXY_SECTIONS as readonly string[]).includes(word) || (LIST_SECTIONS as readonly string[]).includes(word);
}

/** `setenv`/`presetenv`/`unsetenv`/`resetenv` in global change what `"${VAR}"` means in the lines after them, as in HAProxy. */
function applyEnvKeyword(words: readonly string[], env: Record<string, string | undefined>): string | undefined {
  const [kw, name, value] = words;
  if (kw === 'setenv' || kw === 'presetenv') {
    if (name === undefined || value === undefined || words.length !== 3) return `'${kw}' expects a name and a value`;
    if (kw === 'setenv' || env[name] === undefined) env[name] = value;
  } else if (kw === 'unsetenv') {
    for (const n of words.slice(1)) delete env[n];
  } else if (kw === 'resetenv') {
    const keep = new Set(words.slice(1));
    for (const n of Object.keys(env)) if (!keep.has(n)) delete env[n];
  }
  return undefined;
}

const MESSAGE_SEVERITY = { diag: undefined, notice: 'notice', warning: 'warning', alert: 'error' } as const;

/**
 * Read one file. `env` is the environment `"${VAR}"` expands from; `setenv` and friends in its
 * global section change it (pass the same object to every file of a configuration).
 */
export function parseConfig(text: string, file: string, env: Record<string, string | undefined> = {}): ParsedConfig {
  const diagnostics: Diagnostic[] = [];
  const sections: RawSection[] = [];
  let current: RawSection | undefined;
  // Lines of an unsupported section are skipped until the next section header.
  let skipping = false;
  const blocks = new Blocks();
  for (const { line, text: lineText } of splitLines(text)) {
    const loc = { file, line };
    const tok = tokenizeLine(lineText, env);
    if (!tok.ok) {
      if (blocks.active) diagnostics.push(diagnostic('error', loc, tok.error));
      continue;
    }
    const words = tok.words;
    const first = words[0];
    if (first === undefined) continue;
    if (first.startsWith('.')) {
      const d = blocks.directive(words, line, env);
      if (d !== undefined) {
        if (d.kind === 'error') diagnostics.push(diagnostic('error', loc, d.message));
        else if (d.kind === 'message') {
          const severity = MESSAGE_SEVERITY[d.level];
          if (severity !== undefined) diagnostics.push(diagnostic(severity, loc, d.text));
        }
        continue;
      }
    }
    if (!blocks.active) continue;
    if (isKnownSection(first)) {
      current = { kind: first, args: words.slice(1), loc, lines: [] };
      sections.push(current);
      skipping = false;
      continue;
    }
    if (OTHER_SECTIONS.has(first)) {
      const name = words[1] === undefined ? '' : ` '${words[1]}'`;
      diagnostics.push(diagnostic('warning', loc, `section '${first}'${name} is not supported by handoff; its lines are ignored`));
      current = undefined;
      skipping = true;
      continue;
    }
    if (skipping) continue;
    if (current === undefined) {
      diagnostics.push(diagnostic('error', loc, `unknown keyword '${first}' out of section`));
      continue;
    }
    if (current.kind === 'global') {
      const envError = applyEnvKeyword(words, env);
      if (envError !== undefined) diagnostics.push(diagnostic('error', loc, envError));
    }
    current.lines.push({ words, loc });
  }
  for (const line of blocks.unclosed()) diagnostics.push(diagnostic('error', { file, line }, "'.if' block is never closed: missing '.endif' before the end of the file"));
  return { file, sections, diagnostics };
}
