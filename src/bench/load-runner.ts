// Runs `handoff load` as its own process (never in the bench's event loop) and reads back its
// JSON report and timeline.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LoadReport, TimelineEntry } from '../load/types.ts';
import { stopProc, track } from './processes.ts';

export interface LoadRun {
  requests: number;
  concurrency: number;
  keepAlive: boolean;
  url: string;
  timelineFile: string;
  /** Stop the load (SIGTERM: it still reports) after this long. */
  maxDurationMs: number;
  signal?: AbortSignal;
}

export interface LoadOutcome {
  report: LoadReport;
  timeline: TimelineEntry[];
}

export function loadArgs(run: LoadRun): string[] {
  // The seed's `ab -r -R -c N -n N -f TLS1.2 -l`: -l because the body embeds a per-port count.
  return ['load', '-n', String(run.requests), '-c', String(run.concurrency), '-f', 'TLS1.2', '-l', '-q', ...(run.keepAlive ? ['-k'] : []), '--json', '--timeline', run.timelineFile, run.url];
}

/**
 * Spawn the load, `onStarted` once its process exists (the reload driver starts then), resolve when
 * it has reported. Rejects with its stderr when it produced no report.
 */
export async function runLoad(cliBin: string, run: LoadRun, onStarted?: () => void): Promise<LoadOutcome> {
  const child = spawn(process.execPath, [cliBin, ...loadArgs(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = track(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  onStarted?.();
  const watchdog = setTimeout(() => void stopProc(proc, 'SIGTERM', 10_000), run.maxDurationMs);
  const onAbort = (): void => void stopProc(proc, 'SIGTERM', 10_000);
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const code = await proc.exited;
  clearTimeout(watchdog);
  run.signal?.removeEventListener('abort', onAbort);

  let report: LoadReport;
  try {
    report = JSON.parse(stdout) as LoadReport;
  } catch {
    throw new Error(`handoff load exited (${code}) without a report: ${stderr.trim() || stdout.trim().slice(0, 500)}`);
  }
  return { report, timeline: readTimeline(run.timelineFile) };
}

export function readTimeline(file: string): TimelineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: TimelineEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as TimelineEntry);
    } catch {
      // a torn last line when the load was stopped: skip it
    }
  }
  return out;
}
