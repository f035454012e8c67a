// handoff's version, from package.json: one place for `-v`, `--version`, `show info` and the bench.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The HAProxy version whose configuration language handoff implements (`.if version_atleast(…)`). */
export const HAPROXY_LEVEL = '2.6';

/** `-vv`'s feature list and `.if feature(…)`: what handoff has (+) and lacks (-). */
export const FEATURES: Readonly<Record<string, boolean>> = {
  MASTER_WORKER: true, SYSTEMD: true, OPENSSL: true, HTTP1: true, TCP: true, PROMEX: true,
  ZLIB: true, HTTP2: false, QUIC: false, LUA: false, PCRE: false, PEERS: false, CACHE: false,
};
