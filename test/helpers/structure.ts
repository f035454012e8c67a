// Reads the source tree as a newcomer would: how long each function is, and which folders of
// src/ import which. `node test/helpers/structure.ts [DIR…]` prints the longest functions and any
// circle between folders; test/architecture.test.ts holds the limits.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const SRC = path.resolve(import.meta.dirname, '../../src');

export interface FunctionLength {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText(sf);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(sf).slice(0, 40)})`;
  return '(anonymous)';
}

/** Every function, method and arrow function under `dir`, with its length in lines. A nested
 * function counts in its parent's length too, as it does on screen. */
export function functionLengths(dir: string): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of sourceFiles(dir)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        out.push({ file: path.relative(SRC, file), name: nameOf(node, sf), line: start + 1, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

/** Folder → folders it imports from (type imports included: a circle of types is still a circle). */
export function folderImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = path.relative(SRC, path.dirname(file)).split(path.sep)[0] || '.';
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), m[1] ?? ''));
      const to = target.split(path.sep)[0] ?? '.';
      const folder = to.endsWith('.ts') ? '.' : to;
      if (folder === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(folder);
    }
  }
  return graph;
}

/** Each circle between folders, as the path that closes it (`a → b → a`). */
export function folderCycles(graph = folderImports()): string[] {
  const cycles = new Set<string>();
  const walk = (node: string, trail: string[]): void => {
    const at = trail.indexOf(node);
    if (at >= 0) {
      const loop = trail.slice(at);
      // One spelling per circle: start from its smallest folder name.
      const first = loop.indexOf([...loop].sort()[0] ?? '');
      cycles.add([...loop.slice(first), ...loop.slice(0, first), loop[first]].join(' → '));
      return;
    }
    for (const next of graph.get(node) ?? []) walk(next, [...trail, node]);
  };
  for (const node of graph.keys()) walk(node, []);
  return [...cycles].sort();
}

if (import.meta.main) {
  const dirs = process.argv.slice(2);
  for (const dir of dirs.length > 0 ? dirs : ['master', 'worker']) {
    const rows = functionLengths(path.join(SRC, dir)).slice(0, 12);
    console.log(`src/${dir}: longest functions`);
    for (const r of rows) console.log(`  ${String(r.lines).padStart(4)}  ${r.file}:${r.line} ${r.name}`);
  }
  const cycles = folderCycles();
  console.log(cycles.length === 0 ? 'no circle between folders' : `circles between folders:\n  ${cycles.join('\n  ')}`);
}
