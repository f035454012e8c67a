// The stats page's admin form (`stats admin if …`), applied by the master as `set server … state`
// is: the worker that took the POST sends the parsed form, this answers HAProxy's result code.
import type { Config } from '../config/model.ts';
import type { StatsAdminCode } from '../ipc/messages.ts';
import type { RuntimeServerSetting } from '../admin/target.ts';

export interface PageAction {
  /** The backend's name (HAProxy's own form sends `#ID`; handoff's sends the name). */
  backend: string;
  action: string;
  servers: readonly string[];
}

type Admin = NonNullable<RuntimeServerSetting['admin']>;

/**
 * HAProxy's actions, by the form's value, as the admin state they set; `null` for the actions
 * HAProxy has that handoff cannot apply from the page (health/agent forcing, kill sessions).
 * The old names (disable/enable/stop/start) are HAProxy's older form's, still accepted.
 */
const ACTIONS: Record<string, Admin | null> = {
  ready: 'ready',
  drain: 'drain',
  maint: 'maint',
  disable: 'maint',
  enable: 'ready',
  stop: 'drain',
  start: 'ready',
  shutdown: null,
  dhlth: null,
  ehlth: null,
  hrunn: null,
  hnolb: null,
  hdown: null,
  dagent: null,
  eagent: null,
  arunn: null,
  adown: null,
};

/**
 * Apply `req` through `setServer` and answer as HAProxy does: ERRP for an unknown backend or
 * action, NONE when the form names no backend, action or server, DONE when every named server
 * changed, PART when some names were unknown, ERRP when none was known. `''`: the field was absent.
 */
export function applyPageAction(config: Config | undefined, req: PageAction, setServer: (id: string, setting: RuntimeServerSetting) => string | null): StatsAdminCode {
  if (req.action !== '' && !Object.hasOwn(ACTIONS, req.action)) return 'ERRP';
  if (req.backend === '') return 'NONE';
  const be = config?.backends.find((b) => b.name === req.backend);
  if (be === undefined) return 'ERRP';
  if (req.action === '' || req.servers.length === 0) return 'NONE';
  const admin = ACTIONS[req.action];
  if (admin === undefined || admin === null) return 'ERRP';
  let altered = 0;
  for (const name of req.servers) {
    const server = be.servers.find((s) => s.name === name);
    if (server !== undefined && setServer(server.id, { admin }) === null) altered++;
  }
  if (altered === 0) return 'ERRP';
  return altered === req.servers.length ? 'DONE' : 'PART';
}
