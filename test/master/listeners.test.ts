import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createListenerRegistry } from '../../src/master/listeners.ts';
import type { Bind } from '../../src/config/model.ts';

const bind = (port: number, host = '127.0.0.1'): Bind => ({ key: `${host}:${port}`, host, port, loc: { file: 'test.cfg', line: 7 } });

test('a listener is bound once and kept across acquisitions of the same key', () => {
  const reg = createListenerRegistry();
  assert.deepEqual(reg.acquire([bind(0)]), []);
  const first = reg.get('127.0.0.1:0');
  assert.ok(first && first.port > 0);
  assert.deepEqual(reg.acquire([bind(0)]), []);
  assert.equal(reg.get('127.0.0.1:0'), first, 'same socket, not a new one');
  reg.closeAll();
});

test('release closes only the sockets no longer named', () => {
  const reg = createListenerRegistry();
  reg.acquire([bind(0), bind(0, '127.0.0.2')]);
  assert.deepEqual(reg.release(new Set(['127.0.0.1:0'])), ['127.0.0.2:0']);
  assert.deepEqual(reg.keys(), ['127.0.0.1:0']);
  reg.closeAll();
});

test('an address in use is an error naming the bind, and nothing new is kept', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const reg = createListenerRegistry();
  const errors = reg.acquire([bind(0, '127.0.0.3'), bind(port)]);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', new RegExp(`cannot bind 127.0.0.1:${port}: EADDRINUSE`));
  assert.equal(errors[0]?.bind.loc.line, 7);
  assert.deepEqual(reg.keys(), [], 'all-or-nothing');
  blocker.close();
});
