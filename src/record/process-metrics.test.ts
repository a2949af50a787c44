import { request } from 'undici';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerProcessMetrics, serveProcessMetrics } from './process-metrics.js';

function value(text: string, line: RegExp): number {
  const m = line.exec(text);
  if (!m) throw new Error(`no ${String(line)} in the metrics`);
  return Number(m[1]);
}

describe('process metrics', () => {
  it('export event-loop delay p50/p99/max and utilisation that see a busy loop', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry);
    await registry.metrics(); // the first scrape starts the utilisation window
    const until = Date.now() + 300;
    await new Promise<void>((resolve) => setTimeout(() => {
      while (Date.now() < until) {
        // busy: the loop is blocked and fully utilised
      }
      resolve();
    }, 10));
    await new Promise((r) => setTimeout(r, 50));
    const text = await registry.metrics();
    for (const name of ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'process_resident_memory_bytes']) expect(text).toContain(name);
    expect(value(text, /^nodejs_eventloop_lag_max_seconds (\S+)$/m)).toBeGreaterThan(0.2);
    expect(value(text, /^halab_process_event_loop_utilization\{window="scrape"\} (\S+)$/m)).toBeGreaterThan(0.5);
    expect(value(text, /^halab_process_event_loop_utilization\{window="total"\} (\S+)$/m)).toBeGreaterThan(0);
  });

  it('serves them alone on a listener of their own', async () => {
    const served = await serveProcessMetrics('127.0.0.1');
    try {
      const res = await request(served.url);
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toContain('halab_process_event_loop_utilization');
    } finally {
      served.close();
    }
  });
});
