// `node bench/run.ts NAME [args]` (or `npm run bench NAME`): runs bench/NAME.ts. A benchmark module
// exports `main(args): Promise<number>`; one that only runs top-level code is just imported.
import { existsSync, readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));

if (name === undefined || name === '-h' || name === '--help' || !/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(`${import.meta.dirname}/${name}.ts`)) {
  process.stderr.write(`usage: npm run bench NAME [args]\n\nbenchmarks: ${available.join(', ')}\n`);
  process.exitCode = name === '-h' || name === '--help' ? 0 : 2;
} else {
  const mod = (await import(`./${name}.ts`)) as { main?: (argv: string[]) => Promise<number> };
  if (typeof mod.main === 'function') process.exitCode = await mod.main(args);
}
