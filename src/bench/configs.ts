// The configuration the bench gives the proxy under test: one TLS frontend → roundrobin over the
// demo backends. handoff reads HAProxy's language, so both get the same text apart from the
// HAProxy-only runtime socket.
import type { ProxyKind, ScenarioName } from './types.ts';

export interface BenchConfigInput {
  proxy: ProxyKind;
  scenario: ScenarioName;
  frontendPort: number;
  certPath: string;
  backends: { host: string; port: number }[];
  workers: number;
  /** HAProxy runtime socket with `expose-fd listeners` (socket-transfer scenario only). */
  adminSocket?: string;
}

export function benchConfig(c: BenchConfigInput): string {
  const global = [
    'global',
    '    maxconn 4096',
    `    nbthread ${c.workers}`,
    // Bounds an old process's drain so a reload storm cannot pile them up.
    '    hard-stop-after 10s',
    '    ssl-default-bind-options ssl-min-ver TLSv1.2',
  ];
  // The seed's 'expose-fd listeners': HAProxy hands the listening sockets to the next process.
  // Legacy runs go without it, as the seed's switchhaproxy.sh does.
  if (c.proxy === 'haproxy' && c.scenario === 'handoff' && c.adminSocket !== undefined) {
    global.push(`    stats socket ${c.adminSocket} mode 600 level admin expose-fd listeners`);
  }
  return [
    `# written by 'handoff bench reload' (${c.proxy}, scenario ${c.scenario})`,
    ...global,
    '',
    'defaults',
    '    mode http',
    '    retries 3',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '',
    'frontend bench-tls',
    `    bind 127.0.0.1:${c.frontendPort} ssl crt ${c.certPath}`,
    '    default_backend demo',
    '',
    'backend demo',
    '    balance roundrobin',
    ...c.backends.map((b, i) => `    server demo${i + 1} ${b.host}:${b.port}`),
    '',
  ].join('\n');
}
