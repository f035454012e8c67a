// The configuration head the stick-table integration tests share: an http frontend on `port`
// whose default backend is `be` (the test writes `backend be` and its stick rules after it).
export function frontendToBackendBe(port: number): string {
  return `global
  stats timeout 5s
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
`;
}
