// systemd Type=notify support. Node cannot send on a unix datagram socket, so the readiness
// message goes through systemd-notify(1) (the unit sets NotifyAccess=all for that reason).
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** A notifier whose messages reach systemd in the order they were sent: each systemd-notify(1)
 * waits for the previous one, so a fast reload's READY=1 never overtakes its RELOADING=1
 * (Type=notify-reload would otherwise stay "reloading"). */
export function createSdNotifier(): (state: string) => void {
  let last: Promise<void> = Promise.resolve();
  return (state) => {
    if (!process.env.NOTIFY_SOCKET) return;
    last = last.then(() => new Promise<void>((done) => void execFile('systemd-notify', [`--pid=${process.pid}`, ...state.split('\n')], () => done())));
  };
}

/** `handoff -D`: the fd on which the parent that detached this master waits for READY=1 (src/cli/haproxy.ts). */
export function takeDaemonReadyFd(): number | undefined {
  const v = process.env.HANDOFF_READY_FD;
  delete process.env.HANDOFF_READY_FD; // workers must not inherit it
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Tell the detaching parent the master serves (pid file written): it exits 0 and we run on alone. */
export function notifyDaemonParent(fd: number): void {
  try {
    fs.writeSync(fd, 'READY=1\n');
    fs.closeSync(fd);
  } catch {
    /* the parent is gone already: nobody to tell */
  }
}
