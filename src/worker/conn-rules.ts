// `tcp-request connection accept|reject|track-scN` as a connection is accepted, on what the socket
// shows: a track-sc counts the connection (conn_cnt, conn_rate, conn_cur, sess_*) on the master's
// entry and holds it until the connection closes; every HTTP request of the connection then
// counts on the same trackers (HAProxy's session counters), which its `sc_*` fetches read.
import type net from 'node:net';
import type { TcpConnectionRule } from '../config/model.ts';
import type { StickTrackEvents } from '../stick/types.ts';
import { evaluate } from './rules.ts';
import type { SampleContext } from './sample.ts';
import { clearNeeds, lookUpNeeded, startTracking } from './stick-actions.ts';
import type { StickClient, StickState } from './stick-client.ts';
import { TcpSampleContext } from './tcp-proxy.ts';
import type { WorkerRuntime } from './runtime.ts';

const CONN_TRACK: StickTrackEvents = { conn: true, sess: true, httpReq: false };
const REQUEST: StickTrackEvents = { conn: false, sess: false, httpReq: true };

/** The trackers a connection holds, by its socket. */
const held = new WeakMap<net.Socket, StickState>();

/** Run the rules; false when one rejects the connection (its trackers are then released). */
export async function runConnectionRules(rules: readonly TcpConnectionRule[], sock: net.Socket, runtime: WorkerRuntime, proxy: string): Promise<boolean> {
  const x: SampleContext = new TcpSampleContext(sock, runtime);
  const st: StickState | undefined = runtime.stick === undefined ? undefined : { client: runtime.stick, slots: [], proxy };
  if (st !== undefined) x.stick = st;
  let accepted = true;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as TcpConnectionRule;
    clearNeeds(x);
    const holds = r.cond === undefined || evaluate(r.cond, x);
    // A src_*/table_* fetch on an address not tracked: asked of the master, then the rule again.
    const lookUp = lookUpNeeded(x);
    if (lookUp !== undefined) {
      await lookUp;
      i--;
      continue;
    }
    if (!holds) continue;
    if (r.action !== 'track-sc') {
      accepted = r.action === 'accept';
      break;
    }
    await startTracking(r, x, CONN_TRACK);
  }
  if (st === undefined || !st.slots.some((e) => e !== undefined)) return accepted;
  if (!accepted || sock.destroyed) {
    release(st);
    return false;
  }
  held.set(sock, st);
  sock.once('close', () => release(st));
  return true;
}

function release(st: StickState): void {
  for (const e of st.slots) if (e !== undefined) st.client.update(e.table, e.key, { release: true });
  st.slots = [];
}

/** A request's stick state: the connection's trackers (their slots taken) and its own to come. */
export function requestStickState(client: StickClient, sock: net.Socket): StickState {
  const conn = held.get(sock) ?? held.get((sock as { _parent?: net.Socket })._parent as net.Socket);
  if (conn === undefined) return { client, slots: [] };
  return { client, slots: [...conn.slots], connSlots: conn.slots.map((e) => e !== undefined) };
}

/** Count the request on the connection's trackers (one round trip, its values read fresh); undefined: none. */
export function countRequest(st: StickState | undefined): Promise<void> | undefined {
  if (st?.connSlots === undefined) return undefined;
  const counted = st.slots.map((e, i) => (e === undefined || st.connSlots?.[i] !== true ? undefined
    : st.client.track(e.table, e.key, REQUEST).then((fresh) => {
      if (fresh !== undefined) st.slots[i] = fresh;
    })));
  return Promise.all(counted).then(() => undefined);
}
