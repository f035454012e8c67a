// `handoff backend [--host H] PORT|PORT-PORT …`: the demo backends in one process.
import { durationFlag, intFlag, numberFlag, parseFlags, UsageError } from './args.ts';
import { BackendError, startBackends } from '../demo/backend.ts';

export const usage = `usage: handoff backend [options] PORT|PORT-PORT …

Demo HTTP backends, one process serving every port given (the seed's server.js).
Each answer is 200 text/plain: the request headers as JSON, then the lines
  endpoint: HOST:PORT
  requestcount: N        (per port)
  echo: VALUE            (query parameter ?echo=, 'undefined' when absent)
One line 'served request: N on port P' per request on stdout. Port 0 picks a free
port; 'listening on HOST:PORT' is printed for each port once it accepts.

options:
  --host H                 address to listen on (default 127.0.0.1)
  --quiet                  no per-request log line (benchmarks)
  --delay MS               wait MS milliseconds before answering
  --body-size BYTES        pad (or cut) every body to exactly BYTES bytes
  --fail-rate F            answer this fraction (0..1) of requests with 500, evenly spread
  --keepalive-timeout T    idle keep-alive timeout, e.g. 5s or 500ms (default 5s)
  -h, --help               this text

SIGTERM or SIGINT closes the ports and exits 0.

example:
  handoff backend 9000-9002
`;

/** `9000`, `9000-9002` → ports; throws UsageError naming the bad argument. */
export function parsePorts(specs: string[]): number[] {
  const ports: number[] = [];
  for (const spec of specs) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
    if (m === null) throw new UsageError(`'${spec}' is not a port or a port range (PORT or PORT-PORT)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 65535 || to > 65535) throw new UsageError(`'${spec}': ports go from 0 to 65535`);
    if (to < from) throw new UsageError(`'${spec}': range ends before it starts`);
    if (to - from >= 1024) throw new UsageError(`'${spec}': at most 1024 ports per range`);
    for (let p = from; p <= to; p++) ports.push(p);
  }
  const nonZero = ports.filter((p) => p !== 0);
  if (new Set(nonZero).size !== nonZero.length) throw new UsageError('a port is given twice');
  return ports;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    host: { type: 'string', default: '127.0.0.1' },
    quiet: { type: 'boolean', default: false },
    delay: { type: 'string' },
    'body-size': { type: 'string' },
    'fail-rate': { type: 'string' },
    'keepalive-timeout': { type: 'string' },
  });
  if (positionals.length === 0) throw new UsageError('give at least one PORT or PORT-PORT');
  const ports = parsePorts(positionals);
  const failRate = numberFlag('--fail-rate', values['fail-rate']);
  if (failRate !== undefined && failRate > 1) throw new UsageError(`--fail-rate is a fraction between 0 and 1, got ${failRate}`);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);

  let running;
  try {
    running = await startBackends({
      host: values.host,
      ports,
      delayMs: durationFlag('--delay', values.delay, 'ms'),
      bodySize: intFlag('--body-size', values['body-size'], 0, 64 * 1024 * 1024),
      failRate,
      keepAliveTimeoutMs: durationFlag('--keepalive-timeout', values['keepalive-timeout'], 's'),
      log: values.quiet ? undefined : out,
    });
  } catch (err) {
    if (err instanceof BackendError) {
      process.stderr.write(`handoff backend: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const e of running.endpoints) out(`listening on ${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`);

  const backends = running;
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void backends.close().then(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
