// One CLI connection as HAProxy's CLI runs it (management.txt §9.3, §9.4): each request's answer
// is followed by an empty line, or by the `> ` prompt in interactive mode (`prompt` toggles
// it); `quit` ends; a request ending in `<<` takes the lines up to an empty one as its payload;
// `operator` / `user` lower the session's level. On the master socket, `@N`, `@!PID` and
// `@master` address a worker or the master, and the prompt names the target (`master> `).
// `handoff-ctl` (handoff's own client) asks for a status after each answer instead of the
// empty line: `\0ok\n` or `\0error\n`.
import { executeArgs } from './commands.ts';
import { opensPayload, splitArgs } from './cli-input.ts';
import type { AccessLevel, CommandContext, SocketDescription } from './command.ts';
import type { AdminTarget, ProcInfo } from './target.ts';

import { CTL_OPT_IN, STATUS_ERROR, STATUS_OK } from './cli-status.ts';

export interface SessionOptions {
  target: AdminTarget;
  level: AccessLevel;
  master: boolean;
  sockets(): SocketDescription[];
  setTimeout(ms: number): void;
  /** The most a payload may hold (HAProxy: its buffer). */
  maxPayload: number;
}

export interface Reply {
  out: string;
  close: boolean;
}

export interface CliSession {
  request(line: string): Promise<Reply>;
  interactive(): boolean;
  inPayload(): boolean;
  /** The client opted in to status lines (`handoff-ctl`). */
  withStatus(): boolean;
}

/** `@…` → 0 for the master, a worker's pid, or -1 (HAProxy's pcli_prefix_to_pid). */
function prefixPid(prefix: string, procs: ProcInfo[], generation: number): number {
  const p = prefix.slice(1);
  if (p === '' || p === 'master' || p === '0') return 0;
  const workers = procs.filter((w) => w.role === 'worker');
  if (p.startsWith('!')) {
    const pid = /^\d+$/.test(p.slice(1)) ? Number(p.slice(1)) : NaN;
    return workers.some((w) => w.pid === pid) ? pid : -1;
  }
  if (!/^\d+$/.test(p)) return -1;
  const current = workers.filter((w) => w.generation === generation).sort((a, b) => a.index - b.index);
  return current[Number(p) - 1]?.pid ?? -1;
}

export function createSession(opts: SessionOptions): CliSession {
  let level = opts.level;
  let prompt = false;
  let status = false;
  let payload: { header: string; lines: string[]; size: number } | null = null;
  let defaultPid = 0;
  const { target } = opts;

  const masterPrompt = () => (prompt ? `${defaultPid === 0 ? 'master' : defaultPid}> ` : '');
  /** What follows an answer: the status, the prompt, or the empty line. */
  const after = (ok: boolean, noLf = false): string => {
    if (status) return ok ? STATUS_OK : STATUS_ERROR;
    if (opts.master) return (noLf ? '' : '\n') + masterPrompt();
    if (prompt) return '\n> ';
    return noLf ? '' : '\n';
  };
  const context = (worker: ProcInfo | undefined, text: string | undefined): CommandContext => ({
    level,
    // A request addressed to a worker is its own connection there (HAProxy's master CLI): `@1 user` lowers nothing here.
    setLevel: (l) => {
      if (worker === undefined) level = l;
    },
    master: opts.master && worker === undefined,
    sockets: opts.sockets,
    setTimeout: opts.setTimeout,
    ...(worker !== undefined ? { worker } : {}),
    ...(text !== undefined ? { payload: text } : {}),
  });

  const run = async (line: string, text?: string): Promise<Reply> => {
    let words = splitArgs(line);
    let pid = defaultPid;
    if (opts.master && words[0]?.startsWith('@') === true) {
      const found = prefixPid(words[0], target.procs(), target.info().generation);
      if (found === -1) return { out: `Can't find the target PID matching the prefix '${words[0]}'\n` + (status ? STATUS_ERROR : masterPrompt()), close: false };
      if (words.length === 1) {
        defaultPid = found;
        return { out: after(true, true), close: false };
      }
      pid = found;
      words = words.slice(1);
    }
    switch (words[0]) {
      case 'quit':
        return { out: opts.master ? masterPrompt() : '', close: true };
      case 'prompt':
        prompt = !prompt;
        return { out: opts.master ? masterPrompt() : after(true), close: false };
      case CTL_OPT_IN:
        status = true;
        return { out: '', close: false };
    }
    const worker = pid === 0 ? undefined : target.procs().find((p) => p.pid === pid);
    const r = await executeArgs(target, words, context(worker, text));
    // `operator -` / `user -`: no empty line after (HAProxy's NOLF), for scripts.
    const quiet = (words[0] === 'operator' || words[0] === 'user') && words[1] === '-';
    const pcli = opts.master && worker === undefined && (words[0] === 'operator' || words[0] === 'user') && r.ok;
    return { out: r.output + after(r.ok, quiet || pcli), close: false };
  };

  return {
    async request(line) {
      if (payload !== null) {
        if (line !== '') {
          payload.size += line.length + 1;
          if (payload.size > opts.maxPayload) return { out: `payload too large: at most ${opts.maxPayload} bytes\n`, close: true };
          payload.lines.push(line);
          return { out: prompt ? '+ ' : '', close: false };
        }
        const { header, lines } = payload;
        payload = null;
        return run(header, lines.join('\n'));
      }
      if (opensPayload(line)) {
        payload = { header: line, lines: [], size: line.length };
        return { out: prompt ? '+ ' : '', close: false };
      }
      return run(line);
    },
    interactive: () => prompt,
    inPayload: () => payload !== null,
    withStatus: () => status,
  };
}
