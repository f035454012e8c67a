// Configuration text for `npm run bench perf`: the same frontends for handoff and HAProxy (handoff
// reads HAProxy's language), their nginx equivalent, and the static nginx backend.

/** A frontend of the proxy under test: plain HTTP or TLS with one certificate and one version. */
export interface Route {
  name: string;
  port: number;
  backendPort: number;
  tls?: { pem: string; version: '1.2' | '1.3' };
}

const HOST = '127.0.0.1';

/**
 * For handoff and HAProxy alike. No `maxconn`: HAProxy derives it from the open-files limit (it
 * refuses to start when an explicit one does not fit) and handoff's default is none.
 */
export function haproxyConfig(workers: number, routes: readonly Route[]): string {
  const lines = [
    '# written by bench/perf.ts',
    'global',
    `    nbthread ${workers}`,
    // TLS rows measure full handshakes: no session cache, and no tickets on the binds
    ...(routes.some((r) => r.tls !== undefined) ? ['    tune.ssl.cachesize 0'] : []),
    '',
    'defaults',
    '    mode http',
    '    option http-keep-alive',
    '    timeout connect 5s',
    '    timeout client 120s',
    '    timeout server 120s',
    '    timeout http-keep-alive 120s',
  ];
  for (const r of routes) {
    const v = r.tls === undefined ? '' : `TLSv${r.tls.version}`;
    const ssl = r.tls === undefined ? '' : ` ssl crt ${r.tls.pem} ssl-min-ver ${v} ssl-max-ver ${v} no-tls-tickets`;
    lines.push('', `frontend fe-${r.name}`, `    bind ${HOST}:${r.port}${ssl}`, `    default_backend be-${r.name}`);
    lines.push('', `backend be-${r.name}`, `    server s1 ${HOST}:${r.backendPort}`);
  }
  return lines.join('\n') + '\n';
}

/** The top of every nginx configuration: everything under `dir`, nothing from /etc/nginx. */
function nginxHead(dir: string, workers: number, workerConnections: number, asRoot: boolean): string[] {
  return [
    '# written by bench/perf.ts',
    ...(asRoot ? ['user root;'] : []), // workers as root can read the 0700 temp dir
    `worker_processes ${workers};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    `events { worker_connections ${workerConnections}; }`,
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${dir}/body;`,
    `    proxy_temp_path ${dir}/proxy;`,
    `    fastcgi_temp_path ${dir}/fastcgi;`,
    `    uwsgi_temp_path ${dir}/uwsgi;`,
    `    scgi_temp_path ${dir}/scgi;`,
    '    keepalive_requests 10000000;',
    '    keepalive_timeout 120s;',
  ];
}

export interface NginxInput {
  dir: string;
  workers: number;
  /** Per worker, client and upstream connections together; at most the open-files limit. */
  workerConnections: number;
  asRoot: boolean;
}

/** The fast static backend: `return 200 "hello\n"`, on every port of `ports`. */
export function nginxBackendConfig(c: NginxInput & { ports: readonly number[] }): string {
  return [
    ...nginxHead(c.dir, c.workers, c.workerConnections, c.asRoot),
    '    default_type text/plain;',
    '    server {',
    ...c.ports.map((port) => `        listen ${HOST}:${port} backlog=65535 reuseport;`),
    '        location / { return 200 "hello\\n"; }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** nginx as the proxy: `proxy_pass` to a keep-alive upstream per route. */
export function nginxProxyConfig(c: NginxInput & { routes: readonly Route[] }): string {
  const lines = nginxHead(c.dir, c.workers, c.workerConnections, c.asRoot);
  for (const r of c.routes) {
    lines.push(`    upstream up-${r.name} { server ${HOST}:${r.backendPort}; keepalive 512; keepalive_requests 10000000; keepalive_timeout 120s; }`);
    const tls = r.tls === undefined
      ? []
      : [`        ssl_certificate ${r.tls.pem};`, `        ssl_certificate_key ${r.tls.pem};`, `        ssl_protocols TLSv${r.tls.version};`, '        ssl_session_cache off;', '        ssl_session_tickets off;'];
    lines.push(
      '    server {',
      `        listen ${HOST}:${r.port}${r.tls === undefined ? '' : ' ssl'} reuseport;`, // one accept queue per worker: spreads connections evenly
      ...tls,
      '        location / {',
      `            proxy_pass http://up-${r.name};`,
      '            proxy_http_version 1.1;',
      '            proxy_set_header Connection "";',
      '        }',
      '    }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}
