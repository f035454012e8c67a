// HAProxy's built-in error responses, or the configured errorfile sent byte for byte.

const REASONS: Record<number, [string, string]> = {
  200: ['OK', 'Service ready.'],
  400: ['Bad request', 'Your browser sent an invalid request.'],
  401: ['Unauthorized', 'You need a valid user and password to access this content.'],
  403: ['Forbidden', 'Request forbidden by administrative rules.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  407: ['Unauthorized', 'You need a valid user and password to access this content.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  410: ['Gone', 'The resource is no longer available and will not be available again.'],
  413: ['Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  425: ['Too Early', 'Your browser sent early data.'],
  429: ['Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  501: ['Not Implemented', '.The server does not support the functionality required to fulfill the request.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

/** HAProxy's reason phrases (http_get_reason), for responses it builds from a status alone. */
const PHRASES: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 200: 'OK', 201: 'Created', 202: 'Accepted',
  203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status',
  210: 'Content Different', 226: 'IM Used', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  310: 'Too many Redirects', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Time-out', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Requested range unsatisfiable', 417: 'Expectation failed', 418: "I'm a teapot", 421: 'Misdirected Request',
  422: 'Unprocessable Content', 423: 'Locked', 424: 'Method failure', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 449: 'Retry With',
  450: 'Blocked by Windows Parental Controls', 451: 'Unavailable For Legal Reasons', 456: 'Unrecoverable Error',
  499: 'client has closed connection', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway or Proxy Error',
  503: 'Service Unavailable', 504: 'Gateway Time-out', 505: 'HTTP Version not supported', 506: 'Variant also negotiate',
  507: 'Insufficient storage', 508: 'Loop detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not extended',
  511: 'Network authentication required', 520: 'Web server is returning an unknown error',
};

/** The reason phrase HAProxy gives a status it sets (`set-status`, `return`): `Other` when it has none. */
export function reasonPhrase(status: number): string {
  return PHRASES[status] ?? 'Other';
}

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
