#!/usr/bin/env node
// Entry point: the CLI is TypeScript, run through Node's built-in type stripping. The on-disk
// compile cache roughly halves start-up time, which is what a reload waits for in new workers.
import module from 'node:module';

module.enableCompileCache?.();
// `handoff run` re-executes itself once with the master's V8 flags (src/master/v8-settings.ts).
if (process.argv[2] === 'run') (await import('../src/master/v8-settings.ts')).reexecAsMaster(process.argv);
await import('../src/cli/main.ts');
