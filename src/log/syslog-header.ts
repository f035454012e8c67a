// The header HAProxy 2.6 writes before a log line, per `log … format F` (log.c build_log_header):
//   raw       msg
//   short     <6>msg                                        (level only)
//   priority  <134>msg                                      (facility * 8 + level)
//   timed     <6>2026-12-02T10:00:00.123000+00:00 msg
//   iso       2026-12-02T10:00:00.123000+00:00 msg
//   local     <134>Dec  2 10:00:00 haproxy[1234]: msg
//   rfc3164   <134>Dec  2 10:00:00 localhost haproxy[1234]: msg   (hostname: log-send-hostname)
//   rfc5424   <134>1 2026-12-02T10:00:00.123000+00:00 - haproxy 1234 - - msg
// Times are local, as HAProxy's; the formatted second is kept, so a line costs one Date.now().
import type { LogHeaderFormat } from '../config/model.ts';

export const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  auth2: 10, ftp: 11, ntp: 12, audit: 13, alert: 14, cron2: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
export const LEVELS: Record<string, number> = {
  emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7,
};

/** HAProxy's default tag is its program name; rsyslog rules (Debian's 49-haproxy.conf) match `haproxy`. */
export const DEFAULT_LOG_TAG = 'haproxy';
/** HAProxy's default `len`. */
export const DEFAULT_LOG_LEN = 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `Dec  2 10:00:00` (RFC 3164: space-padded day). */
export function legacyStamp(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** `2026-12-02T10:00:00` and `+00:00`, local time: the parts of an ISO stamp around the fraction. */
function isoParts(d: Date): [string, string] {
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
  return [`${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`, zone];
}

export interface HeaderOptions {
  format: LogHeaderFormat;
  facility: number;
  level: number;
  tag: string;
  pid: number;
  hostname?: string;
}

/** A function from a time (epoch ms) to the header; the second's text is computed once. */
export function headerBuilder(o: HeaderOptions): (ms: number) => string {
  const pri = `<${o.facility * 8 + o.level}>`;
  let second = -1;
  let legacy = '';
  let iso: [string, string] = ['', ''];
  const at = (ms: number): void => {
    const s = Math.floor(ms / 1000);
    if (s === second) return;
    second = s;
    const d = new Date(ms);
    legacy = legacyStamp(d);
    iso = isoParts(d);
  };
  const isoStamp = (ms: number): string => `${iso[0]}.${String(ms % 1000).padStart(3, '0')}000${iso[1]}`;
  switch (o.format) {
    case 'raw':
      return () => '';
    case 'short':
      return () => `<${o.level}>`;
    case 'priority':
      return () => pri;
    case 'timed':
      return (ms) => (at(ms), `<${o.level}>${isoStamp(ms)} `);
    case 'iso':
      return (ms) => (at(ms), `${isoStamp(ms)} `);
    case 'local':
      return (ms) => (at(ms), `${pri}${legacy} ${o.tag}[${o.pid}]: `);
    case 'rfc3164': {
      const host = o.hostname ?? 'localhost';
      return (ms) => (at(ms), `${pri}${legacy} ${host} ${o.tag}[${o.pid}]: `);
    }
    case 'rfc5424': {
      const rest = ` ${o.hostname ?? '-'} ${o.tag} ${o.pid} - - `;
      return (ms) => (at(ms), `${pri}1 ${isoStamp(ms)}${rest}`);
    }
  }
}
