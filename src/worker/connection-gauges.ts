// The stat table's connection gauges of each server, read from its upstream pool just before the
// counters are reported: `srv_icur` and `safe_conn_cur` (kept-alive connections waiting for a
// request: every one has served one, so HAProxy would call them safe), `idle_conn_cur` (unsafe
// idle ones: none), `used_conn_cur` (connections carrying a request; a tcp server's sessions).
import type { WorkerRuntime } from './runtime.ts';

export function sampleConnections(runtimes: Iterable<WorkerRuntime>): void {
  for (const rt of runtimes) {
    for (const be of rt.backends.values()) {
      for (const srv of be.servers) {
        const idle = srv.pool.idle.length;
        const st = srv.counters.stats;
        st.srv_icur = idle;
        st.safe_conn_cur = idle;
        st.idle_conn_cur = 0;
        st.used_conn_cur = be.backend.mode === 'http' ? srv.pool.count - idle : srv.active;
      }
    }
  }
}
