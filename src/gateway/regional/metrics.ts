// Prometheus metrics of a gateway (prom-client, one registry per process). Counters that follow
// events (ejections, resumes, retries) are fed from the gateway's event sink.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '../../record/process-metrics.js';
import type { LabEvent } from '../../record/events.js';
import { EV } from '../../record/event-types.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'region' | 'outcome'>;
  readonly ttft: Histogram<'region'>;
  /** Upstream attempts by group and outcome; only outcome "done" is a completion. */
  readonly attempts: Counter<'group' | 'outcome'>;
  observeEvent(e: LabEvent): void;
  /** Gauges read at scrape time. */
  bindGauges(inFlight: () => number, available: () => number): void;
}

export function createGatewayMetrics(region: string): GatewayMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ region });
  registerProcessMetrics(registry);
  const requests = new Counter({ name: 'halab_gateway_requests_total', help: 'Client requests by outcome (ok, failed, interrupted, rejected, invalid).', labelNames: ['region', 'outcome'], registers: [registry] });
  const ttft = new Histogram({ name: 'halab_gateway_time_to_first_token_seconds', help: 'Time to the first token sent to the client.', labelNames: ['region'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry] });
  const ejections = new Counter({ name: 'halab_gateway_ejections_total', help: 'Replicas ejected on passive evidence, by kind (connect, reset, status, timeout, stall, cut).', labelNames: ['replica', 'kind'], registers: [registry] });
  const readmissions = new Counter({ name: 'halab_gateway_readmissions_total', help: 'Ejected replicas re-admitted after good health probes.', labelNames: ['replica'], registers: [registry] });
  const resumes = new Counter({ name: 'halab_gateway_resumes_total', help: 'Streams continued on another replica after tokens were sent.', registers: [registry] });
  const retries = new Counter({ name: 'halab_gateway_retries_total', help: 'Requests retried on another replica before the first token.', registers: [registry] });
  const attempts = new Counter({ name: 'halab_gateway_upstream_attempts_total', help: 'Upstream attempts by route group and outcome (done is the only completion; failed attempts are not completions).', labelNames: ['group', 'outcome'], registers: [registry] });
  let readInFlight = (): number => 0;
  let readAvailable = (): number => 0;
  new Gauge({ name: 'halab_gateway_in_flight_requests', help: 'Client requests in flight.', registers: [registry], collect() { this.set(readInFlight()); } });
  new Gauge({ name: 'halab_gateway_available_replicas', help: 'Replicas this gateway may route to now.', registers: [registry], collect() { this.set(readAvailable()); } });
  return {
    registry,
    requests,
    ttft,
    attempts,
    observeEvent(e) {
      const kind = String(e.data?.kind ?? 'unknown');
      if (e.type === EV.passiveEject) ejections.inc({ replica: e.subject, kind });
      else if (e.type === EV.passiveReadmit) readmissions.inc({ replica: e.subject });
      else if (e.type === EV.requestResumed) resumes.inc();
      else if (e.type === EV.requestRetried) retries.inc();
    },
    bindGauges(inFlight, available) {
      readInFlight = inFlight;
      readAvailable = available;
    },
  };
}
