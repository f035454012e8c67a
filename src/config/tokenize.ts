// Splits configuration lines into words the way HAProxy's parser does: whitespace separates
// words, `#` starts a comment outside quotes, single quotes are literal, double quotes allow
// escapes and `${VAR}` expansion, and a backslash escapes a space, `#`, a quote or itself.

export interface TokenizedLine {
  /** 1-based line number in the file. */
  line: number;
  words: string[];
}

export type TokenizeResult = { ok: true; words: string[] } | { ok: false; error: string };

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', ' ': ' ', '#': '#', '\\': '\\', "'": "'", '"': '"' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';
}

/**
 * Tokenize one line. `env` is used for `$VAR` / `${VAR}` / `${VAR-default}` inside double quotes
 * (HAProxy expands variables only there); an unset variable without a default expands to the
 * empty string, as in HAProxy.
 */
export function tokenizeLine(text: string, env: Readonly<Record<string, string | undefined>> = {}): TokenizeResult {
  const words: string[] = [];
  let word = '';
  // A word exists once any character or quote pair was seen, so `""` yields an empty word.
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = '';
      else word += c;
      i++;
      continue;
    }
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) {
        word += '\\';
        inWord = true;
        i++;
        continue;
      }
      if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
        word += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        const mapped = ESCAPES[next];
        // Unknown escapes stay as written so regexes like `\.` keep their meaning.
        word += mapped ?? `\\${next}`;
        i += 2;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') {
        quote = '';
        i++;
        continue;
      }
      if (c === '$') {
        // `$VAR`, `${VAR}`, and `${VAR-default}` (the default when VAR is not set).
        const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
        if (m !== null) {
          word += env[m[1] ?? m[3] ?? ''] ?? m[2] ?? '';
          i += m[0].length;
          continue;
        }
      }
      word += c;
      i++;
      continue;
    }
    if (c === '#') break;
    if (isSpace(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  if (quote !== '') return { ok: false, error: `unmatched ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) words.push(word);
  return { ok: true, words };
}

/** Split a file's text into lines (LF or CRLF), keeping 1-based numbers. */
export function splitLines(text: string): { line: number; text: string }[] {
  return text.split(/\r?\n/).map((t, idx) => ({ line: idx + 1, text: t }));
}
