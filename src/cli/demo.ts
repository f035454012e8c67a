// `handoff demo`: the one-command tour — the reload experiment on laptop-sized defaults.
import { reloadCommand } from './bench.ts';

export const usage = `usage: handoff demo [options]

The one-command tour: starts three demo backends and a self-signed certificate in a temporary
directory, then runs the seed article's reload experiment on a laptop-sized load (3000 requests,
50 users, a reload every 0.2 s): baseline, restart, legacy reload (rebind) and socket-transfer
reload (handoff), against handoff and — when it is installed — HAProxy, side by side.
Prints the table and writes an HTML report (latency and failures over time, reloads marked).
Takes about a minute; everything it started is stopped and its temporary files removed.

options (the same as 'handoff bench reload', with other defaults):
  -n, --requests N        requests per run (default 3000)
  -c, --concurrency N     concurrent users (default 50)
  --interval DURATION     time between reloads (default 0.2s)
  --keepalive             also run every scenario with keep-alive clients
  --scenarios LIST        subset of baseline,restart,rebind,handoff (default all)
  --proxy P               handoff, haproxy or both (default both; HAProxy skipped when absent)
  --workers N             worker processes/threads of the proxy (default 2)
  --haproxy PATH          haproxy binary
  --json                  results as JSON on stdout
  --report FILE.html      where to write the report (default ./handoff-demo-report.html)
  -h, --help              this text
`;

export async function main(argv: string[]): Promise<number> {
  return reloadCommand(argv, { requests: 3000, concurrency: 50, proxy: 'both', report: 'handoff-demo-report.html' });
}
