// The keyword names HAProxy 2.6 knows, by where they appear (read off `haproxy -dKcfg` and its
// configuration parser). handoff uses them for two things: to tell a misspelt keyword (an error
// with a "did you mean") from one HAProxy has but handoff does not implement, and as the words a
// suggestion is drawn from.

export const HAPROXY_GLOBAL: ReadonlySet<string> = new Set([
  'busy-polling', 'ca-base', 'chroot', 'close-spread-time', 'cluster-secret', 'cpu-map',
  'crt-base', 'daemon', 'default-path', 'description', 'expose-experimental-directives',
  'external-check', 'fd-hard-limit', 'gid', 'grace', 'group', 'h1-accept-payload-with-any-method',
  'h1-case-adjust', 'h1-case-adjust-file', 'h2-workaround-bogus-websocket-clients',
  'hard-stop-after', 'httpclient.resolvers.id', 'httpclient.resolvers.prefer',
  'httpclient.ssl.ca-file', 'httpclient.ssl.verify', 'insecure-fork-wanted',
  'insecure-setuid-wanted', 'issuers-chain-path', 'localpeer', 'log', 'log-send-hostname',
  'log-tag', 'lua-load', 'lua-load-per-thread', 'lua-prepend-path', 'master-worker',
  'max-spread-checks', 'maxcompcpuusage', 'maxcomprate', 'maxconn', 'maxconnrate', 'maxpipes',
  'maxsessrate', 'maxsslconn', 'maxsslrate', 'maxzlibmem', 'mworker-max-reloads', 'nbproc',
  'nbthread', 'no-memory-trimming', 'node', 'noepoll', 'noevports', 'nogetaddrinfo', 'nokqueue',
  'nopoll', 'noreuseport', 'nosplice', 'numa-cpu-mapping', 'pidfile', 'pp2-never-send-local',
  'presetenv', 'profiling.tasks', 'quiet', 'resetenv', 'server-state-base', 'server-state-file',
  'set-dumpable', 'set-var', 'set-var-fmt', 'setenv', 'spread-checks', 'ssl-default-bind-ciphers',
  'ssl-default-bind-ciphersuites', 'ssl-default-bind-curves', 'ssl-default-bind-options',
  'ssl-default-server-ciphers', 'ssl-default-server-ciphersuites', 'ssl-default-server-options',
  'ssl-dh-param-file', 'ssl-load-extra-del-ext', 'ssl-load-extra-files', 'ssl-mode-async',
  'ssl-propquery', 'ssl-provider', 'ssl-provider-path', 'ssl-server-verify',
  'ssl-skip-self-issued-ca', 'strict-limits', 'thread-group', 'thread-groups',
  'tune.buffers.limit', 'tune.buffers.reserve', 'tune.bufsize', 'tune.chksize',
  'tune.comp.maxlevel', 'tune.fail-alloc', 'tune.fd.edge-triggered', 'tune.h2.header-table-size',
  'tune.h2.initial-window-size', 'tune.h2.max-concurrent-streams', 'tune.h2.max-frame-size',
  'tune.http.cookielen', 'tune.http.logurilen', 'tune.http.maxhdr', 'tune.idle-pool.shared',
  'tune.idletimer', 'tune.listener.multi-queue', 'tune.lua.forced-yield', 'tune.lua.maxmem',
  'tune.lua.service-timeout', 'tune.lua.session-timeout', 'tune.lua.task-timeout',
  'tune.maxaccept', 'tune.maxpollevents', 'tune.maxrewrite', 'tune.pattern.cache-size',
  'tune.peers.max-updates-at-once', 'tune.pipesize', 'tune.pool-high-fd-ratio',
  'tune.pool-low-fd-ratio', 'tune.rcvbuf.client', 'tune.rcvbuf.server', 'tune.recv_enough',
  'tune.runqueue-depth', 'tune.sched.low-latency', 'tune.sndbuf.client', 'tune.sndbuf.server',
  'tune.ssl.cachesize', 'tune.ssl.capture-buffer-size', 'tune.ssl.capture-cipherlist-size',
  'tune.ssl.default-dh-param', 'tune.ssl.force-private-cache', 'tune.ssl.hard-maxrecord',
  'tune.ssl.keylog', 'tune.ssl.lifetime', 'tune.ssl.maxrecord', 'tune.ssl.ssl-ctx-cache-size',
  'tune.vars.check-max-size', 'tune.vars.global-max-size', 'tune.vars.proc-max-size',
  'tune.vars.reqres-max-size', 'tune.vars.sess-max-size', 'tune.vars.txn-max-size', 'uid',
  'ulimit-n', 'unix-bind', 'unsetenv', 'user', 'zero-warning',
]);

export const HAPROXY_PROXY: ReadonlySet<string> = new Set([
  'acl', 'backlog', 'balance', 'bind', 'bind-process', 'capture', 'clitcpka-cnt', 'clitcpka-idle',
  'clitcpka-intvl', 'compression', 'cookie', 'declare', 'default-server', 'default_backend',
  'description', 'disabled', 'dispatch', 'dynamic-cookie-key', 'email-alert', 'enabled',
  'error-log-format', 'errorfile', 'errorfiles', 'errorloc', 'errorloc302', 'errorloc303',
  'external-check', 'filter', 'force-persist', 'fullconn', 'grace', 'hash-balance-factor',
  'hash-type', 'http-after-response', 'http-check', 'http-error', 'http-request', 'http-response',
  'http-reuse', 'http-send-name-header', 'id', 'ignore-persist', 'load-server-state-from-file',
  'log', 'log-format', 'log-format-sd', 'log-tag', 'max-keep-alive-queue', 'max-session-srv-conns',
  'maxconn', 'mode', 'monitor', 'monitor-net', 'monitor-uri', 'option', 'persist', 'rate-limit',
  'redirect', 'retries', 'retry-on', 'server', 'server-state-file-name', 'server-template',
  'source', 'srvtcpka-cnt', 'srvtcpka-idle', 'srvtcpka-intvl', 'stats', 'stick', 'stick-table',
  'tcp-check', 'tcp-request', 'tcp-response', 'timeout', 'transparent', 'unique-id-format',
  'unique-id-header', 'use-fcgi-app', 'use-server', 'use_backend',
]);

/** Second words of `option`. */
export const HAPROXY_OPTION: ReadonlySet<string> = new Set([
  'abortonclose', 'accept-invalid-http-request', 'accept-invalid-http-response', 'allbackups',
  'checkcache', 'clitcpka', 'contstats', 'disable-h2-upgrade', 'dontlog-normal', 'dontlognull',
  'external-check', 'forceclose', 'forwardfor', 'h1-case-adjust-bogus-client',
  'h1-case-adjust-bogus-server', 'http-buffer-request', 'http-ignore-probes', 'http-keep-alive',
  'http-no-delay', 'http-pretend-keepalive', 'http-restrict-req-hdr-names', 'http-server-close',
  'http-tunnel', 'http-use-proxy-header', 'http_proxy', 'httpchk', 'httpclose', 'httplog',
  'httpslog', 'idle-close-on-response', 'independent-streams', 'ldap-check', 'log-health-checks',
  'log-separate-errors', 'logasap', 'mysql-check', 'nolinger', 'originalto', 'persist',
  'pgsql-check', 'prefer-last-server', 'redis-check', 'redispatch', 'smtpchk', 'socket-stats',
  'splice-auto', 'splice-request', 'splice-response', 'spop-check', 'srvtcpka', 'ssl-hello-chk',
  'tcp-check', 'tcp-smart-accept', 'tcp-smart-connect', 'tcpka', 'tcplog', 'transparent',
]);

/** Second words of `timeout`. */
export const HAPROXY_TIMEOUT: ReadonlySet<string> = new Set([
  'check', 'client', 'client-fin', 'connect', 'http-keep-alive', 'http-request', 'queue', 'server',
  'server-fin', 'tarpit', 'tunnel',
]);

export const HAPROXY_BIND_OPTION: ReadonlySet<string> = new Set([
  'accept-netscaler-cip', 'accept-proxy', 'allow-0rtt', 'alpn', 'backlog', 'ca-file',
  'ca-ignore-err', 'ca-sign-file', 'ca-sign-pass', 'ca-verify-file', 'ciphers', 'ciphersuites',
  'crl-file', 'crt', 'crt-ignore-err', 'crt-list', 'curves', 'defer-accept', 'ecdhe', 'expose-fd',
  'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13',
  'generate-certificates', 'gid', 'group', 'id', 'interface', 'level', 'maxconn', 'mode', 'mss',
  'name', 'namespace', 'nice', 'no-ca-names', 'no-sslv3', 'no-tls-tickets', 'no-tlsv10',
  'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'npn', 'prefer-client-ciphers', 'process', 'proto',
  'severity-output', 'shards', 'ssl', 'ssl-max-ver', 'ssl-min-ver', 'strict-sni', 'tcp-ut', 'tfo',
  'thread', 'tls-ticket-keys', 'transparent', 'uid', 'user', 'v4v6', 'v6only', 'verify',
]);

export const HAPROXY_SERVER_OPTION: ReadonlySet<string> = new Set([
  'addr', 'agent-addr', 'agent-check', 'agent-inter', 'agent-port', 'agent-send', 'allow-0rtt',
  'alpn', 'backup', 'ca-file', 'check', 'check-alpn', 'check-proto', 'check-send-proxy',
  'check-sni', 'check-ssl', 'check-via-socks4', 'ciphers', 'ciphersuites', 'cookie', 'crl-file',
  'crt', 'disabled', 'downinter', 'enabled', 'error-limit', 'fall', 'fastinter', 'force-sslv3',
  'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'id', 'init-addr', 'inter',
  'log-proto', 'max-reuse', 'maxconn', 'maxqueue', 'minconn', 'namespace', 'no-agent-check',
  'no-backup', 'no-check', 'no-check-send-proxy', 'no-check-ssl', 'no-send-proxy',
  'no-send-proxy-v2', 'no-send-proxy-v2-ssl', 'no-send-proxy-v2-ssl-cn', 'no-ssl', 'no-ssl-reuse',
  'no-sslv3', 'no-tfo', 'no-tls-tickets', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13',
  'non-stick', 'npn', 'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-low-conn',
  'pool-max-conn', 'pool-purge-delay', 'port', 'proto', 'proxy-v2-options', 'redir', 'resolve-net',
  'resolve-opts', 'resolve-prefer', 'resolvers', 'rise', 'send-proxy', 'send-proxy-v2',
  'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn', 'slowstart', 'sni', 'socks4', 'source', 'ssl',
  'ssl-max-ver', 'ssl-min-ver', 'ssl-reuse', 'stick', 'tcp-ut', 'tfo', 'tls-tickets', 'track',
  'usesrc', 'verify', 'verifyhost', 'weight', 'ws',
]);
