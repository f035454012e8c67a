// Diagnostics are values: a severity, a location and a message a user can act on.
import type { Diagnostic, Location, Severity } from './model.ts';

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}

/** HAProxy's shape for its own log (`[ALERT] (pid) : ` is the logger's): `config : parsing [FILE:LINE] : message`. */
export function formatForLog(d: Diagnostic): string {
  return d.line === 0 ? `config : ${d.file === '' ? '' : `${d.file} : `}${d.message}` : `config : parsing [${d.file}:${d.line}] : ${d.message}`;
}

export function diagnostic(severity: Severity, loc: Location, message: string): Diagnostic {
  return { severity, file: loc.file, line: loc.line, message };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order for output: by file (first appearance), then line; errors before warnings on a line. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of diagnostics) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (fileOrder.get(a.d.file) ?? 0) - (fileOrder.get(b.d.file) ?? 0) ||
        a.d.line - b.d.line ||
        a.i - b.i,
    )
    .map((x) => x.d);
}
