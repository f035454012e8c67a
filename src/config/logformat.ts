// HAProxy's predefined log formats and the check of `%` variables in custom ones.

/** `option httplog` */
export const HTTPLOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';
/** `option httplog clf` */
export const CLF_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';
/** `option tcplog`, and handoff's default when a logging proxy names no format. */
export const TCPLOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

/** Variables of HAProxy's log-format (configuration manual, "Custom log format"). */
export const KNOWN_LOG_VARIABLES = new Set([
  'o', 'B', 'CC', 'CS', 'H', 'HM', 'HP', 'HPO', 'HQ', 'HU', 'HV', 'ID', 'ST', 'T', 'Ta', 'Tc', 'Td',
  'Th', 'Ti', 'Tl', 'Tq', 'TR', 'Tr', 'Ts', 'Tt', 'Tu', 'Tw', 'U', 'ac', 'b', 'bc', 'bi', 'bp', 'bq',
  'ci', 'cp', 'f', 'fc', 'fi', 'fp', 'ft', 'hr', 'hrl', 'hs', 'hsl', 'hu', 'lc', 'ms', 'pid', 'r', 'rc',
  'rt', 's', 'sc', 'si', 'sp', 'sq', 'sslc', 'sslv', 't', 'tr', 'trg', 'trl', 'ts', 'tsc',
]);

/** Problems in a log-format string: unknown variables, unterminated `%{` / `%[`. */
export function checkLogFormat(format: string): string[] {
  const problems: string[] = [];
  let i = 0;
  while (i < format.length) {
    if (format[i] !== '%') {
      i++;
      continue;
    }
    i++;
    if (format[i] === '%') {
      i++;
      continue;
    }
    if (format[i] === '{') {
      const end = format.indexOf('}', i);
      if (end === -1) {
        problems.push("unterminated '%{' in log-format");
        break;
      }
      i = end + 1;
    }
    if (format[i] === '[') {
      // Sample expressions are passed to the log subsystem as written.
      const end = format.indexOf(']', i);
      if (end === -1) {
        problems.push("unterminated '%[' in log-format");
        break;
      }
      i = end + 1;
      continue;
    }
    const m = /^[A-Za-z]+/.exec(format.slice(i));
    if (m === null) {
      problems.push(`'%' at offset ${i - 1} is not followed by a variable name (write '%%' for a literal '%')`);
      continue;
    }
    // As in HAProxy, a name runs to the first non-letter: `%Tw/` is Tw, `%hrl` is hrl.
    const name = m[0];
    if (!KNOWN_LOG_VARIABLES.has(name)) problems.push(`unknown log-format variable '%${name}'`);
    i += name.length;
  }
  return problems;
}
