// The shape of a process's own messages on stderr, HAProxy's: `[NOTICE]   (pid) : message`, so
// journald and humans read master and worker messages the same way.
export type NoticeLevel = 'NOTICE' | 'WARNING' | 'ALERT';

export function noticeLine(level: NoticeLevel, msg: string, pid: number = process.pid): string {
  return `[${level}]`.padEnd(10) + ` (${pid}) : ${msg}\n`;
}
