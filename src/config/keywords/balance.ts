// `balance`: the load-balancing algorithm of a backend.
import type { BalanceAlgorithm } from '../model.ts';
import type { ProxyKeyword } from './types.ts';
import { BACKEND_SIDE } from './types.ts';

const ALGORITHMS: readonly BalanceAlgorithm[] = ['roundrobin', 'static-rr', 'leastconn', 'source', 'first', 'random'];
/** HAProxy algorithms handoff does not implement yet: each is a form of persistence, so it is refused. */
const FALLBACK = ['uri', 'url_param', 'hdr', 'rdp-cookie', 'hash'];

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'balance',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const word = ctx.args[0];
      if (word === undefined) return ctx.error(`'balance' expects an algorithm: ${ALGORITHMS.join(', ')}`);
      // `random(2)` is "power of two choices"; handoff's random draws one server.
      const base = word.replace(/\(.*\)$/, '');
      const algo = ALGORITHMS.find((a) => a === base);
      if (algo !== undefined) {
        if (base !== word) ctx.warn(`'balance ${word}': the draw count is ignored; handoff uses plain random`);
        if (ctx.args.length > 1) ctx.warn(`extra arguments after 'balance ${word}' are ignored`);
        ctx.proxy.balance = algo;
        return;
      }
      if (FALLBACK.includes(base)) {
        return ctx.error(`'balance ${word}' is not supported by handoff yet (hash-based persistence); supported: ${ALGORITHMS.join(', ')}`);
      }
      ctx.error(`unknown balance algorithm '${word}' (expected ${ALGORITHMS.join(', ')})`);
    },
  },
  {
    name: 'hash-type',
    sections: BACKEND_SIDE,
    parse(ctx) {
      if (ctx.args[0] === undefined) return ctx.error("'hash-type' expects map-based or consistent");
      if (ctx.args[0] !== 'map-based') ctx.warn(`'hash-type ${ctx.args.join(' ')}' is ignored: handoff hashes with a map over the servers`);
    },
  },
];
