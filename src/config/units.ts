// Value parsers shared by keyword modules: each returns a value or an error message naming the
// offending text, so the caller can attach the line.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** HAProxy time: an integer with an optional unit (us ms s m h d); a bare number is milliseconds. */
export function parseTime(text: string | undefined): Parsed<number> {
  if (text === undefined || text === '') return { ok: false, error: 'expects a time value such as 5s or 500ms' };
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (m === null) {
    const bad = /^\d+(.*)$/.exec(text);
    if (bad !== null) return { ok: false, error: `invalid time '${text}': unknown unit '${bad[1]}' (use us, ms, s, m, h or d)` };
    return { ok: false, error: `invalid time '${text}': expects a number with an optional unit (us, ms, s, m, h, d)` };
  }
  const value = Number(m[1]) * (TIME_UNITS[m[2] ?? 'ms'] ?? 1);
  if (value > 2_147_483_647) return { ok: false, error: `time '${text}' is too large (maximum is about 24 days)` };
  return { ok: true, value };
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Sizes in bytes with an optional k/m/g suffix (powers of 1024, case-insensitive). */
export function parseSize(text: string | undefined): Parsed<number> {
  const m = text === undefined ? null : /^(\d+)([kmgKMG]?)$/.exec(text);
  if (m === null) return { ok: false, error: `invalid size '${text ?? ''}': expects a number with an optional k, m or g suffix` };
  return { ok: true, value: Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1) };
}

/** A non-negative integer within [min, max]. */
export function parseInteger(text: string | undefined, min: number, max: number): Parsed<number> {
  if (text === undefined || !/^\d+$/.test(text)) return { ok: false, error: `expects an integer, got '${text ?? ''}'` };
  const value = Number(text);
  if (value < min || value > max) return { ok: false, error: `value ${value} is out of range ${min}..${max}` };
  return { ok: true, value };
}
