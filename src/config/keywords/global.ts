// The `global` section: process-wide settings. handoff runs in the foreground under a service
// manager and never changes user or root directory, so those keywords are accepted with a warning.
import type { StatsSocket } from '../model.ts';
import { parseInteger, parseTime } from '../units.ts';
import type { GlobalKeyword, LineContext } from './types.ts';
import { applyUnixFileOption } from './unix-socket.ts';
import { oneArg } from './args.ts';
import { parseSocketAddress } from '../stats-sockets.ts';

function intKeyword(name: string, min: number, max: number, set: (ctx: LineContext, v: number) => void): GlobalKeyword {
  return {
    name,
    parse(ctx) {
      const v = oneArg(ctx);
      if (v === undefined) return;
      const n = parseInteger(v, min, max);
      if (!n.ok) return ctx.error(`'${name}' ${n.error}`);
      set(ctx, n.value);
    },
  };
}

function stringKeyword(name: string, set: (ctx: LineContext, v: string) => void): GlobalKeyword {
  return {
    name,
    parse(ctx) {
      const v = oneArg(ctx);
      if (v !== undefined) set(ctx, v);
    },
  };
}

const LEVELS = ['user', 'operator', 'admin'] as const;

function parseStatsSocket(ctx: LineContext): void {
  const [path, ...rest] = ctx.args;
  if (path === undefined) return ctx.error("'stats socket' expects a path, e.g. /run/handoff/admin.sock");
  const addr = parseSocketAddress(path);
  if (typeof addr === 'string') return ctx.error(`'stats socket ${path}': ${addr}`);
  const socket: StatsSocket = { path: path.replace(/^unix@/, ''), level: 'user', exposeFdListeners: false, loc: ctx.loc };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i] as string;
    const value = rest[i + 1];
    switch (w) {
      case 'mode': {
        if (value === undefined || !/^[0-7]{1,4}$/.test(value)) return ctx.error(`'stats socket … mode' expects an octal mode such as 660, got '${value ?? ''}'`);
        socket.mode = parseInt(value, 8);
        i++;
        break;
      }
      case 'level': {
        const level = LEVELS.find((l) => l === value);
        if (level === undefined) return ctx.error(`'stats socket … level' expects user, operator or admin, got '${value ?? ''}'`);
        socket.level = level;
        i++;
        break;
      }
      case 'expose-fd': {
        if (value !== 'listeners') return ctx.error("'stats socket … expose-fd' only accepts 'listeners'");
        // The master always hands listeners to new workers; the flag is recorded for `show` output.
        socket.exposeFdListeners = true;
        i++;
        break;
      }
      case 'maxconn':
      case 'backlog': {
        const n = parseInteger(value ?? '', w === 'maxconn' ? 1 : 0, 100_000);
        if (!n.ok) return ctx.error(`'stats socket … ${w}' ${n.error}`);
        socket[w] = n.value;
        i++;
        break;
      }
      case 'user':
      case 'group':
      case 'uid':
      case 'gid': {
        if (addr.kind !== 'unix') return ctx.error(`'stats socket … ${w}' applies to a unix socket, not to ${path}`);
        const problem = applyUnixFileOption(socket, w, value);
        if (problem !== null && problem !== undefined) return ctx.error(`'stats socket' ${problem}`);
        i++;
        break;
      }
      case 'name':
        if (value === undefined) return ctx.error(`'stats socket … ${w}' expects a value`);
        i++;
        break;
      default:
        ctx.warn(`unknown 'stats socket' option '${w}', ignored`);
    }
  }
  const dup = ctx.global.config.statsSockets.findIndex((s) => s.path === socket.path);
  if (dup !== -1) {
    const prev = ctx.global.config.statsSockets[dup];
    ctx.warn(`stats socket '${socket.path}' is already declared at ${prev?.loc.file}:${prev?.loc.line}; this declaration replaces it`);
    ctx.global.config.statsSockets.splice(dup, 1);
  }
  ctx.global.config.statsSockets.push(socket);
}

const IGNORED_GLOBAL = [
  'master-worker', 'description', 'node', 'spread-checks', 'quiet', 'noepoll', 'nopoll', 'nosplice',
  'nogetaddrinfo', 'noreuseport', 'nbcores',
  'localpeer', 'insecure-fork-wanted', 'set-dumpable',
  'tune.ssl.cachesize', 'tune.ssl.lifetime', 'tune.ssl.maxrecord',
  'tune.maxaccept', 'tune.maxpollevents',
  'tune.rcvbuf.client', 'tune.rcvbuf.server', 'tune.sndbuf.client', 'tune.sndbuf.server',
  'expose-experimental-directives', 'busy-polling', 'max-spread-checks',
];

const WARN_GLOBAL: Record<string, string> = {
  'cpu-map': 'is ignored: handoff leaves CPU placement to the kernel',
  'ulimit-n': 'is ignored: raise the file limit with LimitNOFILE= in the systemd unit',
  'stats bind-process': 'is ignored',
  'ssl-dh-param-file': 'is ignored: Node.js negotiates ECDHE or automatic DH parameters',
  'h1-case-adjust': 'is ignored',
};

/** `unix-bind [prefix P] [mode M] [user U|uid N] [group G|gid N]`: defaults for the unix-socket
 * binds read after it (each bind's own options win). Not for `stats socket`s, as in HAProxy. */
function parseUnixBind(ctx: LineContext): void {
  const defaults: NonNullable<LineContext['global']['unixBind']> = {};
  const words = ctx.args;
  if (words.length === 0) return ctx.error("'unix-bind' expects at least one of prefix, mode, user, uid, group, gid");
  for (let i = 0; i < words.length; i += 2) {
    const w = words[i] as string;
    const value = words[i + 1];
    if (w === 'prefix') {
      if (value === undefined) return ctx.error("'unix-bind prefix' expects a path prefix");
      defaults.prefix = value;
      continue;
    }
    const problem = applyUnixFileOption(defaults, w, value);
    if (problem === undefined) return ctx.error(`'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' and 'group' options, not '${w}'`);
    if (problem !== null) return ctx.error(`'unix-bind' ${problem}`);
  }
  ctx.global.unixBind = defaults;
}

export const globalKeywords: GlobalKeyword[] = [
  intKeyword('maxconn', 1, 10_000_000, (ctx, v) => (ctx.global.config.maxconn = v)),
  intKeyword('nbthread', 1, 4096, (ctx, v) => (ctx.global.config.workers = v)),
  intKeyword('nbproc', 1, 4096, (ctx, v) => (ctx.global.config.workers = v)),
  {
    name: 'hard-stop-after',
    parse(ctx) {
      const v = oneArg(ctx);
      if (v === undefined) return;
      const t = parseTime(v);
      if (!t.ok) return ctx.error(`'hard-stop-after': ${t.error}`);
      ctx.global.config.hardStopAfter = t.value;
    },
  },
  stringKeyword('pidfile', (ctx, v) => (ctx.global.config.pidfile = v)),
  stringKeyword('ca-base', (ctx, v) => (ctx.global.config.caBase = v)),
  stringKeyword('crt-base', (ctx, v) => (ctx.global.config.crtBase = v)),
  // Applied by the master to the workers it forks when it runs as root (see src/master/privileges.ts).
  stringKeyword('user', (ctx, v) => (ctx.global.config.user = v)),
  stringKeyword('group', (ctx, v) => (ctx.global.config.group = v)),
  intKeyword('uid', 0, 2 ** 31 - 1, (ctx, v) => (ctx.global.config.user = String(v))),
  intKeyword('gid', 0, 2 ** 31 - 1, (ctx, v) => (ctx.global.config.group = String(v))),
  {
    ...stringKeyword('chroot', (ctx, v) => {
      ctx.global.config.chroot = v;
      ctx.warn(`'chroot ${v}' is not implemented by handoff; the process keeps its root directory`);
    }),
    status: { kind: 'warned', why: 'not implemented: the process keeps its root directory (use systemd RootDirectory=)' },
  },
  {
    name: 'default-path',
    parse(ctx) {
      const [kind, path, ...extra] = ctx.args;
      if (kind === 'origin') {
        if (path === undefined || extra.length > 0) return ctx.error("'default-path origin' expects one directory");
        ctx.global.defaultPath = { kind, path };
      } else if ((kind === 'current' || kind === 'config' || kind === 'parent') && path === undefined) ctx.global.defaultPath = { kind };
      else return ctx.error(`'default-path' expects current, config, parent or origin DIR, got '${ctx.args.join(' ')}'`);
    },
  },
  { name: 'zero-warning', parse: (ctx) => void (ctx.global.config.zeroWarning = true) },
  {
    name: 'daemon',
    status: { kind: 'warned', why: 'handoff runs in the foreground; -D on the HAProxy command line detaches' },
    parse(ctx) {
      ctx.global.config.daemon = true;
      ctx.warn("'daemon' is ignored: handoff runs in the foreground (let systemd or another supervisor manage it)");
    },
  },
  {
    ...intKeyword('tune.ssl.default-dh-param', 1024, 16384, (ctx, v) => {
      ctx.global.config.dhParamBits = v;
      ctx.warn("'tune.ssl.default-dh-param' is accepted but has no effect: Node.js uses ECDHE or automatic DH parameters");
    }),
    status: { kind: 'warned', why: 'no effect: Node.js uses ECDHE or automatic DH parameters' },
  },
  // What a request head may take: tune.bufsize minus tune.maxrewrite, at most tune.http.maxhdr lines.
  intKeyword('tune.bufsize', 1024, 1 << 24, (ctx, v) => (ctx.global.config.bufsize = v)),
  intKeyword('tune.maxrewrite', 0, 1 << 23, (ctx, v) => (ctx.global.config.maxrewrite = v)),
  intKeyword('tune.http.maxhdr', 1, 32767, (ctx, v) => (ctx.global.config.maxHeaders = v)),
  { name: 'stats socket', parse: parseStatsSocket },
  { name: 'unix-bind', parse: parseUnixBind },
  // Per socket in handoff (HAProxy shares it between every stats socket): a flood of one socket
  // does not lock out another.
  intKeyword('stats maxconn', 1, 100_000, (ctx, v) => (ctx.global.config.statsMaxconn = v)),
  {
    name: 'stats timeout',
    parse(ctx) {
      const v = oneArg(ctx);
      if (v === undefined) return;
      const t = parseTime(v);
      if (!t.ok) return ctx.error(`'stats timeout': ${t.error}`);
      ctx.global.config.statsTimeout = t.value;
    },
  },
  // Applied while the file is read, so that "${VAR}" on later lines sees them (parse.ts).
  ...['setenv', 'presetenv', 'unsetenv', 'resetenv'].map((name): GlobalKeyword => ({ name, parse() {} })),
  ...IGNORED_GLOBAL.map((name): GlobalKeyword => ({ name, status: { kind: 'ignored' }, parse() {} })),
  ...Object.entries(WARN_GLOBAL).map(([name, why]): GlobalKeyword => ({ name, status: { kind: 'warned', why }, parse: (ctx) => ctx.warn(`'${name}' ${why}`) })),
];
