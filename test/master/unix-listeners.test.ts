// The master's unix-socket listeners: bound under a temporary name, renamed over the path once a
// generation accepts (publish), kept across acquisitions, removed when released only if still ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createListenerRegistry } from '../../src/master/listeners.ts';
import { temporaryName } from '../../src/master/unix-listener.ts';
import type { UnixBind } from '../../src/config/model.ts';

const dir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-ul-'));
const unixBind = (file: string, extra: Partial<UnixBind['unix']> = {}): UnixBind => ({ key: `unix@${file}`, unix: { path: file, id: 1, ...extra }, loc: { file: 'test.cfg', line: 9 } });
const modeOf = (file: string): number => fs.statSync(file).mode & 0o7777;
const isSocket = (file: string): boolean => fs.statSync(file, { throwIfNoEntry: false })?.isSocket() === true;

test('a unix listener is bound under a temporary name with its mode; publish renames it over the path', () => {
  const d = dir();
  const file = path.join(d, 'h.sock');
  const reg = createListenerRegistry();
  assert.deepEqual(reg.acquire([unixBind(file, { mode: 0o600 })]), []);
  assert.ok(isSocket(temporaryName(file)), 'bound under the temporary name');
  assert.equal(fs.existsSync(file), false, 'nothing at the path until a generation accepts');
  assert.equal(modeOf(temporaryName(file)), 0o600);
  assert.deepEqual(reg.publish(), []);
  assert.ok(isSocket(file));
  assert.equal(modeOf(file), 0o600);
  assert.equal(fs.existsSync(temporaryName(file)), false);
  assert.equal(reg.get(`unix@${file}`)?.port, 0);
  reg.closeAll();
  assert.equal(fs.existsSync(file), false, 'removed when handoff stops');
  fs.rmSync(d, { recursive: true });
});

test('publish replaces a leftover file or socket at the path (as HAProxy renames over it)', () => {
  const d = dir();
  const file = path.join(d, 'h.sock');
  fs.writeFileSync(file, 'stale');
  const reg = createListenerRegistry();
  reg.acquire([unixBind(file)]);
  assert.deepEqual(reg.publish(), []);
  assert.ok(isSocket(file));
  reg.closeAll();
  fs.rmSync(d, { recursive: true });
});

test('the same key is kept across acquisitions: same socket, a new mode applied at publish', () => {
  const d = dir();
  const file = path.join(d, 'h.sock');
  const reg = createListenerRegistry();
  reg.acquire([unixBind(file, { mode: 0o600 })]);
  reg.publish();
  const first = reg.get(`unix@${file}`);
  const ino = fs.statSync(file).ino;
  assert.deepEqual(reg.acquire([unixBind(file, { mode: 0o660 })]), []);
  assert.equal(reg.get(`unix@${file}`), first, 'same socket, not a new one');
  assert.deepEqual(reg.publish(), []);
  assert.equal(fs.statSync(file).ino, ino, 'not rebound');
  assert.equal(modeOf(file), 0o660);
  reg.closeAll();
  fs.rmSync(d, { recursive: true });
});

test('release removes the socket file of a listener no longer configured, and keeps the others', () => {
  const d = dir();
  const a = path.join(d, 'a.sock');
  const b = path.join(d, 'b.sock');
  const reg = createListenerRegistry();
  reg.acquire([unixBind(a), unixBind(b)]);
  reg.publish();
  assert.deepEqual(reg.release(new Set([`unix@${a}`])), [`unix@${b}`]);
  assert.ok(isSocket(a));
  assert.equal(fs.existsSync(b), false);
  reg.closeAll();
  fs.rmSync(d, { recursive: true });
});

test('a path another instance took over (a -sf successor renamed its socket over it) is left alone', async () => {
  const d = dir();
  const file = path.join(d, 'h.sock');
  const reg = createListenerRegistry();
  reg.acquire([unixBind(file)]);
  reg.publish();
  const successor = net.createServer();
  await new Promise<void>((r) => successor.listen(path.join(d, 'next.tmp'), r));
  fs.renameSync(path.join(d, 'next.tmp'), file);
  reg.closeAll();
  assert.ok(isSocket(file), "the successor's socket is still there");
  await new Promise((r) => successor.close(r));
  fs.rmSync(d, { recursive: true });
});

test('a released listener that was never published leaves nothing behind', () => {
  const d = dir();
  const file = path.join(d, 'h.sock');
  const reg = createListenerRegistry();
  reg.acquire([unixBind(file)]);
  reg.release(new Set());
  assert.deepEqual(fs.readdirSync(d), []);
  fs.rmSync(d, { recursive: true });
});

test('a path in a missing directory is an error naming the bind, in HAProxy words, and nothing new is kept', () => {
  const d = dir();
  const reg = createListenerRegistry();
  const ok = path.join(d, 'ok.sock');
  const errors = reg.acquire([unixBind(ok), unixBind(path.join(d, 'nope', 'h.sock'))]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.message, `cannot bind UNIX socket (No such file or directory) [${path.join(d, 'nope', 'h.sock')}]`);
  assert.equal(errors[0]?.bind.loc.line, 9);
  assert.deepEqual(reg.keys(), [], 'all-or-nothing');
  assert.deepEqual(fs.readdirSync(d), [], 'the other temporary socket is gone too');
  fs.rmSync(d, { recursive: true });
});

test('an owner that cannot be set is an error (HAProxy: cannot change UNIX socket ownership)', { skip: process.getuid?.() === 0 ? 'running as root: chown succeeds' : false }, () => {
  const d = dir();
  const reg = createListenerRegistry();
  const file = path.join(d, 'h.sock');
  const errors = reg.acquire([unixBind(file, { uid: 0 })]);
  assert.match(errors[0]?.message ?? '', /cannot change UNIX socket ownership \(Operation not permitted\)/);
  assert.deepEqual(fs.readdirSync(d), []);
  fs.rmSync(d, { recursive: true });
});

test('owner and group are applied to the file (as root)', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, () => {
  const d = dir();
  const reg = createListenerRegistry();
  const file = path.join(d, 'h.sock');
  assert.deepEqual(reg.acquire([unixBind(file, { uid: 65534, gid: 65534, mode: 0o640 })]), []);
  reg.publish();
  const st = fs.statSync(file);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [65534, 65534, 0o640]);
  reg.closeAll();
  fs.rmSync(d, { recursive: true });
});
