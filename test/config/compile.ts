// Runs the pure pipeline (parse + build + validate, no file IO) on a string, for unit tests.
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/config/build.ts';
import type { BuildResult } from '../../src/config/build.ts';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { parseConfig } from '../../src/config/parse.ts';

export const FILE = 't.cfg';

/** Standard preamble: http mode with all timeouts, so tests only see the warnings they provoke. */
export const HTTP_DEFAULTS = `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`;

export function compile(text: string): BuildResult {
  return buildConfig([parseConfig(text, FILE)], { baseDir: '/etc/handoff', file: `/etc/handoff/${FILE}` });
}

/** Diagnostics as `FILE:LINE: severity: message` lines. */
export function lines(result: BuildResult): string[] {
  return result.diagnostics.map(formatDiagnostic);
}

export function errors(result: BuildResult): string[] {
  return lines(result).filter((l) => l.includes(': error: '));
}

export function warnings(result: BuildResult): string[] {
  return lines(result).filter((l) => l.includes(': warning: '));
}

/** Assert exactly one diagnostic of `severity` at `line` whose message matches `pattern`. */
export function expectOne(result: BuildResult, severity: 'error' | 'warning', line: number, pattern: RegExp): void {
  const found = result.diagnostics.filter((d) => d.severity === severity);
  assert.equal(found.length, 1, `expected one ${severity}, got:\n${lines(result).join('\n')}`);
  const d = found[0]!;
  assert.equal(`${d.file}:${d.line}`, `${FILE}:${line}`, `wrong location: ${formatDiagnostic(d)}`);
  assert.match(d.message, pattern);
}

export function clean(result: BuildResult): void {
  assert.deepEqual(lines(result), [], 'expected no diagnostics');
}
