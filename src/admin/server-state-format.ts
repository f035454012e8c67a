// HAProxy's server state file, version 1: what `show servers state` prints and what a
// `server-state-file` holds (management.txt 9.3). One line per server, HAProxy's numeric codes.
import { isIP } from 'node:net';
import type { ServerReport } from './target.ts';

export const STATE_FILE_VERSION = '1';

export const STATE_FILE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** HAProxy's `enum healthcheck_status` (check-t.h), by the check_status names handoff uses. */
export const CHECK_STATUS_CODES: Readonly<Record<string, number>> = {
  UNK: 0, INI: 1, HANA: 4, SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11,
  L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17,
};

/** HAProxy's admin flags: FMAINT 0x01, CMAINT 0x04 (the configuration's `disabled`), FDRAIN 0x08. */
export const ADMF = { FMAINT: 0x01, IMAINT: 0x02, CMAINT: 0x04, FDRAIN: 0x08, IDRAIN: 0x10, RMAINT: 0x20, HMAINT: 0x40 } as const;

/** CHK_ST_*: CONFIGURED 0x02, ENABLED 0x04, PAUSED 0x08 (checks paused while in maintenance). */
export const CHK_ST = { CONFIGURED: 0x02, ENABLED: 0x04, PAUSED: 0x08 } as const;

/** SRV_ST_*: 0 stopped (DOWN or in maintenance), 2 running, 3 stopping (NOLB). */
export function opState(r: ServerReport): number {
  if (r.state.admin === 'maint' || !r.state.up) return 0;
  return r.state.nolb === true ? 3 : 2;
}

export function adminState(r: ServerReport): number {
  const forced = r.state.admin === 'maint' && r.state.resolution !== true;
  return (r.configMaint ? ADMF.CMAINT : 0) | (forced ? ADMF.FMAINT : 0) | (r.rmaint === true ? ADMF.RMAINT : 0) | (r.hmaint === true ? ADMF.HMAINT : 0) | (r.state.admin === 'drain' ? ADMF.FDRAIN : 0);
}

/** CHK_RES_*: 0 unknown, 2 failed, 3 passed, 4 conditionally passed. */
function checkResult(status: string): number {
  if (status === 'INI' || status === 'UNK') return 0;
  if (status === 'L4OK' || status === 'L6OK' || status === 'L7OK') return 3;
  return status === 'L7OKC' ? 4 : 2;
}

/** HAProxy's health counter: from 0 (fully down) to rise+fall-1 (fully up); UP from `rise`. */
function checkHealth(r: ServerReport): number {
  const full = r.rise + r.fall - 1;
  const h = r.health;
  // Without a check HAProxy counts 0 in maintenance (and from `disabled` in the configuration, or
  // once in resolution maintenance), else `rise`.
  if (h === undefined) return r.forced === 'down' ? 0 : r.forced !== undefined ? full : r.configMaint || r.rmaintSeen === true || r.state.admin === 'maint' ? 0 : r.rise;
  if (!h.present) return 0;
  return r.state.up ? full - Math.min(h.failures, r.fall - 1) : Math.min(h.successes, r.rise - 1);
}

function checkState(r: ServerReport): number {
  const h = r.health;
  // HAProxy leaves PAUSED on a server without a check once the configuration put it in maintenance.
  if (h === undefined) return r.configMaint ? CHK_ST.PAUSED : 0;
  return CHK_ST.CONFIGURED | (h.enabled ? CHK_ST.ENABLED : 0) | (r.state.admin === 'maint' ? CHK_ST.PAUSED : 0);
}

/** One server's line; `now` in epoch ms. */
export function stateLine(r: ServerReport, now: number): string {
  const ip = isIP(r.addr) !== 0;
  const h = r.health;
  const status = h === undefined ? 'INI' : h.status;
  return [
    r.backendId, r.backend, r.serverId, r.name, ip ? r.addr : '-', opState(r), adminState(r), r.state.weight ?? r.initialWeight, r.initialWeight,
    Math.max(0, Math.floor((now - r.lastChange) / 1000)), CHECK_STATUS_CODES[status] ?? 0, checkResult(status), checkHealth(r), checkState(r),
    0, 0, 0, r.fqdn ?? (ip ? '-' : r.addr), r.port, r.srvrecord ?? '-', r.ssl === true ? 1 : 0, h?.port ?? 0, h?.addr ?? '-', '-', 0,
  ].join(' ');
}

/** `show servers state`: the version line, the header, a line per server. */
export function renderServerState(reports: readonly ServerReport[], now: number): string {
  return `${STATE_FILE_VERSION}\n${STATE_FILE_HEADER}\n${reports.map((r) => `${stateLine(r, now)}\n`).join('')}`;
}
