// The dates HAProxy carries in an insert-mode persistence cookie (`maxidle`, `maxlife`):
// `SRV|LAST[|FIRST]`, each a 30-bit count of 4-second units since the epoch in 5 base64 characters.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A date (epoch seconds) as HAProxy writes it: rounded up to the next 4-second unit. */
export function encodeCookieDate(seconds: number): string {
  let v = Math.floor((seconds + 3) / 4) & 0x3fffffff;
  let out = '';
  for (let i = 0; i < 5; i++) {
    out = (B64[v & 0x3f] as string) + out;
    v >>>= 6;
  }
  return out;
}

/** Epoch seconds, or 0 when the text is not 5 valid characters (or encodes 0). */
export function decodeCookieDate(text: string): number {
  if (text.length < 5) return 0;
  let v = 0;
  for (let i = 0; i < 5; i++) {
    const d = B64.indexOf(text[i] as string);
    if (d < 0) return 0;
    v = v * 64 + d;
  }
  return v * 4;
}
