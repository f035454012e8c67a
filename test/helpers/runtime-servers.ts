// Reading `show servers state` (HAProxy's server state file, version 1) in tests: one row per
// server, by the header's column names.
export interface ServerStateRow {
  id: string;
  fields: Record<string, string>;
  /** srv_op_state 0 is DOWN (or in maintenance); 1..3 are up (3: NOLB). */
  up: boolean;
  /** From srv_admin_state: maint (FMAINT or CMAINT without ready), drain (FDRAIN), else ready. */
  admin: 'ready' | 'drain' | 'maint';
  weight: number;
}

export const STATE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';

/** HAProxy's check_status codes (enum healthcheck_status). */
export const CHECK_STATUS = { INI: 1, L4OK: 6, L4TOUT: 7, L4CON: 8, L7OK: 15, L7STS: 17 } as const;

export function parseServersState(output: string): ServerStateRow[] {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  if (lines[0] !== '1') throw new Error(`not a version 1 server state dump: ${JSON.stringify(output.slice(0, 200))}`);
  const header = (lines[1] ?? '').replace(/^# /, '').split(' ');
  return lines.slice(2).filter((l) => !l.startsWith('#')).map((line) => {
    const values = line.split(' ');
    const fields = Object.fromEntries(header.map((h, i) => [h, values[i] ?? '']));
    const adm = Number(fields.srv_admin_state);
    return {
      id: `${fields.be_name}/${fields.srv_name}`,
      fields,
      up: Number(fields.srv_op_state) !== 0,
      admin: (adm & 0x01) !== 0 ? 'maint' : (adm & 0x08) !== 0 ? 'drain' : 'ready',
      weight: Number(fields.srv_uweight),
    };
  });
}

/** The row of server `id` (`backend/server`), or undefined. */
export function serverState(output: string, id: string): ServerStateRow | undefined {
  return parseServersState(output).find((r) => r.id === id);
}
