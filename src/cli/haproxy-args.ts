// HAProxy 2.6's command line (`haproxy -f CFG -c -q`, `haproxy -Ws -f CFG -p PIDFILE …`) mapped onto
// handoff's own commands, so a unit or a script written for haproxy runs with `handoff` in its
// place. Pure: argv in, the command to run (and the argv of `handoff check` / `handoff run`) out.

/** What `haproxy …` asks for, in handoff's terms. */
export type HaproxyInvocation =
  | { mode: 'version'; verbose: boolean }
  | { mode: 'check'; argv: string[]; chdir?: string; notes: string[] }
  | { mode: 'run'; argv: string[]; chdir?: string; daemon: boolean; notes: string[] };

/** A usage error on the HAProxy command line; HAProxy exits 1 on those, and so do we. */
export class HaproxyArgsError extends Error {
  override name = 'HaproxyArgsError';
}

export const HAPROXY_USAGE_EXIT = 1;

export const haproxyUsage = `HAProxy's command line: handoff [-f <cfgfile|cfgdir>]* [-c] [-q] [-vv] [-W|-Ws] [-D] [-d|-db]
        [-p <pidfile>] [-S <socket>] [-x <socket>] [-n <maxconn>] [-N <maxpconn>]
        [-C <dir>] [-L <name>] [-sf|-st <pid>*] [-- <cfgfile>*]
  -f FILE|DIR  configuration file, or a directory's *.cfg files in lexical order (repeatable)
  -c           check mode: validate and exit (0 valid, 1 errors, 2 no listener); -q: errors only
  -v, -vv      versions (handoff, Node.js, OpenSSL, llhttp); -vv adds the features built in
  -W, -Ws      master-worker (-Ws: systemd notify): what handoff always does
  -D           daemon: detach once serving; the pidfile's first line is the master's pid
  -d, -db      stay in the foreground (the default); -d also shows notices
  -p PIDFILE   write the master's pid once serving        -S SOCKET  master socket
  -x SOCKET    accepted, not needed: the master keeps the listeners across reloads
  -n N, -N N   global maxconn; maxconn of frontends that set none
  -C DIR       change to DIR before loading files         -L NAME    peer name (no peers: no effect)
  -sf/-st PID* legacy takeover of older instances (see 'handoff run --help')
  -m MEGS      refused: handoff cannot cap its memory exactly (use systemd MemoryMax=)
`;

/** Options that take one value, and what each one's value is. */
const VALUED: Record<string, string> = {
  '-f': 'a configuration file or directory',
  '-p': 'a pid file',
  '-S': 'a master socket path',
  '-x': 'a unix socket path',
  '-n': 'a maximum number of connections',
  '-N': 'a per-proxy maximum number of connections',
  '-C': 'a directory',
  '-L': 'a local peer name',
  '-m': 'a memory limit in MB',
};

function positiveInt(option: string, value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new HaproxyArgsError(`option '${option}' expects a positive integer, got '${value}'`);
  return value;
}

/** `-S <bind>[,<bind options>…]`: a unix path (optionally `unix@`); bind options are not supported. */
function masterSocketPath(value: string): string {
  const [bind = '', ...options] = value.split(',');
  if (options.length > 0) throw new HaproxyArgsError(`option '-S': bind options ('${options.join(',')}') are not supported; the master socket is always mode 600, level admin`);
  const p = bind.startsWith('unix@') ? bind.slice(5) : bind;
  if (/^[a-z0-9]+@/.test(p) || p === '') throw new HaproxyArgsError(`option '-S': only a unix socket path is supported, got '${value}'`);
  return p;
}

export function parseHaproxyArgs(argv: readonly string[]): HaproxyInvocation {
  const files: string[] = [];
  let check = false;
  let quiet = false;
  let verbose = false;
  let daemon = false;
  let foreground = false;
  let pidFile: string | undefined;
  let socket: string | undefined;
  let maxconn: string | undefined;
  let proxyMaxconn: string | undefined;
  let chdir: string | undefined;
  let legacy: { flag: '-sf' | '-st'; pids: string[] } | undefined;
  const notes: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-v' || arg === '-vv') return { mode: 'version', verbose: arg === '-vv' };
    if (arg === '-sf' || arg === '-st') {
      const pids: string[] = [];
      while (i + 1 < argv.length && /^\d+$/.test(argv[i + 1] as string)) pids.push(argv[++i] as string);
      // As HAProxy: `-sf $(cat pidfile)` with no old instance is not an error.
      legacy = pids.length > 0 ? { flag: arg, pids } : undefined;
      continue;
    }
    const what = VALUED[arg];
    if (what !== undefined) {
      const value = argv[++i];
      if (value === undefined || value === '') throw new HaproxyArgsError(`option '${arg}' expects ${what}`);
      if (arg === '-f') files.push(value);
      else if (arg === '-p') pidFile = value;
      else if (arg === '-S') socket = masterSocketPath(value);
      else if (arg === '-n') maxconn = positiveInt(arg, value);
      else if (arg === '-N') proxyMaxconn = positiveInt(arg, value);
      else if (arg === '-C') chdir = value;
      else if (arg === '-L') notes.push(`-L ${value}: handoff has no peers section; the local peer name has no effect`);
      else if (arg === '-m') throw new HaproxyArgsError(`option '-m' is not supported: handoff cannot limit its memory to exactly ${value} MB (a master and N worker processes); use systemd's MemoryMax= instead`);
      // -x: the socket an old haproxy passes its listeners over; the master keeps them itself.
      continue;
    }
    switch (arg) {
      case '-c':
        check = true;
        break;
      case '-q':
        quiet = true;
        break;
      case '-V':
        verbose = true;
        break;
      case '-W':
      case '-Ws':
        break; // always master-worker; readiness goes to systemd whenever NOTIFY_SOCKET is set
      case '-D':
        daemon = true;
        break;
      case '-d':
        foreground = true;
        verbose = true;
        break;
      case '-db':
        foreground = true;
        break;
      default:
        throw new HaproxyArgsError(arg.startsWith('-') ? `unknown option '${arg}'` : `unexpected argument '${arg}' (configuration files go after -f, or after --)`);
    }
  }

  if (files.length === 0) throw new HaproxyArgsError('no configuration file: give -f FILE|DIR');
  const fileArgs = files.flatMap((f) => ['-f', f]);
  const q = quiet && !verbose ? ['-q'] : [];
  const dir = chdir !== undefined ? { chdir } : {};
  if (check) return { mode: 'check', argv: [...fileArgs, ...q], ...dir, notes };
  return {
    mode: 'run',
    argv: [
      ...fileArgs,
      ...(pidFile !== undefined ? ['-p', pidFile] : []),
      ...(socket !== undefined ? ['-S', socket] : []),
      ...(maxconn !== undefined ? ['--maxconn', maxconn] : []),
      ...(proxyMaxconn !== undefined ? ['--default-maxconn', proxyMaxconn] : []),
      ...q,
      ...(legacy !== undefined ? [legacy.flag, ...legacy.pids] : []),
    ],
    ...dir,
    daemon: daemon && !foreground,
    notes,
  };
}
