// Contract of the load generator (`handoff load`), shared with `handoff bench`.
// The bench drives the load through the CLI (`handoff load --json --timeline FILE`), so these
// types are also the shape of `--json` output and of timeline lines.

export type TlsProtocolFlag = 'TLS1' | 'TLS1.1' | 'TLS1.2' | 'TLS1.3' | 'ALL';

export interface LoadOptions {
  url: string;
  /** `-n`: total requests (ab default 1). With `-t` and no `-n`, ab uses 50 000 as the cap. */
  requests: number;
  /** `-c` */
  concurrency: number;
  /** `-t` in ms: stop sending after this long. */
  timeLimitMs?: number;
  /** `-k` */
  keepAlive: boolean;
  /** `-l`: do not count a body length different from the first response's as a failure. */
  variableLength: boolean;
  /** `-f` */
  tls: TlsProtocolFlag;
  /** `-s` in ms: per-request timeout (ab default 30 s). */
  timeoutMs: number;
  /** `-H`, in order. */
  headers: [string, string][];
  /** `-m` */
  method: string;
  /** `-p` file contents. */
  body?: Uint8Array;
  contentType?: string;
  /** `--rate`: requests per second, open-loop; latency measured from the intended send time. */
  rate?: number;
  /** `--timeline FILE` */
  timelineFile?: string;
  /** Live progress line on stderr when it is a TTY. */
  progress: boolean;
}

/** Failure classes, by the phase the request was in when it failed. */
export type FailureKind =
  | 'connect_refused'
  | 'connect_timeout'
  | 'connect_error'
  | 'tls_handshake'
  | 'send'
  | 'receive'
  | 'timeout'
  | 'length'
  | 'status';

export const FAILURE_KINDS: readonly FailureKind[] = [
  'connect_refused',
  'connect_timeout',
  'connect_error',
  'tls_handshake',
  'send',
  'receive',
  'timeout',
  'length',
  'status',
];

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  sd: number;
  median: number;
  max: number;
  /** Percentile (50, 66, 75, 80, 90, 95, 98, 99, 100) → ms. */
  percentiles: Record<string, number>;
}

export interface LoadReport {
  url: string;
  /** Wall-clock time (Date.now()) when the run started; timeline `t` values are relative to it. */
  startedAtMs: number;
  serverSoftware: string;
  host: string;
  port: number;
  path: string;
  /** e.g. `TLSv1.2,ECDHE-RSA-AES256-GCM-SHA384,2048,256`; empty for plain HTTP. */
  tlsProtocol: string;
  documentLength: number | 'variable';
  concurrency: number;
  keepAlive: boolean;
  timeTakenMs: number;
  completeRequests: number;
  failedRequests: number;
  failures: Record<FailureKind, number>;
  non2xx: number;
  totalTransferredBytes: number;
  htmlTransferredBytes: number;
  requestsPerSecond: number;
  /** Connection Times table (ms), successful requests only. */
  connect: LatencySummary;
  processing: LatencySummary;
  waiting: LatencySummary;
  total: LatencySummary;
  /** Time until failure of the failed requests (ms), kept out of `total`. */
  failureTimes: LatencySummary;
  /** Responses after which the connection stayed open for the next request (ab's "Keep-Alive requests"). */
  keepAliveRequests?: number;
  /** SNI sent (the URL host when it is a name); empty for plain HTTP or an IP address. */
  tlsServerName?: string;
  /** `--rate` of the run, when open-loop. */
  rate?: number;
}

/** One line of `--timeline FILE` (JSON Lines). `t` is ms since the run started. */
export interface TimelineEntry {
  t: number;
  latencyMs: number;
  ok: boolean;
  status?: number;
  failure?: FailureKind;
}
