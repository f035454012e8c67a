// A tcp frontend's connection routed to an http backend is served as HTTP/1.1 from then on, as
// HAProxy upgrades it in place: its first request goes to the backend chosen when the client
// connected, each later one to the backend the frontend's `use_backend` rules name then (HAProxy
// evaluates them again for every request of the connection). The frontend's own HTTP rules, kept
// by src/config/validate.ts only for such frontends, run as on an http frontend.
import type { Socket } from 'node:net';
import { createHttpHandler, type HttpDeps } from './http-proxy.ts';
import type { Http1Handler, Http1Site } from './http1/server.ts';
import { serveHttp1 } from './http1/server.ts';
import { acceptTimes } from './log-record.ts';
import type { BackendRuntime, FrontendRuntime, WorkerRuntime } from './runtime.ts';

/** The backend chosen at connect time, until the connection's first request takes it. */
const chosenAtConnect = new WeakMap<Socket, { be: BackendRuntime; runtime: WorkerRuntime }>();

/** Serve `client` as HTTP/1.1 on `site`; its first request goes to `be`, chosen under `runtime`. */
export function serveUpgraded(site: Http1Site, client: Socket, be: BackendRuntime, runtime: WorkerRuntime): void {
  chosenAtConnect.set(client, { be, runtime });
  if (!acceptTimes.has(client)) acceptTimes.set(client, Date.now());
  serveHttp1(site, client);
}

/** The request phases of a tcp frontend's upgraded connections, for one route set. */
export function createUpgradedHandler(fe: FrontendRuntime, deps: HttpDeps): Http1Handler {
  const routed = createHttpHandler(fe, false, deps);
  const fixed = new Map<string, Http1Handler>();
  const fixedTo = (name: string): Http1Handler => {
    let h = fixed.get(name);
    if (h === undefined) {
      h = createHttpHandler(routedTo(fe, name), false, deps);
      fixed.set(name, h);
    }
    return h;
  };
  return {
    request(client, head) {
      const first = chosenAtConnect.get(client.socket);
      if (first !== undefined) chosenAtConnect.delete(client.socket);
      // Chosen under an older route set (a reload came before the request): route it anew.
      if (first !== undefined && first.runtime === deps.runtime) fixedTo(first.be.backend.name).request(client, head);
      else routed.request(client, head);
    },
    refused(client, status, reason) {
      chosenAtConnect.delete(client.socket);
      routed.refused(client, status, reason);
    },
  };
}

/** The frontend as seen by a request whose backend is already chosen: no rule to route it elsewhere. */
function routedTo(fe: FrontendRuntime, backend: string): FrontendRuntime {
  return { ...fe, frontend: { ...fe.frontend, defaultBackend: backend, useBackends: [] } };
}
