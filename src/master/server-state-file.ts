// The server state file (HAProxy's `server-state-file`, `load-server-state-from-file`): read when
// a configuration is loaded, matched to its servers as HAProxy matches them, and turned into
// runtime settings. At start every file named is applied; at a reload only a file whose content
// changed since it was last applied (the master already keeps the runtime state across reloads:
// an unchanged file would only take back what the runtime API changed since).
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isIP } from 'node:net';
import type { Backend, Config, Diagnostic, Server } from '../config/model.ts';
import { diagnostic } from '../config/diagnostics.ts';
import { proxyIds } from '../config/proxy-ids.ts';
import { ADMF, CHK_ST } from '../admin/server-state-format.ts';
import type { RuntimeServerSetting } from '../admin/target.ts';

/** What a state line gives one server: settings, and when its state last changed (epoch ms). */
export interface RestoredServer {
  id: string;
  setting: RuntimeServerSetting;
  lastChange: number;
}

interface StateLine {
  line: number;
  fields: string[];
}

type Parsed = { ok: true; lines: StateLine[] } | { ok: false; warning: Diagnostic };

const MIN_FIELDS = 20;
const MAX_FIELDS = 25;

export function stateFilePath(base: string | undefined, name: string): string {
  if (isAbsolute(name) || base === undefined) return resolve(name);
  return resolve(join(base, name));
}

/** A version 1 file's data lines, or HAProxy's warning for a file it would not use at all. */
function parseStateFile(text: string, file: string, what: string): Parsed {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '1') return { ok: false, warning: diagnostic('warning', { file, line: 1 }, `Can't get version of the ${what} '${file}'.`) };
  const out: StateLine[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    const fields = t.split(/[ \t]+/);
    // A last line without its newline is corrupted for HAProxy too (it reads lines with fgets).
    if (fields.length < MIN_FIELDS || fields.length > MAX_FIELDS || i === lines.length - 1) {
      return { ok: false, warning: diagnostic('warning', { file, line: i + 1 }, `corrupted ${what} '${file}' at line ${i + 1}: ${fields.length} fields, expected ${MIN_FIELDS} to ${MAX_FIELDS}; nothing of this file is applied`) };
    }
    out.push({ line: i + 1, fields });
  }
  return { ok: true, lines: out };
}

function int(v: string | undefined): number | undefined {
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** HAProxy's validation of a line's values: the problems, in its words. */
function problems(f: string[]): string[] {
  const out: string[] = [];
  const check = (i: number, name: string, ok: (n: number) => boolean): void => {
    const n = int(f[i]);
    if (n === undefined || !ok(n)) out.push(`invalid ${name} value '${f[i] ?? ''}'`);
  };
  const admin = (n: number): boolean => [0, ADMF.FMAINT, ADMF.CMAINT, ADMF.CMAINT | ADMF.FMAINT, ADMF.CMAINT | ADMF.FDRAIN, ADMF.FDRAIN].includes(n & ~(ADMF.IDRAIN | ADMF.IMAINT | ADMF.HMAINT | ADMF.RMAINT));
  const chk = (n: number): boolean => (n & ~0x1f) === 0;
  check(5, 'srv_op_state', (n) => n >= 0 && n <= 3);
  check(6, 'srv_admin_state', admin);
  check(7, 'srv_uweight', (n) => n >= 0 && n <= 256);
  check(8, 'srv_iweight', (n) => n >= 0 && n <= 256);
  check(9, 'srv_last_time_change', () => true);
  check(10, 'srv_check_status', (n) => n >= 0 && n < 21);
  check(11, 'srv_check_result', (n) => n >= 0 && n <= 4);
  check(12, 'srv_check_health', () => true);
  check(13, 'srv_check_state', chk);
  check(14, 'srv_agent_state', chk);
  check(15, 'bk_f_forced_id', (n) => n === 0 || n === 1);
  check(16, 'srv_f_forced_id', (n) => n === 0 || n === 1);
  const port = int(f[18]);
  if (f[18] !== undefined && (port === undefined || port < 0 || port > 65535)) out.push(`invalid srv_port value '${f[18]}'`);
  return out;
}

/** HAProxy's rules (server_state.c): the configuration wins where it changed, the file elsewhere. */
function restore(server: Server, f: string[], now: number): RestoredServer {
  const n = (i: number): number => int(f[i]) ?? 0;
  const [op, adm, uweight, iweight] = [n(5), n(6), n(7), n(8)];
  const fileC = (adm & ADMF.CMAINT) !== 0;
  let admin: RuntimeServerSetting['admin'] = fileC !== server.disabled ? (server.disabled ? 'maint' : 'ready') : (adm & ADMF.FMAINT) !== 0 ? 'maint' : 'ready';
  if (admin !== 'maint' && (adm & ADMF.FDRAIN) !== 0 && (iweight > 0 || server.weight === 0)) admin = 'drain';
  const setting: RuntimeServerSetting = { admin };
  if (iweight === server.weight) setting.weight = uweight;
  // A server in maintenance is stopped by it, not by its health: only a running one's DOWN/NOLB is kept.
  if (admin !== 'maint' && op === 0) setting.health = 'down';
  if (admin !== 'maint' && op === 3) setting.health = 'stopping';
  const addr = f[4];
  if (addr !== undefined && addr !== '-' && isIP(addr) !== 0 && addr !== server.host) setting.addr = addr;
  const port = int(f[18]);
  if (port !== undefined && port > 0 && port !== server.port && server.portOffset === undefined) setting.port = port;
  const checkPort = int(f[21]);
  if (server.check && checkPort !== undefined && checkPort > 0 && checkPort !== server.checkPort) setting.checkPort = checkPort;
  const chk = n(13);
  if (server.check && (chk & CHK_ST.CONFIGURED) !== 0 && (chk & CHK_ST.ENABLED) === 0) setting.checksDisabled = true;
  return { id: server.id, setting, lastChange: now - n(9) * 1000 };
}

export interface StateFileLoader {
  /** The servers of `config` restored from the files it names, and HAProxy's warnings. */
  load(config: Config): Promise<{ restored: RestoredServer[]; diagnostics: Diagnostic[] }>;
}

async function readText(path: string): Promise<string | Error> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function why(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : err.message;
}

export function createStateFileLoader(): StateFileLoader {
  /** Path → the content last applied. */
  const applied = new Map<string, string>();
  return {
    async load(config) {
      const diags: Diagnostic[] = [];
      const restored: RestoredServer[] = [];
      const g = config.global;
      const ids = proxyIds(config);
      const files = new Map<string, Parsed | 'unchanged' | Error>();
      const open = async (path: string, what: string): Promise<Parsed | 'unchanged' | Error> => {
        const known = files.get(path);
        if (known !== undefined) return known;
        const text = await readText(path);
        const got = typeof text !== 'string' ? text : applied.get(path) === text ? 'unchanged' : parseStateFile(text, path, what);
        if (typeof text === 'string') applied.set(path, text);
        files.set(path, got);
        return got;
      };
      const now = Date.now();
      for (const be of config.backends) {
        const mode = be.loadServerState ?? 'none';
        if (mode === 'none' || be.servers.length === 0) continue;
        if (mode === 'global' && g.serverStateFile === undefined) continue;
        const local = mode === 'local';
        const path = stateFilePath(g.serverStateBase, local ? (be.serverStateFileName ?? be.name) : (g.serverStateFile ?? ''));
        const what = local ? 'server state file' : 'global server state file';
        const first = !files.has(path);
        const got = await open(path, what);
        if (got === 'unchanged') continue;
        if (got instanceof Error) {
          if (first || local) diags.push(diagnostic('warning', { file: '', line: 0 }, local ? `Proxy '${be.name}': Can't open server state file '${path}': ${why(got)}.` : `config: Can't open global server state file '${path}': ${why(got)}`));
          continue;
        }
        if (!got.ok) {
          if (first || local) diags.push(local ? { ...got.warning, message: `Proxy '${be.name}': ${got.warning.message}` } : got.warning);
          continue;
        }
        restored.push(...matchBackend(be, ids.get(be.name) ?? 0, got.lines, path, local, now, diags));
      }
      return { restored, diagnostics: diags };
    },
  };
}

/** The lines for backend `be`: by name in the global file; by id or name in a local one (HAProxy). */
function matchBackend(be: Backend, beId: number, lines: StateLine[], file: string, local: boolean, now: number, diags: Diagnostic[]): RestoredServer[] {
  const out: RestoredServer[] = [];
  const seen = new Set<string>();
  for (const l of lines) {
    const [id, name, , srv] = l.fields;
    const at = { file, line: l.line };
    if (!local && name !== be.name) continue;
    if (local) {
      const sameId = Number(id) === beId;
      const sameName = name === be.name;
      if (!sameId && !sameName) continue;
      if (!sameId) diags.push(diagnostic('warning', at, `Proxy '${be.name}': backend ID mismatch: from server state file: '${id}', from running config '${beId}'`));
      else if (!sameName) {
        diags.push(diagnostic('warning', at, `Proxy '${be.name}': backend name mismatch: from server state file: '${name}', from running config '${be.name}'`));
        continue;
      }
    }
    const server = be.servers.find((s) => s.name === srv);
    if (server === undefined || seen.has(server.name)) {
      if (local && server === undefined) diags.push(diagnostic('warning', at, `Proxy '${be.name}': can't find server '${srv}' in backend '${be.name}'`));
      continue;
    }
    seen.add(server.name);
    const bad = problems(l.fields);
    if (bad.length > 0) {
      diags.push(diagnostic('warning', at, `server-state application failed for server '${be.name}/${server.name}', ${bad.join(', ')}`));
      continue;
    }
    out.push(restore(server, l.fields, now));
  }
  return out;
}

