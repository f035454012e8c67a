// `handoff -f CFG …`: HAProxy's command line. src/cli/haproxy-args.ts maps it onto `handoff check`
// or `handoff run`; this module runs the result (version text, -C, -D detaching).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { UsageError } from './args.ts';
import { HAPROXY_USAGE_EXIT, HaproxyArgsError, haproxyUsage, parseHaproxyArgs } from './haproxy-args.ts';
import { FEATURES, VERSION } from '../version.ts';
import { masterExecArgv } from '../master/v8-settings.ts';


/** `-v` / `-vv` in HAProxy's layout; every figure comes from the running Node.js. */
export function versionText(verbose: boolean): string {
  const v = process.versions;
  const head = `handoff version ${VERSION} - a load balancer for Linux with HAProxy's configuration syntax
Running on: ${os.type()} ${os.release()} ${os.version()} ${os.machine()}
`;
  if (!verbose) return head;
  return `${head}Build options :
  RUNTIME = Node.js ${process.version} (V8 ${v.v8}, libuv ${v.uv})
  TYPES   = TypeScript, run through Node.js type stripping

Feature list : ${Object.entries(FEATURES).map(([k, on]) => `${on ? '+' : '-'}${k}`).join(' ')}

Default settings :
  workers = ${os.availableParallelism()} (CPU count; nbthread or --workers override it)

Built with Node.js version : ${process.version}
Built with OpenSSL version : OpenSSL ${v.openssl}
OpenSSL library supports TLS extensions : yes
OpenSSL library supports SNI : yes
Built with llhttp version : ${v.llhttp}
Built with zlib version : ${v.zlib}
Built with ICU version : ${v.icu ?? 'none'}

Available polling systems :
      epoll : (libuv ${v.uv}), will use epoll.

Available multiplexer protocols :
         h1 : mode=HTTP  side=FE|BE
       none : mode=TCP   side=FE|BE

Reloads : master-worker; listeners stay in the master (no -x socket transfer needed)
`;
}

/** `-D`: start `handoff run …` in its own session and return once it serves (its READY=1 on fd 3)
 * or with its exit status if it fails first. Its messages until then are relayed on our stderr;
 * after that they go nowhere, as HAProxy's in daemon mode: use a log target. */
function daemonize(runArgv: string[]): Promise<number> {
  const devNull = fs.openSync('/dev/null', 'w');
  // With the master's V8 flags from the start: it cannot re-execute itself, fd 3 would not survive.
  const child = spawn(process.execPath, [...masterExecArgv(), process.argv[1] as string, 'run', ...runArgv], {
    detached: true,
    stdio: ['ignore', devNull, 'pipe', 'pipe'],
    env: { ...process.env, HANDOFF_READY_FD: '3' },
  });
  fs.closeSync(devNull);
  const stderr = child.stderr;
  const ready = child.stdio[3];
  stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve) => {
    const finish = (code: number) => {
      stderr?.destroy();
      ready?.destroy();
      child.unref();
      resolve(code);
    };
    let seen = '';
    ready?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('READY=1')) finish(0);
    });
    child.on('exit', (code, signal) => finish(code ?? (signal !== null ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
    child.on('error', (err) => {
      process.stderr.write(`handoff: cannot start the daemon: ${err.message}\n`);
      finish(1);
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  let inv;
  try {
    inv = parseHaproxyArgs(argv);
  } catch (err) {
    if (!(err instanceof HaproxyArgsError)) throw err;
    process.stderr.write(`handoff: ${err.message}\n\n${haproxyUsage}`);
    return HAPROXY_USAGE_EXIT;
  }
  if (inv.mode === 'version') {
    process.stdout.write(versionText(inv.verbose));
    return 0;
  }
  if (inv.chdir !== undefined) {
    try {
      process.chdir(inv.chdir);
    } catch (err) {
      process.stderr.write(`handoff: -C: cannot change to directory '${inv.chdir}': ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      return 1;
    }
  }
  if (!inv.argv.includes('-q')) for (const n of inv.notes) process.stderr.write(`handoff: warning: ${n}\n`);
  try {
    if (inv.mode === 'check') return await (await import('./check.ts')).main(inv.argv);
    if (inv.daemon) process.exit(await daemonize(inv.argv));
    return await (await import('./run.ts')).main(inv.argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`handoff: ${err.message}\n\n${haproxyUsage}`);
    return HAPROXY_USAGE_EXIT;
  }
}
