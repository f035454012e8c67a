// `http-request use-service prometheus-exporter`: the worker asks the master for the stat rows and
// what the exporter needs beyond them (histograms, reloads, process values), as the stats page
// does, and answers HAProxy's exporter format. Runs on a scrape only, never per proxied request.
import type { MetricsExtra, StatsSnapshot } from '../ipc/messages.ts';
import { parseMetricsQuery, renderPrometheus, PROMETHEUS_CONTENT_TYPE } from '../admin/prometheus.ts';
import { errorBody } from './errors.ts';
import type { Http1Connection } from './http1/server.ts';
import type { RequestHead } from './http1/parse.ts';

/** The master's answer to a `stats-request`. */
export interface StatsReply {
  snapshot: StatsSnapshot;
  metrics?: MetricsExtra;
}

export type StatsSource = (timeoutMs: number, metrics: boolean) => Promise<StatsReply | undefined>;

const NO_CACHE = ['cache-control', 'no-cache'];

function answerError(client: Http1Connection, status: 400 | 503, done: (status: number) => void): void {
  client.respond(status, status === 400 ? 'Bad Request' : 'Service Unavailable', ['content-type', 'text/html', ...NO_CACHE], errorBody(status));
  done(status);
}

export function serveMetrics(source: StatsSource, client: Http1Connection, head: RequestHead, done: (status: number) => void): void {
  const query = parseMetricsQuery(head.uri);
  if (query === undefined) {
    answerError(client, 400, done);
    return;
  }
  source(1000, true)
    .then(async (reply) => {
      if (client.closedOrGone) return;
      if (reply?.metrics === undefined) {
        answerError(client, 503, done);
        return;
      }
      const body = await renderPrometheus(reply.snapshot, reply.metrics, query);
      if (client.closedOrGone) return;
      client.respond(200, 'OK', ['content-type', PROMETHEUS_CONTENT_TYPE, ...NO_CACHE], body);
      done(200);
    })
    .catch(() => client.abort());
}
