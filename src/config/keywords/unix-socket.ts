// The settings of a unix socket file, shared by `bind` options and the global `unix-bind`: `mode`
// (octal), `uid`/`user`, `gid`/`group`. Names are looked up when the line is read, as HAProxy does,
// so an unknown user is an error at its line rather than at startup.
import { readFileSync } from 'node:fs';
import type { UnixSocketFile } from '../model.ts';

export type UnixFileSettings = Omit<UnixSocketFile, 'path'>;

export const UNIX_FILE_OPTIONS: readonly string[] = ['mode', 'uid', 'user', 'gid', 'group'];

/** HAProxy reserves room in sun_path (108 bytes) for its temporary name: a longer path is refused. */
export const MAX_UNIX_BIND_PATH = 97;

/** The listening key of a unix socket: `unix@PATH`, whether it was written `unix@PATH` or `/PATH`. */
export function unixKey(path: string): string {
  return `unix@${path}`;
}

/** Node has no getpwnam/getgrnam: the id of `name` in /etc/passwd or /etc/group. */
function lookupId(file: string, name: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return undefined;
}

function numericId(word: string, value: string): number | string {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) return `'${word}' expects a numeric ${word === 'uid' ? 'user' : 'group'} id, got '${value}'`;
  return Number(value);
}

/**
 * Apply option `word value` to `into`. Returns undefined when `word` is not one of these options,
 * else null (applied) or the error, in HAProxy's words where it has them.
 */
export function applyUnixFileOption(into: UnixFileSettings, word: string, value: string | undefined): string | null | undefined {
  if (!UNIX_FILE_OPTIONS.includes(word)) return undefined;
  const v = value ?? '';
  switch (word) {
    case 'mode':
      if (!/^[0-7]{1,5}$/.test(v) || parseInt(v, 8) > 0o7777) return `'mode' : missing or invalid mode '${v}' (octal integer expected)`;
      into.mode = parseInt(v, 8);
      return null;
    case 'uid':
    case 'gid': {
      const id = numericId(word, v);
      if (typeof id === 'string') return id;
      into[word] = id;
      return null;
    }
    case 'user': {
      const id = value === undefined ? undefined : lookupId('/etc/passwd', value);
      if (id === undefined) return value === undefined ? "'user' expects a user name" : `'user' : unknown user name '${value}'`;
      into.uid = id;
      return null;
    }
    default: {
      const id = value === undefined ? undefined : lookupId('/etc/group', value);
      if (id === undefined) return value === undefined ? "'group' expects a group name" : `'group' : unknown group name '${value}'`;
      into.gid = id;
      return null;
    }
  }
}
