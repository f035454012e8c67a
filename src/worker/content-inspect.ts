// `tcp-request inspect-delay` and `tcp-request content accept|reject`: the client's first bytes are
// held and the rules evaluated each time more arrive, as HAProxy does. A condition that fails on
// data that may still change (a partial ClientHello, `req.len`, `WAIT_END`) waits instead of
// failing; when the delay expires, the client shuts its side or the buffer is full (HAProxy's
// tune.bufsize less tune.maxrewrite, the same room a request head has here), the contents
// are final and a last evaluation decides. No rule matching accepts. The bytes read are put back on
// the socket, so the chosen server receives them intact.
import type { Socket } from 'node:net';
import type { Condition, TcpContentRule } from '../config/model.ts';
import { compilePredicate } from './rules.ts';
import type { ContentBuffer, SampleContext } from './sample.ts';

/** HAProxy's three-valued ACL result, as bits: PASS & MISS = MISS, MISS | FAIL = MISS. */
const FAIL = 0;
const MISS = 1;
const PASS = 3;
type Tri = typeof FAIL | typeof MISS | typeof PASS;

type CompiledTri = (ctx: SampleContext, buf: ContentBuffer) => Tri;
const compiled = new WeakMap<Condition, CompiledTri>();

function negate(r: Tri): Tri {
  return r === PASS ? FAIL : r === FAIL ? PASS : MISS;
}

/** A condition in three values: a predicate that fails on contents that may change is a MISS. */
export function compileTri(cond: Condition): CompiledTri {
  const groups = cond.anyOf.map((group) =>
    group.map((term) => {
      const preds = term.anyOf.map(compilePredicate);
      return { negate: term.negate, preds };
    }),
  );
  const any: CompiledTri = (ctx, buf) => {
    let res: Tri = FAIL;
    for (const group of groups) {
      let all: Tri = PASS;
      for (const term of group) {
        let t: Tri = FAIL;
        for (const p of term.preds) {
          buf.mayChange = false;
          if (p(ctx)) {
            t = PASS;
            break;
          }
          if (buf.mayChange && !buf.final) t = MISS;
        }
        all = (all & (term.negate ? negate(t) : t)) as Tri;
        if (all === FAIL) break;
      }
      res = (res | all) as Tri;
      if (res === PASS) break;
    }
    return res;
  };
  return cond.unless ? (ctx, buf) => negate(any(ctx, buf)) : any;
}

function evaluateTri(cond: Condition | undefined, ctx: SampleContext, buf: ContentBuffer): Tri {
  if (cond === undefined) return PASS;
  let fn = compiled.get(cond);
  if (fn === undefined) {
    fn = compileTri(cond);
    compiled.set(cond, fn);
  }
  return fn(ctx, buf);
}

/** The rules over the contents so far: a verdict, or `wait` for more data. */
export function contentVerdict(rules: readonly TcpContentRule[], ctx: SampleContext, buf: ContentBuffer): 'accept' | 'reject' | 'wait' {
  for (const rule of rules) {
    const r = evaluateTri(rule.cond, ctx, buf);
    if (r === MISS && !buf.final) return 'wait';
    if (r === PASS) return rule.action;
  }
  return 'accept';
}

/** `closed`: the socket went away while its bytes were held (nothing to count, nothing to close). */
export type InspectVerdict = 'accept' | 'reject' | 'closed';

/**
 * Hold the client's bytes until the rules decide (at most `delayMs`), then call `done` once with
 * the verdict; on accept the bytes are back on the socket, unread — or, when the client already
 * ended its side (a stream cannot take bytes back then), handed over as `rest` for the server.
 * `ctx.inspect` is the buffer while it runs and stays set with the contents for `use_backend`.
 */
export function inspectContent(sock: Socket, rules: readonly TcpContentRule[], limits: { delayMs: number; maxBytes: number }, ctx: SampleContext, done: (verdict: InspectVerdict, rest: Buffer | undefined) => void): void {
  const { delayMs, maxBytes } = limits;
  const buf: ContentBuffer = { data: Buffer.alloc(0), final: delayMs === 0, mayChange: false };
  ctx.inspect = buf;
  let finished = false;
  const finish = (verdict: InspectVerdict): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.removeListener('readable', onReadable);
    sock.removeListener('end', onFinal);
    sock.removeListener('close', onClose);
    let rest: Buffer | undefined;
    if (verdict === 'accept' && buf.data.length > 0) {
      if (sock.readableEnded) rest = buf.data;
      else sock.unshift(buf.data);
    }
    // After the stream settled from the `readable` listener's removal (as proxy-accept.ts).
    process.nextTick(done, verdict, rest);
  };
  const decide = (): void => {
    const v = contentVerdict(rules, ctx, buf);
    if (v !== 'wait') finish(v);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (!finished && (chunk = sock.read() as Buffer | null) !== null) {
      buf.data = buf.data.length === 0 ? chunk : Buffer.concat([buf.data, chunk]);
      if (buf.data.length >= maxBytes) buf.final = true;
      decide();
    }
  };
  const onFinal = (): void => {
    buf.final = true;
    decide();
  };
  const onClose = (): void => finish('closed');
  const timer = setTimeout(onFinal, delayMs);
  sock.on('readable', onReadable);
  sock.once('end', onFinal);
  sock.once('close', onClose);
  decide();
}
