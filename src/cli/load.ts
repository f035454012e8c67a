// `handoff load`: ApacheBench-compatible flags in, LoadOptions out; the engine does the rest.
import { readFileSync } from 'node:fs';
import { durationFlag, intFlag, numberFlag, parseFlags, UsageError } from './args.ts';
import { runLoad } from '../load/engine.ts';
import { formatReport } from '../load/report.ts';
import { parseTarget } from '../load/request.ts';
import type { LoadOptions, TlsProtocolFlag } from '../load/types.ts';

export const usage = `usage: handoff load [options] URL

An ApacheBench (ab) that never gives up: every failed request is counted, classified by the phase
it failed in (connect refused/timeout/error, TLS handshake, send, receive, timeout, length,
status) and the run goes on. URL is http://host[:port]/path or https://…

ab-compatible options:
  -n requests     number of requests to perform (default 1; with -t and no -n: 50000)
  -c concurrency  number of requests in flight at a time, one connection each (default 1)
  -t timelimit    stop starting requests after this many seconds (200ms, 1.5s, 2m also accepted);
                  requests already in flight still finish (bounded by -s)
  -s timeout      per-request timeout in seconds (default 30); a request still connecting then
                  is a connect_timeout, still in the TLS handshake a tls_handshake failure,
                  anything later a timeout
  -k              HTTP keep-alive: reuse connections. A kept-alive connection that the server
                  closes after a request was sent on it is a receive failure, never retried.
                  Without -k every request opens a new TCP (and TLS) connection, as ab does.
  -r, -R          accepted for ab compatibility; never exiting on errors is always on
  -l              variable document length: a body length different from the first response's
                  is not a failure
  -f protocol     TLS1, TLS1.1, TLS1.2, TLS1.3 or ALL (default ALL = TLS 1.0 to 1.3)
  -H 'Name: v'    add a request header (repeatable); replaces the default Host, User-Agent,
                  Accept or Connection header of the same name
  -m method       request method (default GET; POST with -p; HEAD with -i)
  -i              send HEAD requests
  -p file         file to send as the request body (implies POST unless -m)
  -T type         Content-Type of the -p body (default text/plain)
  -q              no progress line

handoff options:
  --rate N        open loop: start N requests per second on schedule, using up to -c
                  connections; latency is measured from each request's scheduled time, so a
                  stalled server is not hidden by a slowed sender (coordinated omission). With
                  -t and no -n, the run is N × t requests.
  --json          print the report as one JSON object (LoadReport) on stdout, nothing else
  --timeline FILE write one JSON line per finished request: {"t","latencyMs","ok","status",
                  "failure"}, t = ms from the run's start to the request's (scheduled) start
  -h, --help      this help

Without --json the report follows ab's layout. A live progress line is drawn on stderr when it is
a terminal (not with -q or --json). Ctrl-C or SIGTERM stops the run and prints the report of the
requests that finished.
Exit status: 0 when the run completed (failed requests are results, not errors), 1 when it could
not start (e.g. the host does not resolve), 2 for bad options.
`;

const TLS_FLAGS: readonly TlsProtocolFlag[] = ['TLS1', 'TLS1.1', 'TLS1.2', 'TLS1.3', 'ALL'];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function parseLoadArgs(argv: string[]): { options: LoadOptions; json: boolean; quiet: boolean } {
  const { values, positionals } = parseFlags(argv, {
    n: { type: 'string', short: 'n' },
    c: { type: 'string', short: 'c' },
    t: { type: 'string', short: 't' },
    s: { type: 'string', short: 's' },
    k: { type: 'boolean', short: 'k' },
    r: { type: 'boolean', short: 'r' },
    R: { type: 'boolean', short: 'R' },
    l: { type: 'boolean', short: 'l' },
    f: { type: 'string', short: 'f' },
    H: { type: 'string', short: 'H', multiple: true },
    m: { type: 'string', short: 'm' },
    i: { type: 'boolean', short: 'i' },
    p: { type: 'string', short: 'p' },
    T: { type: 'string', short: 'T' },
    q: { type: 'boolean', short: 'q' },
    rate: { type: 'string' },
    json: { type: 'boolean' },
    timeline: { type: 'string' },
  });
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing URL' : `expected one URL, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const url = positionals[0] as string;
  const target = parseTarget(url);
  if (target instanceof Error) throw new UsageError(target.message);

  const tls = (values.f ?? 'ALL').toUpperCase() as TlsProtocolFlag;
  if (!TLS_FLAGS.includes(tls)) throw new UsageError(`-f expects one of ${TLS_FLAGS.join(', ')}, got '${values.f}'`);

  const headers: [string, string][] = [];
  for (const h of values.H ?? []) {
    const colon = h.indexOf(':');
    const name = colon > 0 ? h.slice(0, colon).trim() : '';
    const value = colon > 0 ? h.slice(colon + 1).trim() : '';
    if (!TOKEN.test(name)) throw new UsageError(`-H expects 'Name: value', got '${h}'`);
    if (/[\r\n\0]/.test(value)) throw new UsageError(`-H value for '${name}' contains a line break`);
    headers.push([name, value]);
  }

  let body: Uint8Array | undefined;
  if (values.p !== undefined) {
    try {
      body = readFileSync(values.p);
    } catch (err) {
      throw new UsageError(`-p: cannot read '${values.p}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const method = values.m ?? (values.i === true ? 'HEAD' : body !== undefined ? 'POST' : 'GET');
  if (!TOKEN.test(method)) throw new UsageError(`-m expects an HTTP method token, got '${method}'`);

  const timeLimitMs = durationFlag('-t', values.t, 's');
  if (timeLimitMs !== undefined && timeLimitMs <= 0) throw new UsageError('-t must be greater than 0');
  const timeoutMs = durationFlag('-s', values.s, 's') ?? 30_000;
  if (timeoutMs <= 0) throw new UsageError('-s must be greater than 0');
  const rate = numberFlag('--rate', values.rate);
  if (rate !== undefined && rate <= 0) throw new UsageError('--rate must be greater than 0');
  const n = intFlag('-n', values.n, 1);
  const requests = n ?? (timeLimitMs === undefined ? 1 : rate === undefined ? 50_000 : Math.max(1, Math.ceil((rate * timeLimitMs) / 1000)));
  const concurrency = intFlag('-c', values.c, 1, 100_000) ?? 1;

  const json = values.json === true;
  const quiet = values.q === true;
  const options: LoadOptions = {
    url,
    requests,
    concurrency,
    timeLimitMs,
    keepAlive: values.k === true,
    variableLength: values.l === true,
    tls,
    timeoutMs,
    headers,
    method,
    body,
    contentType: values.T,
    rate,
    timelineFile: values.timeline,
    progress: !quiet && !json && process.stderr.isTTY === true,
  };
  return { options, json, quiet };
}

export async function main(argv: string[]): Promise<number> {
  const { options, json } = parseLoadArgs(argv);
  if (!json) process.stderr.write(`Benchmarking ${new URL(options.url).host} (be patient)\n`);
  // SIGINT (Ctrl-C) and SIGTERM (a driving script) stop the run; the report of what finished is
  // still printed.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await runLoad(options, controller.signal);
    process.stdout.write(json ? JSON.stringify(report) + '\n' : '\n' + formatReport(report));
    return 0;
  } catch (err) {
    process.stderr.write(`handoff load: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
