// The human report, in ApacheBench's layout (label column 24 wide, its tables and number formats)
// so a reader used to `ab` finds every figure where they expect it. Failures get one breakdown by
// class and their own timing row, since they are kept out of the latency tables.
import { PERCENTILES } from './stats.ts';
import type { FailureKind, LatencySummary, LoadReport } from './types.ts';

const FAILURE_LABELS: Record<FailureKind, string> = {
  connect_refused: 'Connect refused',
  connect_timeout: 'Connect timeout',
  connect_error: 'Connect error',
  tls_handshake: 'TLS handshake',
  send: 'Send',
  receive: 'Receive',
  timeout: 'Timeout',
  length: 'Length',
  status: 'Status',
};

function line(label: string, value: string): string {
  return `${(label + ':').padEnd(24)}${value}\n`;
}

function int(v: number, width: number): string {
  return String(Math.round(v)).padStart(width);
}

/** ab's CONF_FMT_STRING: "%5d %4d %5.1f %6d %7d". */
function timesRow(label: string, s: LatencySummary): string {
  return `${(label + ':').padEnd(12)}${int(s.min, 5)} ${int(s.mean, 4)} ${s.sd.toFixed(1).padStart(5)} ${int(s.median, 6)} ${int(s.max, 7)}\n`;
}

function failureBreakdown(r: LoadReport): string {
  const parts = (Object.keys(FAILURE_LABELS) as FailureKind[]).map((k) => `${FAILURE_LABELS[k]}: ${r.failures[k]}`);
  // Connection-phase classes on the first line, request-phase classes on the second (~80 columns).
  return `   (${parts.slice(0, 4).join(', ')},\n    ${parts.slice(4).join(', ')})\n`;
}

export function formatReport(r: LoadReport): string {
  const secs = r.timeTakenMs / 1000;
  const done = r.completeRequests;
  let out = '';
  out += line('Server Software', r.serverSoftware);
  out += line('Server Hostname', r.host);
  out += line('Server Port', String(r.port));
  if (r.tlsProtocol !== '') {
    out += line('SSL/TLS Protocol', r.tlsProtocol);
    if (r.tlsServerName !== undefined && r.tlsServerName !== '') out += line('TLS Server Name', r.tlsServerName);
  }
  out += '\n';
  out += line('Document Path', r.path);
  out += line('Document Length', r.documentLength === 'variable' ? 'Variable' : `${r.documentLength} bytes`);
  out += '\n';
  out += line('Concurrency Level', String(r.concurrency));
  if (r.rate !== undefined) out += line('Request rate', `${r.rate} [#/sec] (target, open loop; latency from intended send time)`);
  out += line('Time taken for tests', `${secs.toFixed(3)} seconds`);
  out += line('Complete requests', String(done));
  out += line('Failed requests', String(r.failedRequests));
  if (r.failedRequests > 0) out += failureBreakdown(r);
  if (r.non2xx > 0) out += line('Non-2xx responses', String(r.non2xx));
  if (r.keepAlive) out += line('Keep-Alive requests', String(r.keepAliveRequests ?? 0));
  out += line('Total transferred', `${r.totalTransferredBytes} bytes`);
  out += line('HTML transferred', `${r.htmlTransferredBytes} bytes`);
  out += line('Requests per second', `${r.requestsPerSecond.toFixed(2)} [#/sec] (mean)`);
  const perRequest = done > 0 ? (r.concurrency * r.timeTakenMs) / done : 0;
  const acrossAll = done > 0 ? r.timeTakenMs / done : 0;
  out += line('Time per request', `${perRequest.toFixed(3)} [ms] (mean)`);
  out += line('Time per request', `${acrossAll.toFixed(3)} [ms] (mean, across all concurrent requests)`);
  out += line('Transfer rate', `${(secs > 0 ? r.totalTransferredBytes / 1024 / secs : 0).toFixed(2)} [Kbytes/sec] received`);

  out += '\nConnection Times (ms)\n';
  if (r.total.count === 0) {
    out += '              (no successful requests)\n';
  } else {
    out += '              min  mean[+/-sd] median   max\n';
    out += timesRow('Connect', r.connect);
    out += timesRow('Processing', r.processing);
    out += timesRow('Waiting', r.waiting);
    out += timesRow('Total', r.total);
  }
  if (r.failureTimes.count > 0) {
    out += '\nTime until failure (ms), failed requests only\n';
    out += '              min  mean[+/-sd] median   max\n';
    out += timesRow('Failed', r.failureTimes);
  }

  out += '\nPercentage of the requests served within a certain time (ms)\n';
  if (r.total.count === 0) {
    out += '  (no successful requests)\n';
  } else {
    for (const p of PERCENTILES) {
      const v = int(r.total.percentiles[String(p)] ?? 0, 5);
      out += p >= 100 ? ` 100%  ${v} (longest request)\n` : `  ${p}%  ${v}\n`;
    }
  }
  return out;
}
