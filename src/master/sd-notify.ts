// systemd Type=notify support. Node cannot send on a unix datagram socket, so the readiness
// message goes through systemd-notify(1) (the unit sets NotifyAccess=all for that reason).
import { execFile } from 'node:child_process';

export function sdNotify(state: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  execFile('systemd-notify', [`--pid=${process.pid}`, ...state.split('\n')], () => {});
}
