// The master's V8 settings. The master proxies no byte (it parses configurations, runs health
// checks, sums counters), so it gives up peak JavaScript speed for memory. They are set at run
// time because the master is whatever process runs `handoff run`, whose command line is the
// user's; workers get theirs on the command line at fork (WORKER_V8_FLAGS in worker-process.ts),
// which these do not reach: a child inherits process.execArgv, not flags set later.
import v8 from 'node:v8';

/**
 * 1 MB semi-spaces: V8 grows the young generation to 16 MB, resident once scavenged through,
 * for garbage the master makes little of (~2.5 MB of RSS). Maglev as the top tier: TurboFan's
 * compiler code, once it has run, stays resident (~5 MB of RSS per process, shared file pages).
 */
export const MASTER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--max-opt=2'];

/** Called first thing in `handoff run`: heap growth and tiering decisions after it follow them. */
export function applyMasterV8Flags(): void {
  for (const flag of MASTER_V8_FLAGS) v8.setFlagsFromString(flag);
}
