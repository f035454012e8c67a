// `--timeline FILE`: one JSON line per finished request. Lines are appended to a string and
// written in large synchronous slices, so the hot path costs one string concatenation.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { FailureKind } from './types.ts';

const FLUSH_AT = 256 * 1024;

export interface TimelineWriter {
  fd: number;
  pending: string;
  lines: number;
}

/** Opens (truncates) the file now, so a bad path fails before the run instead of after it. */
export function openTimeline(file: string): TimelineWriter {
  try {
    return { fd: openSync(file, 'w'), pending: '', lines: 0 };
  } catch (err) {
    throw new Error(`cannot create timeline file '${file}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

function ms3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Appends one `TimelineEntry` line: `{"t":…,"latencyMs":…,"ok":…,"status"?:…,"failure"?:…}`. */
export function appendTimeline(w: TimelineWriter, t: number, latencyMs: number, ok: boolean, status: number, failure: FailureKind | undefined): void {
  let line = `{"t":${ms3(t)},"latencyMs":${ms3(latencyMs)},"ok":${ok}`;
  if (status > 0) line += `,"status":${status}`;
  if (failure !== undefined) line += `,"failure":"${failure}"`;
  w.pending += line + '}\n';
  w.lines++;
  if (w.pending.length >= FLUSH_AT) flushTimeline(w);
}

export function flushTimeline(w: TimelineWriter): void {
  if (w.pending.length === 0) return;
  writeSync(w.fd, w.pending);
  w.pending = '';
}

export function closeTimeline(w: TimelineWriter): void {
  flushTimeline(w);
  closeSync(w.fd);
}
