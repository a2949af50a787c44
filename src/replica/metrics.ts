// Prometheus metrics of a stand-in replica under the names vLLM exports, so the same dashboards
// and health checks work against real engines. One registry per replica (not prom-client's global).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '../record/process-metrics.js';
import type { ReplicaCore } from './replica-core.js';

export interface ReplicaMetrics {
  readonly registry: Registry;
  readonly ttft: Histogram<'model_name'>;
  readonly tpot: Histogram<'model_name'>;
  readonly e2e: Histogram<'model_name'>;
  readonly promptTokens: Counter<'model_name'>;
  readonly generationTokens: Counter<'model_name'>;
  readonly success: Counter<'model_name' | 'finished_reason'>;
}

export function createReplicaMetrics(core: ReplicaCore): ReplicaMetrics {
  const registry = new Registry();
  // coarse loop-delay sampling: an idle replica's wake-ups are its cost (issue 19)
  registerProcessMetrics(registry, 50);
  const labels = { model_name: core.opts.modelName };
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, labelNames: ['model_name'], registers: [registry], collect() { this.set(labels, read()); } });
  gauge('vllm:num_requests_running', 'Number of requests currently running on GPU.', () => core.engine.stats().running);
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', () => core.engine.stats().waiting);
  gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', () => core.engine.stats().kvUsage);
  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames: ['model_name'], buckets, registers: [registry] });
  return {
    registry,
    ttft: histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]),
    tpot: histogram('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.', [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5]),
    e2e: histogram('vllm:e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60]),
    promptTokens: new Counter({ name: 'vllm:prompt_tokens_total', help: 'Number of prefill tokens processed.', labelNames: ['model_name'], registers: [registry] }),
    generationTokens: new Counter({ name: 'vllm:generation_tokens_total', help: 'Number of generation tokens processed.', labelNames: ['model_name'], registers: [registry] }),
    success: new Counter({ name: 'vllm:request_success_total', help: 'Count of successfully processed requests.', labelNames: ['model_name', 'finished_reason'], registers: [registry] }),
  };
}
