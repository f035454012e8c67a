// Live progress line on stderr (only when stderr is a TTY; the caller decides).

export function renderProgress(done: number, total: number, failed: number, elapsedMs: number): void {
  const secs = elapsedMs / 1000;
  const rps = secs > 0 ? Math.round(done / secs) : 0;
  const pct = total > 0 ? Math.floor((done * 100) / total) : 0;
  process.stderr.write(`\r\x1b[K${done}/${total} requests (${pct}%)  ${failed} failed  ${rps} req/s  ${secs.toFixed(1)} s`);
}

export function clearProgress(): void {
  process.stderr.write('\r\x1b[K');
}
