// Prometheus metrics of the global load balancer (prom-client, one registry per process): client
// requests by home and serving region and outcome, region health, and counters fed from its events
// (ejections, failovers, failbacks, cross-region resumes and retries).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '../../record/process-metrics.js';
import type { LabEvent } from '../../record/events.js';
import { EV } from '../../record/event-types.js';

export interface GlbMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'home' | 'region' | 'outcome'>;
  /** Time to the first token sent to the client, from the request's accept (src/core/accept-time.ts). */
  readonly ttft: Histogram;
  observeEvent(e: LabEvent): void;
  /** Region health read at scrape time: 1 available, 0 not. */
  bindRegions(read: () => { region: string; available: boolean }[]): void;
}

export function createGlbMetrics(): GlbMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const requests = new Counter({ name: 'halab_glb_requests_total', help: 'Client requests by home region, the region that ended them, and outcome (ok, failed, interrupted, invalid).', labelNames: ['home', 'region', 'outcome'], registers: [registry] });
  const ttft = new Histogram({ name: 'halab_glb_time_to_first_token_seconds', help: 'Time from accepting a request to its first token sent to the client (accept time includes a saturated event loop\'s wait).', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers: [registry] });
  const ejections = new Counter({ name: 'halab_glb_ejections_total', help: 'Regions ejected on passive evidence, by kind.', labelNames: ['region', 'kind'], registers: [registry] });
  const failovers = new Counter({ name: 'halab_glb_failovers_total', help: 'Home regions whose clients moved to another region.', labelNames: ['home'], registers: [registry] });
  const failbacks = new Counter({ name: 'halab_glb_failbacks_total', help: 'Home regions whose clients came home again.', labelNames: ['home'], registers: [registry] });
  const resumes = new Counter({ name: 'halab_glb_resumes_total', help: 'Streams continued in another region after tokens were sent.', registers: [registry] });
  const retries = new Counter({ name: 'halab_glb_retries_total', help: 'Requests retried in another region before the first token.', registers: [registry] });
  let read = (): { region: string; available: boolean }[] => [];
  new Gauge({
    name: 'halab_glb_region_available',
    help: 'Whether the GLB routes new requests to the region (1) or not (0).',
    labelNames: ['region'],
    registers: [registry],
    collect() {
      for (const r of read()) this.set({ region: r.region }, r.available ? 1 : 0);
    },
  });
  return {
    registry,
    requests,
    ttft,
    observeEvent(e) {
      if (e.type === EV.glbEject) ejections.inc({ region: e.subject, kind: String(e.data?.kind ?? 'unknown') });
      else if (e.type === EV.glbFailover) failovers.inc({ home: e.subject });
      else if (e.type === EV.glbFailback) failbacks.inc({ home: e.subject });
      else if (e.type === EV.glbRequestResumed) resumes.inc();
      else if (e.type === EV.glbRequestRetried) retries.inc();
    },
    bindRegions(fn) {
      read = fn;
    },
  };
}
