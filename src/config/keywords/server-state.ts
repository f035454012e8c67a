// The server state file's keywords (HAProxy's `server-state-file` & co.): where the master reads
// the servers' saved state when it loads a configuration (src/master/server-state-file.ts).
import { BACKEND_ONLY, BACKEND_SIDE, type ProxyKeyword } from './types.ts';
import type { GlobalKeyword } from './types.ts';
import { oneArg } from './args.ts';

export const globalKeywords: GlobalKeyword[] = [
  {
    name: 'server-state-file',
    parse(ctx) {
      const v = oneArg(ctx);
      if (v !== undefined) ctx.global.config.serverStateFile = v;
    },
  },
  {
    name: 'server-state-base',
    parse(ctx) {
      const v = oneArg(ctx);
      if (v !== undefined) ctx.global.config.serverStateBase = v;
    },
  },
];

export const proxyKeywords: ProxyKeyword[] = [
  {
    name: 'load-server-state-from-file',
    sections: BACKEND_SIDE,
    parse(ctx) {
      const v = ctx.args[0];
      if (v !== 'global' && v !== 'local' && v !== 'none') return ctx.error(`'${ctx.keyword}' expects 'global', 'local' or 'none'. Got '${v ?? ''}'`);
      ctx.proxy.loadServerState = v;
    },
  },
  {
    name: 'server-state-file-name',
    sections: BACKEND_ONLY,
    parse(ctx) {
      const v = ctx.args[0];
      if (ctx.args.length > 1) return ctx.error(`'${ctx.keyword}' expects at most one argument, a file name or 'use-backend-name'`);
      // Absent or `use-backend-name`: the backend's name.
      if (v === undefined || v === 'use-backend-name') delete ctx.proxy.serverStateFileName;
      else ctx.proxy.serverStateFileName = v;
    },
  },
];
