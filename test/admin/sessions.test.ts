// `show sess` and `show errors` line shapes: HAProxy's human_time and date stamp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorsDate, humanTime, sessionLine } from '../../src/admin/commands/sessions.ts';
import { backendServer } from '../../src/admin/commands/dynamic.ts';

test("human_time: two units at most, '0s' for zero", () => {
  assert.deepEqual([0, 5, 65, 3600, 3725, 90_061, 86_400].map(humanTime), ['0s', '5s', '1m5s', '1h', '1h2m', '1d1h', '1d']);
});

test("show sess line: HAProxy's first fields", () => {
  assert.equal(
    sessionLine({ id: '0x1f', proto: 'tcpv4', src: '127.0.0.1:5000', frontend: 'www', backend: 'app', server: 's1', ageMs: 65_400 }),
    '0x1f: proto=tcpv4 src=127.0.0.1:5000 fe=www be=app srv=s1 age=1m5s',
  );
});

test("show errors date: [dd/Mon/yyyy:hh:mm:ss.mmm] in local time", () => {
  assert.equal(errorsDate(new Date(2026, 11, 2, 9, 4, 7, 5)), '[02/Dec/2026:09:04:07.005]');
});

test("BACKEND/SERVER splits at the first '/', else HAProxy's error", () => {
  assert.deepEqual(backendServer('be/s/1'), { backend: 'be', server: 's/1' });
  assert.throws(() => backendServer('be'), /Require 'backend\/server'\./);
  assert.throws(() => backendServer('be/'), /Require 'backend\/server'\./);
});
