// What every lab process exports about itself on its /metrics: prom-client's default Node metrics
// (event-loop delay p50/p90/p99/max from perf_hooks.monitorEventLoopDelay as
// nodejs_eventloop_lag_*_seconds, resident memory, CPU, heap) and the event loop's utilisation
// (perf_hooks eventLoopUtilization) since the previous scrape and since start — the two signs of a
// process past its capacity that a saturated loop otherwise hides.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { guardHandler } from '../protocol/http-guard.js';

/**
 * Adds the process metrics to `registry` (one call per registry). `loopDelayResolutionMs` is the
 * delay histogram's sampling period: finer costs more wake-ups (a stand-in replica uses a coarser one).
 */
export function registerProcessMetrics(registry: Registry, loopDelayResolutionMs = 10): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: loopDelayResolutionMs });
  const start = performance.eventLoopUtilization();
  let previous: EventLoopUtilization = start;
  new Gauge({
    name: 'halab_process_event_loop_utilization',
    help: 'Share of time the event loop was busy (perf_hooks eventLoopUtilization), over the time since the previous scrape (window="scrape") and since the metrics started (window="total").',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set({ window: 'scrape' }, performance.eventLoopUtilization(now, previous).utilization);
      this.set({ window: 'total' }, performance.eventLoopUtilization(now, start).utilization);
      previous = now;
    },
  });
}

/**
 * Serves this process's metrics alone (GET /metrics on host:0), for a lab process whose own HTTP
 * surface is someone else's (the llama.cpp sidecar proxies the engine's /metrics).
 */
export async function serveProcessMetrics(host: string): Promise<{ url: string; close: () => void }> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  return serveMetrics(registry, host);
}

/** Serves GET /metrics of `registry` on host:0; resolves with the URL and a close function. */
export async function serveMetrics(registry: Registry, host: string): Promise<{ url: string; close: () => void }> {
  const server = createServer(guardHandler((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
  }));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}/metrics`, close: () => server.close() };
}
