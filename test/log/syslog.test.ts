import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { bindHandle, makeBackend, makeBind, makeConfig, makeFrontend, startWorker } from '../helpers/worker-harness.ts';
import { get, startUpstream } from '../worker/upstreams.ts';
import { HTTPLOG_FORMAT } from '../../src/log/format.ts';

test('access log lines reach a UDP syslog receiver in HAProxy\'s RFC 3164 framing (localhost, tag haproxy, newline), one per request', async () => {
  const receiver = dgram.createSocket('udp4');
  const lines: string[] = [];
  receiver.on('message', (m) => lines.push(m.toString()));
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
  const syslogPort = (receiver.address() as AddressInfo).port;
  const up = await startUpstream('a');
  const { handle, port } = bindHandle();
  const fe = makeFrontend('http-in', [makeBind('k', port)], {
    defaultBackend: 'app',
    logFormat: HTTPLOG_FORMAT,
    logTargets: [{ kind: 'udp', host: '127.0.0.1', port: syslogPort, facility: 'local0' }],
  });
  const w = await startWorker({ config: makeConfig([fe], [makeBackend('app', [up.port])]), handles: new Map([['k', handle]]) });
  try {
    await get(port, '/one');
    await get(port, '/two');
    for (let i = 0; i < 50 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^<134>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d localhost haproxy\[\d+\]: 127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:[\d:.]+\] http-in app\/s1 \d+\/0\/\d+\/\d+\/\d+ 200 \d+ - - ---- \d+\/\d+\/\d+\/\d+\/0 0\/0 "GET \/one HTTP\/1\.1"\n$/);
    assert.match(lines[1]!, /"GET \/two HTTP\/1\.1"\n$/);
  } finally {
    w.kill();
    handle.close();
    receiver.close();
    await up.close();
  }
});

test('stdout access logs: one line per request; dontlognull keeps empty connections out', async () => {
  const up = await startUpstream('a');
  const { handle, port } = bindHandle();
  const fe = makeFrontend('web', [makeBind('k', port)], {
    defaultBackend: 'app', logFormat: '%f %b/%s %ST %HP', logTargets: [{ kind: 'stdout', facility: 'local0' }], dontLogNull: true,
  });
  const w = await startWorker({ config: makeConfig([fe], [makeBackend('app', [up.port])]), handles: new Map([['k', handle]]) });
  try {
    const net = await import('node:net');
    await new Promise<void>((resolve) => net.connect(port, '127.0.0.1', function (this: import('node:net').Socket) { this.end(); resolve(); }));
    await get(port, '/a');
    w.drain();
    await w.exited;
    assert.equal(w.stdout(), 'web app/s1 200 /a\n');
  } finally {
    w.kill();
    handle.close();
    await up.close();
  }
});
