// TCP content inspection without the binary: the ClientHello parser behind req.ssl_sni and
// req.ssl_hello_type (a real hello from Node's TLS client, whole and cut short), and HAProxy's
// three-valued rule evaluation: a condition that fails on contents that may still change waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { helloSni, helloType, SHORT } from '../../src/worker/tls-hello.ts';
import { contentVerdict } from '../../src/worker/content-inspect.ts';
import type { ContentBuffer, SampleContext } from '../../src/worker/sample.ts';
import { parseCondition } from '../../src/config/condition.ts';
import type { TcpContentRule } from '../../src/config/model.ts';

/** The first bytes Node's TLS client sends for `servername`. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

test('req.ssl_sni and req.ssl_hello_type read a ClientHello; a partial one may change; other bytes are no hello', async () => {
  const h = await clientHello('a.example');
  assert.equal(helloSni(h), 'a.example');
  assert.equal(helloType(h), 1);
  for (const n of [0, 1, 4, 5, 8, 40, h.length - 1]) {
    assert.equal(helloSni(h.subarray(0, n)), SHORT, `${n} bytes`);
    assert.equal(helloType(h.subarray(0, n)), SHORT, `${n} bytes`);
  }
  assert.equal(helloSni(await clientHello(undefined)), undefined, 'no SNI extension');
  assert.equal(helloSni(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
  assert.equal(helloType(Buffer.from('GET / HTTP/1.1\r\n\r\n')), undefined);
});

function rule(action: 'accept' | 'reject', words: string[]): TcpContentRule {
  const c = parseCondition(words[0] as 'if' | 'unless', words.slice(1), {});
  assert.ok(c.ok, JSON.stringify(c));
  return { action, cond: c.value.cond, loc: { file: 't.cfg', line: 1 } };
}

function ctxFor(data: Buffer, final: boolean): { ctx: SampleContext; buf: ContentBuffer } {
  const buf: ContentBuffer = { data, final, mayChange: false };
  const ctx = { conn: { clientIp: '127.0.0.1', clientPort: 1, socket: new net.Socket() }, ssl: false, head: undefined, method: '', path: '', upstreamHeaders: [], status: 0, resHeaders: undefined, vars: undefined, nbsrv: () => 0, inspect: buf } satisfies SampleContext;
  return { ctx, buf };
}

test('rules wait on contents that may change, decide on final ones, and accept when none matches', async () => {
  const h = await clientHello('b.example');
  const rules = [rule('reject', ['if', '{', 'req.len', 'gt', '0', '}', '!{', 'req.ssl_hello_type', '1', '}']), rule('accept', ['if', '{', 'req_ssl_hello_type', '1', '}'])];
  const v = (data: Buffer, final: boolean): string => {
    const { ctx, buf } = ctxFor(data, final);
    return contentVerdict(rules, ctx, buf);
  };
  assert.equal(v(Buffer.alloc(0), false), 'wait');
  assert.equal(v(h.subarray(0, 20), false), 'wait', 'a partial hello');
  assert.equal(v(h, false), 'accept');
  assert.equal(v(Buffer.from('HELLO'), false), 'reject');
  assert.equal(v(Buffer.alloc(0), true), 'accept', 'nothing came before the delay: no rule matches');
  assert.equal(v(h.subarray(0, 20), true), 'reject', 'a hello cut short at the end is not one');
  const waitEnd = [rule('accept', ['if', 'WAIT_END'])];
  const { ctx, buf } = ctxFor(Buffer.from('x'), false);
  assert.equal(contentVerdict(waitEnd, ctx, buf), 'wait');
  buf.final = true;
  assert.equal(contentVerdict(waitEnd, ctx, buf), 'accept');
  const unless = [rule('reject', ['unless', '{', 'req.payload(0,4)', '-m', 'str', 'PING', '}'])];
  const short = ctxFor(Buffer.from('PI'), false);
  assert.equal(contentVerdict(unless, short.ctx, short.buf), 'wait', 'unless of a MISS is a MISS');
  const pong = ctxFor(Buffer.from('PONG'), false);
  assert.equal(contentVerdict(unless, pong.ctx, pong.buf), 'reject');
});
