// How HAProxy's CLI cuts what a client sends into requests and words (management.txt §9.3): a
// request ends at a newline or at a `;` not preceded by a backslash; `\r` before the newline is
// dropped; a request ending in `<<` starts a payload, lines up to an empty one. Inside a request,
// words are separated by spaces or tabs, a backslash escapes the next character (`\;`, `\ `) and
// is removed (`\\` keeps one).

/** The first request in `buf` (bytes before its delimiter, `\r` dropped) and the bytes consumed, or null when incomplete. */
export function takeRequest(buf: Buffer, inPayload: boolean): { line: string; consumed: number } | null {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x5c && !inPayload) {
      i++; // the escaped byte is never a delimiter
      continue;
    }
    if (c === 0x0a || (c === 0x3b && !inPayload)) {
      let end = i;
      if (end > 0 && buf[end - 1] === 0x0d) end--;
      return { line: buf.subarray(0, end).toString('utf8'), consumed: i + 1 };
    }
  }
  return null;
}

/** A request line ending in `<<` opens a payload (HAProxy's test is on the last two bytes). */
export function opensPayload(line: string): boolean {
  return line.endsWith('<<');
}

/** The words of a request, unescaped; a final word `<<` (the payload pattern) is not one of them. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line.slice(i) === '<<') break;
    let word = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '\\') {
        i++;
        if (i < line.length) word += line[i];
        i++;
        continue;
      }
      word += line[i];
      i++;
    }
    out.push(word);
  }
  return out;
}
