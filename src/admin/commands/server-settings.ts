// The values `set weight`, `set server … addr|port` take, parsed and answered in HAProxy's words.
import { isIP } from 'node:net';
import type { RuntimeServerSetting, ServerReport } from '../target.ts';

const BY = " by 'stats socket command'";

/** `N` (0..256) or `N%` of the initial weight; HAProxy's error text otherwise. */
export function parseWeight(arg: string | undefined, r: ServerReport): number | string {
  if (arg === undefined || arg === '') return 'Require <weight> or <weight%>.';
  const m = /^(-?\d+)(.*)$/.exec(arg);
  if (m === null) return 'Empty weight string empty or preceded by garbage';
  let w = Number(m[1]);
  if (m[2] === '%') {
    if (w < 0) return 'Relative weight must be positive.';
    w = Math.min(256, Math.floor((r.initialWeight * Math.min(w, 25600)) / 100));
  } else if (w < 0 || w > 256) return 'Absolute weight can only be between 0 and 256 inclusive.';
  else if (m[2] !== '') return 'Trailing garbage in weight string';
  if (w !== 0 && w !== r.initialWeight && r.staticLb === true) return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.";
  return w;
}

export interface AddressChange {
  setting: RuntimeServerSetting;
  answer: string;
}

function portPart(r: ServerReport, arg: string, setting: RuntimeServerSetting): string | { error: string } {
  if (!/^\d+$/.test(arg)) return `problem converting port '${arg}' to an int`;
  const port = Number(arg);
  // HAProxy takes 0 too; handoff refuses a port nothing can connect to.
  if (port < 1 || port > 65535) return { error: `port must be between 1 and 65535, got '${arg}'` };
  if (port === r.port) return 'no need to change the port';
  setting.port = port;
  return `port changed from '${r.port}' to '${port}'`;
}

/** `set server B/S addr IP [port P]`: words after `addr`. */
export function setAddress(r: ServerReport, words: string[]): AddressChange | string {
  const [addr, kw, portArg] = words;
  if (addr === undefined) return 'set server <b>/<s> addr requires an address and optionally a port.';
  if (isIP(addr) === 0) return `Invalid addr '${addr}'${BY}`;
  const setting: RuntimeServerSetting = {};
  const parts: string[] = [];
  if (addr === r.addr) parts.push('no need to change the addr');
  else {
    setting.addr = addr;
    parts.push(`IP changed from '${r.addr}' to '${addr}'`);
  }
  if (kw === 'port' && portArg !== undefined) {
    const p = portPart(r, portArg, setting);
    if (typeof p !== 'string') return p.error;
    parts.push(p);
  }
  return { setting, answer: `${parts.join(', ')}${BY}` };
}

/** `set server B/S port P` (handoff's; HAProxy 2.6 takes the port with `addr` only). */
export function setPort(r: ServerReport, arg: string | undefined): AddressChange | string {
  if (arg === undefined) return 'set server <b>/<s> port requires a port.';
  const setting: RuntimeServerSetting = {};
  const p = portPart(r, arg, setting);
  if (typeof p !== 'string') return p.error;
  return { setting, answer: `${p}${BY}` };
}
