// The fetches of TCP content inspection (configuration.txt 7.3.5): `req.len`, `req.payload`,
// `req.ssl_hello_type`, `req.ssl_sni` and `wait_end` over the bytes `tcp-request inspect-delay`
// holds. Each one that could answer differently with more data says so (`mayChange`), which makes
// a failed condition wait rather than fail (content-inspect.ts). Without inspection (http mode),
// they find nothing.
import type { CompiledFetch } from './fetches.ts';
import type { SampleValue } from './match.ts';
import type { ContentBuffer, SampleContext } from './sample.ts';
import { helloSni, helloType, SHORT, type HelloAnswer } from './tls-hello.ts';
import { single } from './fetch-single.ts';

/** A parser's answer; `SHORT` marks the buffer as one that may change. */
function answer<T extends SampleValue>(buf: ContentBuffer, a: HelloAnswer<T>): T | undefined {
  if (a !== SHORT) return a;
  buf.mayChange = true;
  return undefined;
}

function payload(buf: ContentBuffer, offset: number, length: number): string | undefined {
  const end = length === 0 ? buf.data.length : offset + length;
  if (buf.data.length < end || buf.data.length < offset) {
    buf.mayChange = true;
    return undefined;
  }
  return buf.data.subarray(offset, end).toString('latin1');
}

type Builder = (args: readonly string[]) => CompiledFetch;

export const CONTENT_FETCHES: Record<string, Builder> = {
  // Always "may change" (HAProxy): `req.len gt 0` waits for a first byte.
  'req.len': () =>
    single((ctx) => {
      const b = ctx.inspect;
      if (b === undefined) return undefined;
      b.mayChange = true;
      return b.data.length;
    }),
  'req.payload': (a) =>
    ((offset, length) => single((ctx) => (ctx.inspect === undefined ? undefined : payload(ctx.inspect, offset, length))))(Number(a[0]), Number(a[1])),
  'req.ssl_hello_type': () => single((ctx) => (ctx.inspect === undefined ? undefined : answer(ctx.inspect, helloType(ctx.inspect.data)))),
  'req.ssl_sni': () => single((ctx) => (ctx.inspect === undefined ? undefined : answer(ctx.inspect, helloSni(ctx.inspect.data)))),
  wait_end: () =>
    single((ctx) => {
      const b = ctx.inspect;
      if (b === undefined || b.final) return true;
      b.mayChange = true;
      return undefined;
    }),
};
