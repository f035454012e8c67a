// Sample expressions at run time: what fetches read (SampleContext, which the HTTP Exchange and
// the TCP session implement), a sample compiled once per configuration into its fetch and
// converter chain, and log-format templates rendered for header values and `use_backend %[…]`.
import type { Socket } from 'node:net';
import type { Sample, SampleType, Template } from '../config/model.ts';
import type { RequestHead } from './http1/parse.ts';
import { compileConverter, type Convert } from './converters.ts';
import { compileFetch, type CompiledFetch, type Visit } from './fetches.ts';
import { toStr, type SampleValue } from './match.ts';

export type { SampleValue };

/** The connection a sample reads: client address, the socket (local address, TLS), session variables. */
export interface SampleConn {
  clientIp: string;
  clientPort: number;
  readonly socket: Socket;
  /** `sess.*` variables, created on first set. */
  vars?: Map<string, SampleValue>;
}

/**
 * What fetches read. `path`, `method` and `head.uri` are read when a rule runs, so rewrites made
 * by earlier rules are seen; `upstreamHeaders` is the request's header list as rules left it.
 * `resHeaders` is set (with `status`) while response rules run; it marks the response side.
 * `head` is undefined in tcp mode.
 */
export interface SampleContext {
  conn: SampleConn;
  ssl: boolean;
  head: RequestHead | undefined;
  method: string;
  path: string;
  upstreamHeaders: string[];
  status: number;
  resHeaders: string[] | undefined;
  /** `txn.*`, `req.*`, `res.*` variables, created on first set. */
  vars: Map<string, SampleValue> | undefined;
  /** Usable servers of a backend (`nbsrv`). */
  nbsrv(backend: string): number;
  /** The client's first bytes while `tcp-request content` rules inspect them (tcp mode only). */
  inspect?: ContentBuffer;
  /** The algorithm the response is being compressed with (`res.comp`, `res.comp_algo`); unset: not compressed. */
  compressing?: string;
}

/** What `req.len`, `req.payload`, `req.ssl_sni`, `req.ssl_hello_type` and `wait_end` read. */
export interface ContentBuffer {
  data: Buffer;
  /** The contents cannot change any more (inspect-delay expired, client closed, buffer full). */
  final: boolean;
  /** Set by a content fetch that could answer differently with more data (HAProxy's MAY_CHANGE). */
  mayChange: boolean;
}

/** Set a variable (`txn.x`, `req.x`, `res.x`, `sess.x`), as `set-var` does. */
export function setVar(ctx: SampleContext, name: string, value: SampleValue): void {
  if (name.startsWith('sess.')) (ctx.conn.vars ??= new Map()).set(name, value);
  else (ctx.vars ??= new Map()).set(name, value);
}

/** Read a variable; undefined when it was never set. */
export function getVar(ctx: SampleContext, name: string): SampleValue | undefined {
  return name.startsWith('sess.') ? ctx.conn.vars?.get(name) : ctx.vars?.get(name);
}

export interface CompiledSample {
  type: SampleType;
  /** The value, converters applied; undefined when the sample is absent or a converter failed. */
  value(ctx: SampleContext): SampleValue | undefined;
  /**
   * ACL use, built once per predicate: whether any occurrence (every header value…), converted,
   * passes `test`. The returned function allocates nothing per call.
   */
  any(test: (v: SampleValue) => boolean): (ctx: SampleContext) => boolean;
}

function chain(convs: readonly Convert[]): Convert | undefined {
  if (convs.length === 0) return undefined;
  if (convs.length === 1) return convs[0];
  return (v, ctx) => {
    let cur: SampleValue | undefined = v;
    for (let i = 0; i < convs.length && cur !== undefined; i++) cur = (convs[i] as Convert)(cur, ctx);
    return cur;
  };
}

const compiledSamples = new WeakMap<Sample, CompiledSample>();

/** Compile a checked sample (once: the result is kept with the sample object). */
export function compileSample(sample: Sample): CompiledSample {
  const known = compiledSamples.get(sample);
  if (known !== undefined) return known;
  const fetch: CompiledFetch = compileFetch(sample);
  const conv = chain(sample.convs.map(compileConverter));
  const compiled: CompiledSample = {
    type: sample.type,
    value:
      conv === undefined
        ? (ctx) => fetch.one(ctx)
        : (ctx) => {
            const v = fetch.one(ctx);
            return v === undefined ? undefined : conv(v, ctx);
          },
    any(test) {
      const visit: Visit =
        conv === undefined
          ? (v) => test(v)
          : (v, ctx) => {
              const out = conv(v, ctx);
              return out !== undefined && test(out);
            };
      return (ctx) => fetch.each(ctx, visit);
    },
  };
  compiledSamples.set(sample, compiled);
  return compiled;
}

/** The value of a sample as text (absent: empty, as HAProxy renders it in a header value). */
export function sampleText(sample: Sample, ctx: SampleContext): string {
  const v = compileSample(sample).value(ctx);
  return v === undefined ? '' : toStr(v);
}

/** Render a template against a request. */
export function renderTemplate(t: Template, ctx: SampleContext): string {
  const parts = t.parts;
  if (parts.length === 1 && typeof parts[0] === 'string') return parts[0];
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string | Sample;
    out += typeof p === 'string' ? p : sampleText(p, ctx);
  }
  return out;
}
