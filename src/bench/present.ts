// What `bench reload` and `demo` print and write once the runs are done.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ReloadBenchOptions, ReloadBenchRun } from './reload-bench.ts';
import { formatTable, oneLine, SEED_REFERENCE, testName } from './table.ts';
import { renderReport } from './report.ts';

export interface PresentOptions {
  json: boolean;
  reportPath?: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function present(run: ReloadBenchRun, bench: ReloadBenchOptions, p: PresentOptions): number {
  let reportFile: string | undefined;
  if (p.reportPath !== undefined) {
    reportFile = resolve(p.reportPath);
    writeFileSync(reportFile, renderReport(run, { requests: bench.requests, concurrency: bench.concurrency, intervalMs: bench.intervalMs, workers: bench.workers }));
  }
  if (p.json) {
    p.out(`${JSON.stringify(run.results)}\n`);
    for (const n of run.notes) p.err(`${n}\n`);
    if (reportFile !== undefined) p.err(`report: ${reportFile}\n`);
  } else {
    if (run.results.length > 0) p.out(`\n${formatTable(run.results)}`);
    for (const n of run.notes) p.out(`${n}\n`);
    for (const r of run.results) {
      if (r.status === 'ok' && r.note !== undefined) p.out(`note, ${r.proxy} ${testName(r)}: ${oneLine(r.note, 300)}\n`);
    }
    p.out(`\n${SEED_REFERENCE}`);
    p.out(`\nthis run: ${bench.workers} worker(s) per proxy, load and proxy on the same machine (${describeHost()}).\n`);
    if (reportFile !== undefined) p.out(`report: ${reportFile}\n`);
  }
  return run.results.some((r) => r.status === 'error') ? 1 : 0;
}

function describeHost(): string {
  return `Node.js ${process.versions.node}`;
}
