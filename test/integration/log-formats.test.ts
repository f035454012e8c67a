// Access-log datagrams of every `log … format F`, with log-tag (global and per frontend),
// log-send-hostname, len and MINLEVEL, received on UDP sockets from the real binary; compared
// byte for byte with HAProxy 2.6's on the same configuration when it is installed (time and pid
// masked).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPeers, type Peers } from '../helpers/peers.ts';
import { tempDir, until } from '../helpers/proxy.ts';

const FORMATS = ['raw', 'short', 'priority', 'timed', 'iso', 'local', 'rfc3164', 'rfc5424'] as const;

interface Receiver {
  port: number;
  lines: string[];
  socket: dgram.Socket;
}

async function receiver(): Promise<Receiver> {
  const socket = dgram.createSocket('udp4');
  const r: Receiver = { port: 0, lines: [], socket };
  socket.on('message', (m) => r.lines.push(m.toString('latin1')));
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  r.port = (socket.address() as AddressInfo).port;
  return r;
}

/** Per peer (handoff first, then HAProxy): one receiver per format, then the `len` and tagged ones. */
const receivers: Receiver[][] = [];
let configCalls = 0;
let logDir = '';
let peers: Peers;

function config(port: number): string {
  const rs = receivers[configCalls++] as Receiver[];
  const dir = logDir;
  const logs = FORMATS.map((f, i) => `  log 127.0.0.1:${rs[i]?.port} format ${f} local0`).join('\n');
  const extra = FORMATS.length;
  return `global
  log-tag gtag
  log-send-hostname testhost
${logs}
  log 127.0.0.1:${rs[extra]?.port} len 80 format rfc5424 local1 info debug
defaults
  mode http
  log global
  option dontlognull
  log-format "hello %ST %HM 0123456789012345678901234567890123456789"
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200
frontend tagged
  bind unix@${dir}/tagged-${configCalls}.sock
  log-tag fetag
  log 127.0.0.1:${rs[extra + 1]?.port} format rfc3164 daemon
  http-request return status 200
`;
}

function get(to: number | string): Promise<number> {
  const where = typeof to === 'number' ? { host: '127.0.0.1', port: to } : { socketPath: to };
  return new Promise((resolve, reject) => {
    http.get({ ...where, path: '/', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** Time stamps and pids vary from run to run and peer to peer. */
function mask(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/, 'ISO')
    .replace(/[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d/, 'LEGACY')
    .replace(/\[\d+\]: /, '[PID]: ')
    .replace(/ (gtag|fetag|haproxy) \d+ - - /, ' $1 PID - - ');
}

before(async () => {
  for (let p = 0; p < 2; p++) receivers.push(await Promise.all(Array.from({ length: FORMATS.length + 2 }, receiver)));
  logDir = tempDir('handoff-logfmt-');
  peers = await startPeers(logDir, config, 'datagram shapes are checked against the fixed expectations only');
});

after(async () => {
  await peers?.stop();
  for (const rs of receivers) for (const r of rs) r.socket.close();
});

const EXPECTED = [
  'hello 200 GET 0123456789012345678901234567890123456789\n',
  '<6>hello 200 GET 0123456789012345678901234567890123456789\n',
  '<134>hello 200 GET 0123456789012345678901234567890123456789\n',
  '<6>ISO hello 200 GET 0123456789012345678901234567890123456789\n',
  'ISO hello 200 GET 0123456789012345678901234567890123456789\n',
  '<134>LEGACY gtag[PID]: hello 200 GET 0123456789012345678901234567890123456789\n',
  '<134>LEGACY testhost gtag[PID]: hello 200 GET 0123456789012345678901234567890123456789\n',
  '<134>1 ISO testhost gtag PID - - hello 200 GET 0123456789012345678901234567890123456789\n',
];

test('one request logs one datagram per target, each in its format, with tag, hostname, len and MINLEVEL', async () => {
  for (const [i, peer] of peers.list.entries()) {
    assert.equal(await get(peer.port), 200);
    assert.equal(await get(`${logDir}/tagged-${i + 1}.sock`), 200);
    const rs = receivers[i] as Receiver[];
    await until(`${peer.name}: every datagram`, () => rs.every((r) => r.lines.length >= 1), 5000);
    FORMATS.forEach((f, j) => assert.equal(mask((rs[j] as Receiver).lines[0] as string), EXPECTED[j], `${peer.name} format ${f}`));
    const cut = (rs[FORMATS.length] as Receiver).lines[0] as string;
    assert.equal(cut.length, 81, `${peer.name}: len 80 then a newline`);
    assert.match(cut, /^<143>1 \S+ testhost gtag \d+ - - hello 200 GET 0[0-9]*\n$/, `${peer.name}: local1 at debug (MINLEVEL)`);
    assert.equal(mask((rs[FORMATS.length + 1] as Receiver).lines.at(-1) as string), '<30>LEGACY testhost fetag[PID]: hello 200 GET 0123456789012345678901234567890123456789\n', `${peer.name}: frontend log-tag`);
  }
});
