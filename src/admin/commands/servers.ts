// Server commands, in HAProxy 2.6's syntax and words: show servers state|conn, show backend,
// get/set weight, set server, set maxconn server, enable/disable server|health|agent.
import { CommandError, type Command } from '../command.ts';
import type { AdminTarget, RuntimeServerSetting, ServerReport } from '../target.ts';
import { renderServerState } from '../server-state-format.ts';
import { parseWeight, setAddress, setPort } from './server-settings.ts';

const SET_SERVER_USAGE = 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight';

/** HAProxy's look-up of `BACKEND/SERVER`, with its errors. */
export function findServer(target: AdminTarget, arg: string | undefined): ServerReport {
  const slash = arg?.indexOf('/') ?? -1;
  if (arg === undefined || slash === -1) throw new CommandError("Require 'backend/server'.");
  const [backend, name] = [arg.slice(0, slash), arg.slice(slash + 1)];
  if (!target.backendNames().includes(backend)) throw new CommandError('No such backend.');
  const found = target.servers().find((s) => s.backend === backend && s.name === name);
  if (found === undefined) throw new CommandError('No such server.');
  return found;
}

function apply(target: AdminTarget, r: ServerReport, setting: RuntimeServerSetting, answer = ''): string {
  const err = target.setServer(r.id, setting);
  if (err !== null) throw new CommandError(err);
  return answer === '' ? '' : `${answer}\n`;
}

/** The servers of backend `arg` (a name or `#ID`), or all; HAProxy's error for an unknown one. */
function serversOf(target: AdminTarget, arg: string | undefined): ServerReport[] {
  const all = target.servers();
  if (arg === undefined) return all;
  const byId = /^#\d+$/.test(arg) ? Number(arg.slice(1)) : undefined;
  if (byId === undefined && !target.backendNames().includes(arg)) throw new CommandError("Can't find backend.");
  const mine = all.filter((s) => (byId !== undefined ? s.backendId === byId : s.backend === arg));
  if (byId !== undefined && mine.length === 0) throw new CommandError("Can't find backend.");
  return mine;
}

function setWeight(target: AdminTarget, r: ServerReport, arg: string | undefined): string {
  const w = parseWeight(arg, r);
  if (typeof w === 'string') throw new CommandError(w);
  return apply(target, r, { weight: w });
}

const HEALTH = ['up', 'stopping', 'down'] as const;
const STATES = ['ready', 'drain', 'maint'] as const;

function setServer(target: AdminTarget, args: string[]): string {
  const r = findServer(target, args[2]);
  const [what, value] = [args[3], args[4]];
  switch (what) {
    case 'weight':
      return setWeight(target, r, value);
    case 'state': {
      const st = STATES.find((s) => s === value);
      if (st === undefined) throw new CommandError("'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
      return apply(target, r, { admin: st });
    }
    case 'health': {
      const h = HEALTH.find((s) => s === value);
      if (h === undefined) throw new CommandError("'set server <srv> health' expects 'up', 'stopping', or 'down'.");
      return apply(target, r, { health: h });
    }
    case 'agent':
      // handoff has no agent checks: every server answers as HAProxy's without `agent-check`.
      throw new CommandError('agent checks are not enabled on this server.');
    case 'addr': {
      const change = setAddress(r, args.slice(4));
      if (typeof change === 'string') throw new CommandError(change);
      return apply(target, r, change.setting, change.answer);
    }
    case 'port': {
      const change = setPort(r, value);
      if (typeof change === 'string') throw new CommandError(change);
      return apply(target, r, change.setting, change.answer);
    }
    case 'check-port': {
      if (r.health === undefined || !r.health.enabled) throw new CommandError('health checks are not enabled on this server');
      if (value === undefined || !/^\d+$/.test(value)) throw new CommandError('provided port is not an integer');
      const port = Number(value);
      if (port < 1 || port > 65535) throw new CommandError('provided port is not valid');
      return apply(target, r, { checkPort: port });
    }
    case 'maxconn':
      return setMaxconn(target, r, value);
    default:
      throw new CommandError(SET_SERVER_USAGE);
  }
}

function setMaxconn(target: AdminTarget, r: ServerReport, value: string | undefined): string {
  if (value === undefined || !/^\d/.test(value)) throw new CommandError('maxconn string empty or preceded by garbage');
  if (!/^\d+$/.test(value)) throw new CommandError('Trailing garbage in maxconn string');
  return apply(target, r, { maxconn: Number(value) });
}

export const serverCommands: Command[] = [
  {
    usage: 'show servers state [<backend>]',
    help: 'dump volatile server information (all or for a single backend)',
    level: 'user',
    run: (target, args) => renderServerState(serversOf(target, args[3]), Date.now()),
  },
  {
    usage: 'show servers conn [<backend>]',
    help: 'dump server connections status (all or for a single backend)',
    level: 'user',
    run(target, args) {
      const rows = serversOf(target, args[3]);
      const workers = Math.max(1, target.info().workers);
      const idle = Array.from({ length: workers }, () => '0').join(' ');
      const lines = rows.map((s) => {
        const u = s.used ?? { cur: 0, max: 0 };
        return `${s.backend}/${s.name} ${s.backendId}/${s.serverId} ${s.addr} ${s.port} - 5000 ${u.cur} ${u.max} ${u.cur} 0 0 -1 0 ${idle}`;
      });
      return `# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[${workers}]\n${lines.map((l) => `${l}\n`).join('')}`;
    },
  },
  {
    usage: 'show backend',
    help: 'list backends in the current running config',
    level: 'user',
    run: (target) => `# name\n${target.backendNames().map((n) => `${n}\n`).join('')}`,
  },
  {
    usage: 'get weight <bk>/<srv>',
    help: "report a server's current weight",
    level: 'user',
    run(target, args) {
      const r = findServer(target, args[2]);
      return `${r.state.weight ?? r.initialWeight} (initial ${r.initialWeight})\n`;
    },
  },
  {
    usage: 'set server <bk>/<srv> [opts]',
    help: "change a server's state, weight, address, port, maxconn, health or check port (kept across reloads)",
    level: 'admin',
    run: (target, args) => setServer(target, args),
  },
  {
    usage: 'set weight <bk>/<srv> <weight>[%]',
    help: "change a server's weight (use 'set server' instead)",
    level: 'admin',
    run: (target, args) => setWeight(target, findServer(target, args[2]), args[3]),
  },
  {
    usage: 'set maxconn server <bk>/<srv> <maxconn>',
    help: "change a server's maxconn setting",
    level: 'admin',
    run: (target, args) => setMaxconn(target, findServer(target, args[3]), args[4]),
  },
  {
    usage: 'disable server <bk>/<srv>',
    help: "disable a server for maintenance (use 'set server' instead)",
    level: 'admin',
    run: (target, args) => apply(target, findServer(target, args[2]), { admin: 'maint' }),
  },
  {
    usage: 'enable server <bk>/<srv>',
    help: "enable a disabled server (use 'set server' instead)",
    level: 'admin',
    run: (target, args) => apply(target, findServer(target, args[2]), { admin: 'ready' }),
  },
  {
    usage: 'disable health <bk>/<srv>',
    help: 'disable health checks',
    level: 'admin',
    run(target, args) {
      const r = findServer(target, args[2]);
      return r.health === undefined ? '' : apply(target, r, { checksDisabled: true });
    },
  },
  {
    usage: 'enable health <bk>/<srv>',
    help: 'enable health checks',
    level: 'admin',
    run(target, args) {
      const r = findServer(target, args[2]);
      if (r.health === undefined) throw new CommandError('Health check was not configured on this server, cannot enable.');
      return apply(target, r, { checksDisabled: false });
    },
  },
  {
    usage: 'disable agent <bk>/<srv>',
    help: 'disable agent checks',
    level: 'admin',
    run(target, args) {
      findServer(target, args[2]);
      return '';
    },
  },
  {
    usage: 'enable agent <bk>/<srv>',
    help: 'enable agent checks',
    level: 'admin',
    run(target, args) {
      findServer(target, args[2]);
      throw new CommandError('Agent was not configured on this server, cannot enable.');
    },
  },
];
