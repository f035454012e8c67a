// HTTP response compression: `compression algo|type|offload`, `filter compression` and the global
// `tune.comp.maxlevel`. The worker side is src/worker/compression.ts (negotiation) and
// compress-stream.ts (zlib on the response body).
import type { Compression, CompressionAlgo } from '../model.ts';
import { parseInteger } from '../units.ts';
import type { GlobalKeyword, ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES } from './types.ts';

const ALGOS: readonly CompressionAlgo[] = ['identity', 'gzip', 'deflate', 'raw-deflate'];

function settings(ctx: ProxyContext): Compression {
  return (ctx.proxy.compression ??= { algos: [], types: [], offload: false, level: 1 });
}

/** Each word is added in front, as HAProxy's list: with `algo gzip deflate`, `*` picks deflate. */
function parseCompression(ctx: ProxyContext): void {
  const [what, ...words] = ctx.args;
  if (what === 'offload') {
    if (words.length > 0) return ctx.error("'compression offload' takes no argument");
    if (ctx.proxy.kind === 'defaults') return ctx.warn("'compression offload' ignored in 'defaults' section");
    settings(ctx).offload = true;
    return;
  }
  if (what !== 'algo' && what !== 'type') return ctx.error("'compression' expects 'algo', 'type' or 'offload'");
  if (words.length === 0) return ctx.error(`'compression ${what}' expects ${what === 'algo' ? `at least one of ${ALGOS.join(', ')}` : 'at least one MIME type, e.g. text/html'}`);
  if (what === 'algo') {
    const bad = words.find((w) => !(ALGOS as readonly string[]).includes(w));
    if (bad !== undefined) return ctx.error(`'compression algo': '${bad}' is not a supported algorithm (supported: ${ALGOS.join(', ')})`);
    const c = settings(ctx);
    for (const w of words) c.algos.unshift(w as CompressionAlgo);
    return;
  }
  const c = settings(ctx);
  for (const w of words) c.types.unshift(w);
}

/** `filter compression` is what `compression` implies; other filters are not implemented. */
function parseFilter(ctx: ProxyContext): void {
  const [name, ...extra] = ctx.args;
  if (name === 'compression' && extra.length === 0) return;
  ctx.error(`'filter ${ctx.args.join(' ')}' is not supported by handoff (only 'filter compression'): refusing to run without it`);
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'compression', sections: ALL_PROXIES, parse: parseCompression },
  { name: 'filter', sections: ['frontend', 'backend', 'listen'], status: { kind: 'refused', why: "filters other than 'compression' (SPOE, cache, bandwidth limits, trace)" }, parse: parseFilter },
];

export const globalKeywords: GlobalKeyword[] = [
  {
    name: 'tune.comp.maxlevel',
    parse(ctx) {
      const n = parseInteger(ctx.args[0], 1, 9);
      if (!n.ok || ctx.args.length !== 1) return ctx.error(`'tune.comp.maxlevel' expects a level between 1 and 9`);
      ctx.global.config.compLevel = n.value;
    },
  },
];
