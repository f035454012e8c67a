// The header of each `log … format F`, `len`, `sample`, MINLEVEL and `log-tag`, as HAProxy 2.6
// writes them (shapes captured from haproxy 2.6.12 on stdout with the same `log` lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerBuilder, legacyStamp } from '../../src/log/syslog-header.ts';
import { createSinks, lineFramer, type SharedLogResources } from '../../src/log/sinks.ts';
import type { LogTarget } from '../../src/config/model.ts';
import { parseLogTarget } from '../../src/config/keywords/log.ts';

const at = new Date(2026, 11, 2, 10, 0, 0, 123).getTime();
const off = -new Date(at).getTimezoneOffset();
const zone = `${off < 0 ? '-' : '+'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
const iso = `2026-12-02T10:00:00.123000${zone}`;

test('each log format has HAProxy 2.6 header shape', () => {
  const base = { facility: 16, level: 6, tag: 'haproxy', pid: 1234 };
  const expected: Record<string, string> = {
    raw: '',
    short: '<6>',
    priority: '<134>',
    timed: `<6>${iso} `,
    iso: `${iso} `,
    local: '<134>Dec  2 10:00:00 haproxy[1234]: ',
    rfc3164: '<134>Dec  2 10:00:00 localhost haproxy[1234]: ',
    rfc5424: `<134>1 ${iso} - haproxy 1234 - - `,
  };
  for (const [format, header] of Object.entries(expected)) {
    assert.equal(headerBuilder({ ...base, format: format as LogTarget['format'] & string })(at), header, format);
  }
  assert.equal(headerBuilder({ ...base, format: 'rfc3164', hostname: 'vm' })(at), '<134>Dec  2 10:00:00 vm haproxy[1234]: ');
  assert.equal(headerBuilder({ ...base, format: 'rfc5424', hostname: 'vm', tag: 'web' })(at), `<134>1 ${iso} vm web 1234 - - `);
  assert.equal(legacyStamp(new Date(2026, 0, 15, 9, 5, 7)), 'Jan 15 09:05:07');
});

test('the timestamp follows the clock across seconds (the second is cached, not frozen)', () => {
  const h = headerBuilder({ format: 'rfc5424', facility: 16, level: 6, tag: 't', pid: 1 });
  assert.match(h(at), /T10:00:00\.123000/);
  assert.match(h(at + 1500), /T10:00:01\.623000/);
});

function target(line: string): LogTarget {
  const p = parseLogTarget(line.split(' '));
  assert.ok(p.ok, p.ok ? '' : p.error);
  return p.value;
}

test('len cuts the line, header included: on stdout the newline counts, in a datagram it is added', () => {
  const long = `hello 200 ${'0123456789'.repeat(10)}`;
  const out = lineFramer(target('stdout len 80 format raw local0'), 7)(long);
  assert.equal(out.length + 1, 80);
  assert.equal(out, long.slice(0, 79));
  const udp = lineFramer(target('127.0.0.1:514 len 80 format rfc5424 local0'), 7)(long);
  assert.equal(udp.length, 80);
  assert.match(udp, /^<134>1 \S+ - haproxy 7 - - hello 200 0123/);
  // Default 1024, as HAProxy.
  assert.equal(lineFramer(target('stdout format raw local0'), 7)('x'.repeat(5000)).length, 1023);
});

test('stdout without format stays raw (handoff); syslog without format is rfc3164; MINLEVEL raises info to debug', () => {
  assert.equal(lineFramer(target('stdout local0'), 7)('m'), 'm');
  // /dev/log falls back to stderr (Node.js has no unix datagram sockets), written as stderr's lines.
  assert.equal(lineFramer(target('/dev/log local0'), 7)('m'), 'm');
  assert.match(lineFramer(target('127.0.0.1 local0'), 7)('m'), /^<134>\w{3} [ \d]\d \d\d:\d\d:\d\d localhost haproxy\[7\]: m$/);
  assert.match(lineFramer(target('stdout format rfc5424 local0 info debug'), 7)('m'), /^<135>1 /);
  assert.equal(lineFramer({ ...target('stdout format local daemon'), tag: 'fetag' }, 7)('m').replace(/\w{3} [ \d]\d \d\d:\d\d:\d\d/, 'T'), '<30>T fetag[7]: m');
});

test('sample 1-2,4:4 sends lines 1, 2 and 4 of every 4, as HAProxy does', () => {
  const written: string[] = [];
  const shared = { stdout: () => ({ write: (s: string) => (written.push(s), true) }) } as unknown as SharedLogResources;
  const [sink] = createSinks([target('stdout format short sample 1-2,4:4 local0')], shared);
  for (let i = 1; i <= 8; i++) sink?.(`l${i}`);
  assert.deepEqual(written, ['<6>l1\n', '<6>l2\n', '<6>l4\n', '<6>l5\n', '<6>l6\n', '<6>l8\n']);
});

test('bad format, sample and len are config errors naming the problem', () => {
  const bad = (line: string): string => {
    const p = parseLogTarget(line.split(' '));
    assert.equal(p.ok, false, line);
    return p.ok ? '' : p.error;
  };
  assert.match(bad('stdout format json local0'), /unknown log format 'json'/);
  assert.match(bad('stdout sample 5:4 local0'), /outside 1\.\.4/);
  assert.match(bad('stdout sample x local0'), /RANGES:SIZE/);
  assert.match(bad('stdout len 10 local0'), /len/);
});
