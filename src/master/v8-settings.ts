// The master's V8 settings. The master proxies no byte (it parses configurations, runs health
// checks, sums counters), so it gives up peak JavaScript speed for memory. V8 takes them on the
// command line only (v8.setFlagsFromString after start-up changes neither the heap's limits nor
// the tiers), and the master is whatever process runs `handoff run`, whose command line is the
// user's: bin/handoff.js re-executes `run` once with them, same pid and descriptors.
/** 1 MB semi-spaces: V8 grows the young generation to 16 MB, resident once scavenged through,
 * for garbage the master makes little of (~2.5 MB of RSS). Maglev as the top tier: TurboFan's
 * compiler code, once it has run, stays resident (~5 MB of RSS). */
export const MASTER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-opt=2'];

/** Set in the environment of the re-executed process, which removes it (children do not see it). */
const MARK = 'HANDOFF_MASTER_V8';

/**
 * `handoff run` without the master's flags: replace this process by one with them (nothing
 * returns then). Anything else, a Node without process.execve, or the re-executed process
 * itself: returns, and the command runs here.
 */
export function reexecAsMaster(argv: readonly string[]): void {
  if (process.env[MARK] !== undefined) {
    delete process.env[MARK];
    return;
  }
  // process.execve keeps only stdio: a master handed another descriptor (`-D`'s readiness pipe,
  // HANDOFF_READY_FD) was started with the flags by its parent instead (masterExecArgv).
  if (argv[2] !== 'run' || typeof process.execve !== 'function' || process.env.HANDOFF_READY_FD !== undefined) return;
  process.execve(process.execPath, [process.execPath, ...masterExecArgv(), ...argv.slice(1)], { ...process.env, [MARK]: '1' });
}

/** Node's options for a process that is to be the master: its flags, then this process's own. */
export function masterExecArgv(): string[] {
  return [...MASTER_V8_FLAGS, ...process.execArgv.filter((a) => !isMasterV8Flag(a))];
}

/** The master's own flags, which a worker must not inherit with the rest of its execArgv. */
export function isMasterV8Flag(arg: string): boolean {
  return MASTER_V8_FLAGS.includes(arg);
}
