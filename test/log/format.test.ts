import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLogFormat, HTTPLOG_FORMAT, type LogRecord } from '../../src/log/format.ts';
import { syslogFrame } from '../../src/log/sinks.ts';

// The example of HAProxy's configuration manual (section 8.2.3, HTTP log format), without captures.
const record: LogRecord = {
  clientIp: '10.0.1.2', clientPort: 33317,
  acceptMs: new Date(2009, 1, 6, 12, 14, 14, 655).getTime(),
  requestMs: new Date(2009, 1, 6, 12, 14, 14, 655).getTime(),
  frontend: 'http-in', tls: false, backend: 'static', server: 'srv1',
  TR: 10, Tw: 0, Tc: 30, Tr: 69, Ta: 109, Tt: 109,
  status: 200, bytesOut: 2750, bytesIn: 120, termination: '----',
  actconn: 1, feconn: 1, beconn: 1, srvconn: 1, retries: 0,
  method: 'GET', uri: '/index.html?x=1', httpVersion: '1.1', pid: 14389,
};

test('httplog renders the line shape of the HAProxy manual', () => {
  const line = compileLogFormat(HTTPLOG_FORMAT)(record);
  assert.equal(line, '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html?x=1 HTTP/1.1"');
});

test('TLS frontends get the ~ suffix in %ft, not in %f', () => {
  assert.equal(compileLogFormat('%ft %f')({ ...record, tls: true }), 'http-in~ http-in');
});

test('method, path, uri, version, pid, bytes and unknown variables', () => {
  const fmt = compileLogFormat('%HM %HP %HU %HV %pid %U %B %ID %Tt %zz 100%%');
  assert.equal(fmt(record), 'GET /index.html /index.html?x=1 HTTP/1.1 14389 120 2750 - 109 - 100%');
});

test('%{+Q}r quotes, %r does not', () => {
  assert.equal(compileLogFormat('%r|%{+Q}r')(record), 'GET /index.html?x=1 HTTP/1.1|"GET /index.html?x=1 HTTP/1.1"');
});

test('syslog frames are RFC 3164 with priority from facility and info level, host localhost and tag haproxy as HAProxy sends them', () => {
  const frame = syslogFrame('hello', 'local0', 42, new Date(2024, 0, 5, 9, 3, 7));
  assert.equal(frame, '<134>Jan  5 09:03:07 localhost haproxy[42]: hello');
});

test('%hr with http-request capture slots: one field per slot, empty when not captured, special bytes as #XX', () => {
  const fmt = compileLogFormat(HTTPLOG_FORMAT, { captureSlots: 3 });
  assert.match(fmt({ ...record, requestCaptures: ['www.example', '', 'a|b"c'] }), / 0\/0 \{www\.example\|\|a#7Cb#22c\} "GET /);
  assert.match(fmt(record), / 0\/0 \{\|\|\} "GET /);
});
