// HAProxy's built-in error responses, or the configured errorfile sent byte for byte.

const REASONS: Record<number, [string, string]> = {
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

export function errorBody(code: number): string {
  const [title, text] = REASONS[code] ?? ['Error', 'An error occurred.'];
  return `<html><body><h1>${code} ${title}</h1>\n${text}\n</body></html>\n`;
}

/** Status line reason used for our own error responses. */
export function errorReason(code: number): string {
  return REASONS[code]?.[0] ?? 'Error';
}

/** Errorfile text, normalised to CRLF line ends in the head as HTTP requires. */
export function rawErrorfile(text: string): Buffer {
  const split = text.search(/\r?\n\r?\n/);
  if (split === -1) return Buffer.from(text.replace(/\r?\n/g, '\r\n'));
  const sepLen = text.startsWith('\r\n', split) ? 4 : text.startsWith('\n\r\n', split) ? 3 : 2;
  const head = text.slice(0, split).replace(/\r?\n/g, '\r\n');
  return Buffer.from(`${head}\r\n\r\n${text.slice(split + sepLen)}`);
}
