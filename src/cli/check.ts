// `handoff check -f FILE [-f FILE…] [-q] [--dump]`: validate a configuration like `haproxy -c`.
import { formatDiagnostic } from '../config/diagnostics.ts';
import { hasListener, loadConfig } from '../config/load.ts';
import { keywordMarkdown } from '../config/keyword-status.ts';
import { redactConfig } from '../config/redact.ts';
import { parseFlags, UsageError } from './args.ts';

export const usage = `usage: handoff check -f FILE [-f FILE …] [-q] [--dump]
       handoff check --keywords

Validate a configuration file (HAProxy syntax) as 'handoff run' would load it: parse every
line, check references between sections, read every certificate and errorfile.

Every problem is printed on stderr as FILE:LINE: error|warning: message. When there is no
error, 'Configuration file is valid' is printed on stdout. Several -f files are read in order,
as one configuration (like haproxy -f a.cfg -f b.cfg); a directory reads its *.cfg files in
lexical order.

options:
  -f, --file FILE   configuration file (repeatable)
  -q, --quiet       print errors only (no warnings, no success line)
      --dump        print the resolved configuration as JSON (certificate PEMs elided)
      --workers N   override nbthread/nbproc, as 'handoff run --workers' does
      --keywords    print every HAProxy 2.6 keyword with what handoff does with it
                    (supported, accepted without effect, warning, error) as Markdown
  -h, --help        show this help

exit status: 0 valid (warnings allowed), 1 errors, 2 usage error or no listener (no 'bind',
no 'stats socket': valid but would not start, as haproxy -c)
`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    file: { type: 'string', short: 'f', multiple: true },
    quiet: { type: 'boolean', short: 'q' },
    dump: { type: 'boolean' },
    workers: { type: 'string' },
    keywords: { type: 'boolean' },
  });
  if (values.keywords === true) {
    process.stdout.write(keywordMarkdown());
    return 0;
  }
  // `handoff check haproxy.cfg` is accepted as a convenience.
  const files = [...(values.file ?? []), ...positionals];
  if (files.length === 0) throw new UsageError('missing -f FILE');
  let workersOverride: number | undefined;
  if (values.workers !== undefined) {
    if (!/^\d+$/.test(values.workers) || Number(values.workers) < 1) throw new UsageError(`--workers expects a positive integer, got '${values.workers}'`);
    workersOverride = Number(values.workers);
  }
  const result = await loadConfig(files, workersOverride === undefined ? {} : { workersOverride });
  for (const d of result.diagnostics) {
    if (values.quiet === true && d.severity === 'warning') continue;
    process.stderr.write(`${formatDiagnostic(d)}\n`);
  }
  if (result.config === undefined) {
    if (values.quiet !== true) {
      const n = result.diagnostics.filter((d) => d.severity === 'error').length;
      process.stderr.write(`Configuration file has ${n} error${n === 1 ? '' : 's'}\n`);
    }
    return 1;
  }
  if (!hasListener(result.config)) {
    // HAProxy's code and words: valid, but nothing would ever accept a connection.
    if (values.quiet !== true) process.stderr.write('Configuration file has no error but will not start (no listener) => exit(2).\n');
    return 2;
  }
  if (values.dump === true) process.stdout.write(`${JSON.stringify(redactConfig(result.config), null, 2)}\n`);
  if (values.quiet !== true) process.stdout.write('Configuration file is valid\n');
  return 0;
}
