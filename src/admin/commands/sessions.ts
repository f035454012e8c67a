// Sessions and errors: show sess, shutdown session, shutdown sessions server, show errors —
// HAProxy 2.6's syntax, line shapes and messages.
import { CommandError, type Command } from '../command.ts';
import type { SessionLine } from '../target.ts';
import { answerOf, backendServer } from './dynamic.ts';

/** HAProxy's human_time: at most two units, `0s` for zero (`1m5s`, `2h3m`, `4d1h`). */
export function humanTime(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  let out = '';
  let left = 2;
  if (t >= 86400) {
    out += `${Math.floor(t / 86400)}d`;
    left--;
  }
  if (left > 0 && Math.floor((t % 86400) / 3600) > 0) {
    out += `${Math.floor((t % 86400) / 3600)}h`;
    left--;
  }
  if (left > 0 && Math.floor((t % 3600) / 60) > 0) {
    out += `${Math.floor((t % 3600) / 60)}m`;
    left--;
  }
  if ((left > 0 && t % 60 > 0) || t === 0) out += `${t % 60}s`;
  return out;
}

/** One `show sess` line: HAProxy's first fields, those handoff knows (no task/buffer internals). */
export function sessionLine(s: SessionLine): string {
  return `${s.id}: proto=${s.proto} src=${s.src} fe=${s.frontend} be=${s.backend} srv=${s.server} age=${humanTime(s.ageMs / 1000)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `[02/Dec/2026:10:14:27.947]`, local time, as HAProxy's `show errors` header. */
export function errorsDate(d: Date): string {
  return `[${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}]`;
}

export const sessionCommands: Command[] = [
  {
    usage: 'show sess [id]',
    help: 'report the list of current sessions or dump this exact session',
    level: 'operator',
    async run(target, args) {
      const all = await target.sessions();
      const id = args[2];
      if (id === undefined) return all.map((s) => `${sessionLine(s)}\n`).join('');
      const one = all.find((s) => s.id === id.toLowerCase());
      if (one === undefined) throw new CommandError('Session not found.');
      return `${sessionLine(one)}\n`;
    },
  },
  {
    usage: 'shutdown session [id]',
    help: 'kill a specific session',
    level: 'admin',
    async run(target, args) {
      return answerOf(await target.shutdownSession(args[2] ?? ''));
    },
  },
  {
    usage: 'shutdown sessions server <bk>/<srv>',
    help: 'kill sessions on a server',
    level: 'admin',
    async run(target, args) {
      const { backend, server } = backendServer(args[3]);
      return answerOf(await target.shutdownServerSessions(backend, server));
    },
  },
  {
    usage: 'show errors [<px>] [request|response]',
    help: 'report last request and/or response errors for each proxy (handoff captures none: always 0 events)',
    level: 'operator',
    async run(target, args) {
      const px = args[2];
      // As HAProxy: a proxy name, or any non-zero number as an id (-1: every proxy).
      if (px !== undefined && (Number.parseInt(px, 10) || 0) === 0) {
        const rows = (await target.stats()).rows;
        if (!rows.some((r) => r.pxname === px)) throw new CommandError('No such proxy.');
      }
      return `Total events captured on ${errorsDate(new Date())} : 0\n`;
    },
  },
];
