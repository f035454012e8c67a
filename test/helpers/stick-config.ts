// The configuration heads the stick-table integration tests share.

/** `global` (a short CLI idle limit) and http `defaults`; the test writes its proxies after it. */
export const STICK_HEAD = `global
  stats timeout 5s
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
`;

/** An http frontend on `port` whose default backend is `be` (the test writes `backend be` after it). */
export function frontendToBackendBe(port: number): string {
  return `${STICK_HEAD}frontend fe
  bind 127.0.0.1:${port}
  default_backend be
`;
}
