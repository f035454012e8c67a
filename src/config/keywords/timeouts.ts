// `timeout …`: every duration a proxy enforces, in milliseconds.
import type { Timeouts } from '../model.ts';
import { parseTime } from '../units.ts';
import type { ProxyKind } from '../draft.ts';
import type { ProxyKeyword } from './types.ts';
import { ALL_PROXIES, BACKEND_SIDE, FRONTEND_SIDE } from './types.ts';

const TIMEOUTS: { name: string; field: keyof Timeouts; sections: readonly ProxyKind[] }[] = [
  { name: 'connect', field: 'connect', sections: BACKEND_SIDE },
  { name: 'client', field: 'client', sections: FRONTEND_SIDE },
  { name: 'server', field: 'server', sections: BACKEND_SIDE },
  { name: 'http-request', field: 'httpRequest', sections: FRONTEND_SIDE },
  { name: 'http-keep-alive', field: 'httpKeepAlive', sections: ALL_PROXIES },
  { name: 'tunnel', field: 'tunnel', sections: BACKEND_SIDE },
  { name: 'queue', field: 'queue', sections: BACKEND_SIDE },
  { name: 'check', field: 'check', sections: BACKEND_SIDE },
  { name: 'tarpit', field: 'tarpit', sections: ALL_PROXIES },
];

const IGNORED = ['client-fin', 'server-fin'];

export const proxyKeywords: ProxyKeyword[] = [
  ...TIMEOUTS.map(
    (t): ProxyKeyword => ({
      name: `timeout ${t.name}`,
      sections: t.sections,
      parse(ctx) {
        if (ctx.args.length !== 1) return ctx.error(`'timeout ${t.name}' expects one time value, e.g. 'timeout ${t.name} 5s'`);
        const v = parseTime(ctx.args[0]);
        if (!v.ok) return ctx.error(`'timeout ${t.name}': ${v.error}`);
        ctx.proxy.timeouts[t.field] = v.value;
      },
    }),
  ),
  ...IGNORED.map(
    (name): ProxyKeyword => ({
      name: `timeout ${name}`,
      sections: ALL_PROXIES,
      parse(ctx) {
        const v = parseTime(ctx.args[0]);
        if (!v.ok) return ctx.error(`'timeout ${name}': ${v.error}`);
        ctx.warn(`'timeout ${name}' is ignored by handoff`);
      },
    }),
  ),
];
