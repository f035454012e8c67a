// Pure first stage: text → sections of tokenized lines. It knows section headers and nothing of
// keywords; the keyword tables (keywords/*.ts) give the lines meaning in build.ts.
import type { Diagnostic, Location } from './model.ts';
import { diagnostic } from './diagnostics.ts';
import { splitLines, tokenizeLine } from './tokenize.ts';

/** Sections handoff understands; their lines go through the keyword tables. */
export const PROXY_SECTIONS = ['defaults', 'frontend', 'backend', 'listen'] as const;
export type SectionKind = 'global' | (typeof PROXY_SECTIONS)[number];

/** HAProxy sections handoff does not implement: recognised so their lines are skipped, not misread. */
const OTHER_SECTIONS = new Set([
  'userlist', 'peers', 'resolvers', 'mailers', 'program', 'http-errors', 'ring', 'cache',
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
  return word === 'global' || (PROXY_SECTIONS as readonly string[]).includes(word);
}

export function parseConfig(text: string, file: string, env: Readonly<Record<string, string | undefined>> = {}): ParsedConfig {
  const diagnostics: Diagnostic[] = [];
  const sections: RawSection[] = [];
  let current: RawSection | undefined;
  // Lines of an unsupported section are skipped until the next section header.
  let skipping = false;
  for (const { line, text: lineText } of splitLines(text)) {
    const loc = { file, line };
    const tok = tokenizeLine(lineText, env);
    if (!tok.ok) {
      diagnostics.push(diagnostic('error', loc, tok.error));
      continue;
    }
    const words = tok.words;
    const first = words[0];
    if (first === undefined) continue;
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
    current.lines.push({ words, loc });
  }
  return { file, sections, diagnostics };
}
