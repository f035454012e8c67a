// `handoff run`: argument parsing only; the master lives in src/master/.
import { parseFlags, intFlag, durationFlag, UsageError } from './args.ts';
import { runMaster } from '../master/run.ts';
import { defaultSocketPath } from '../admin/control-socket.ts';
import path from 'node:path';

export const usage = `usage: handoff run -f CONFIG [options] [-sf PID… | -st PID…]

Start the load balancer: a master that binds every listener once and keeps it, and generations of
workers that accept on those sockets and proxy. Runs in the foreground (systemd: Type=notify).

options:
  -f, --config FILE|DIR      configuration file (HAProxy syntax; see docs/config.md); repeatable,
                             read in order as one; a DIR reads its *.cfg files in lexical order,
                             again at every reload                                         [required]
  -p, --pidfile FILE         write the master's pid (first line) to FILE once serving; a FILE
                             that cannot be created is refused before anything starts
  -S, --socket PATH          master socket for 'handoff reload' and 'handoff ctl' (level
                             admin, mode 600); its directory must exist, else handoff refuses
                             to start (default: ${defaultSocketPath()}, directory created)
  -w, --workers N            workers per generation (overrides nbthread; default: CPU count)
  --max-old-generations N    generations allowed to drain at once; beyond, the oldest is
                             stopped (default 4)
  --warm-spare               keep one worker process started ahead (code loaded): a crashed
                             worker's replacement and a full reload's first worker are ready
                             in ~10-35 ms instead of ~100, for one more process (~63 MB RSS)
  --ready-timeout DURATION   how long a new generation may take to be ready (default 10s)
  --hard-stop-after DURATION upper bound of a drain (overrides hard-stop-after; default none)
  --maxconn N                overrides the global maxconn (haproxy -n)
  --default-maxconn N        maxconn of a frontend that sets none (haproxy -N)
  -q, --quiet                no notices, only warnings and alerts
  -sf PID…                   legacy reload: start a new independent instance (SO_REUSEPORT),
                             then tell the instances PID… to finish gracefully
  -st PID…                   the same, but tell them to stop now

signals (to the master):
  SIGUSR2, SIGHUP            reload: validate, start a new generation, drain the old one
  SIGTERM, SIGINT, SIGUSR1   stop gracefully: stop accepting, drain, exit
  SIGQUIT, second SIGTERM    stop now

examples:
  handoff run -f /etc/handoff/handoff.cfg -p /run/handoff.pid
  kill -USR2 $(head -1 /run/handoff.pid)      # or: handoff reload
`;

/** Pull HAProxy's two-letter `-sf`/`-st` options (followed by pids) out of argv. */
function extractLegacy(argv: string[]): { rest: string[]; legacy?: { pids: number[]; now: boolean } } {
  const i = argv.findIndex((a) => a === '-sf' || a === '-st');
  if (i < 0) return { rest: argv };
  const pids: number[] = [];
  let j = i + 1;
  for (; j < argv.length && /^\d+$/.test(argv[j] ?? ''); j++) pids.push(Number(argv[j]));
  if (pids.length === 0) throw new UsageError(`${argv[i]} expects one or more pids`);
  return { rest: [...argv.slice(0, i), ...argv.slice(j)], legacy: { pids, now: argv[i] === '-st' } };
}

export async function main(argv: string[]): Promise<number> {
  const { rest, legacy } = extractLegacy(argv);
  const { values, positionals } = parseFlags(
    rest,
    {
      config: { type: 'string', short: 'f', multiple: true },
      pidfile: { type: 'string', short: 'p' },
      socket: { type: 'string', short: 'S' },
      workers: { type: 'string', short: 'w' },
      'max-old-generations': { type: 'string' },
      'ready-timeout': { type: 'string' },
      'warm-spare': { type: 'boolean' },
      'hard-stop-after': { type: 'string' },
      maxconn: { type: 'string' },
      'default-maxconn': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    false,
  );
  void positionals;
  if (values.config === undefined) throw new UsageError('missing -f CONFIG');
  const workers = intFlag('--workers', values.workers, 1, 1024);
  const maxconn = intFlag('--maxconn', values.maxconn, 1, 10_000_000);
  const defaultMaxconn = intFlag('--default-maxconn', values['default-maxconn'], 1, 10_000_000);
  const hardStop = durationFlag('--hard-stop-after', values['hard-stop-after'], 'ms');
  const code = await runMaster({
    configFiles: values.config.map((f) => path.resolve(f)),
    loadOptions: {
      ...(maxconn !== undefined ? { maxconnOverride: maxconn } : {}),
      ...(defaultMaxconn !== undefined ? { defaultProxyMaxconn: defaultMaxconn } : {}),
    },
    ...(values.pidfile !== undefined ? { pidFile: path.resolve(values.pidfile) } : {}),
    socketPath: path.resolve(values.socket ?? defaultSocketPath()),
    defaultSocket: values.socket === undefined,
    ...(workers !== undefined ? { workers } : {}),
    maxOldGenerations: intFlag('--max-old-generations', values['max-old-generations'], 1, 1000) ?? 4,
    readyTimeoutMs: durationFlag('--ready-timeout', values['ready-timeout'], 'ms') ?? 10_000,
    warmSpare: values['warm-spare'] === true,
    ...(hardStop !== undefined ? { hardStopAfterMs: hardStop } : {}),
    ...(legacy !== undefined ? { legacy } : {}),
    quiet: values.quiet === true,
  });
  // Everything the master started has exited; do not let a stray handle keep it alive.
  process.exit(code);
}
