// `handoff COMMAND …`: dispatch to one module per command. Each command module exports
// `main(argv): Promise<number>` (the exit status) and `usage` (its --help text).
import { UsageError } from './args.ts';
import { haproxyUsage } from './haproxy-args.ts';
import { VERSION } from '../version.ts';

interface CommandModule {
  main(argv: string[]): Promise<number>;
  usage: string;
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  run: { summary: 'start the load balancer (master + workers)', load: () => import('./run.ts') },
  check: { summary: 'validate a configuration file', load: () => import('./check.ts') },
  reload: { summary: 'reload the running master and wait for the outcome', load: () => import('./reload.ts') },
  ctl: { summary: "runtime API over the master socket ('show stat', …)", load: () => import('./ctl.ts') },
  backend: { summary: 'demo backend servers', load: () => import('./backend.ts') },
  cert: { summary: 'self-signed certificate + key in one PEM', load: () => import('./cert.ts') },
  load: { summary: 'load tester, ApacheBench-compatible flags and report', load: () => import('./load.ts') },
  bench: { summary: 'benchmarks: `bench reload` runs the reload experiment', load: () => import('./bench.ts') },
  demo: { summary: 'one-command tour: the reload experiment on embedded defaults', load: () => import('./demo.ts') },
};

export const topUsage = `usage: handoff COMMAND [options]

A load balancer that reloads its configuration under full load without failing a request.

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join('\n')}

Run 'handoff COMMAND --help' for a command's options.

HAProxy's command line works too when the first argument is an option, so units and scripts
written for haproxy run with handoff in its place (docs/operations.md, "Switching from HAProxy"):
  handoff -f /etc/handoff/handoff.cfg -c -q           # = handoff check -q -f …
  handoff -Ws -f /etc/handoff/handoff.cfg -p PIDFILE  # = handoff run -f … -p PIDFILE
  handoff -vv                                         # versions and features

${haproxyUsage}`;

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topUsage);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`handoff ${VERSION}\n`);
    return 0;
  }
  // An option first: HAProxy's command line (`handoff -f CFG -c -q`, `handoff -vv`).
  if (name.startsWith('-')) return (await import('./haproxy.ts')).main(argv);
  const entry = commands[name];
  if (entry === undefined) {
    process.stderr.write(`handoff: unknown command '${name}'\n\n${topUsage}`);
    return 2;
  }
  const mod = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(mod.usage);
    return 0;
  }
  try {
    return await mod.main(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`handoff ${name}: ${err.message}\n\n${mod.usage}`);
      return 2;
    }
    throw err;
  }
}

const code = await dispatch(process.argv.slice(2));
process.exitCode = code;
