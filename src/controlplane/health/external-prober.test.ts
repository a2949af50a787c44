// Health checks by endpoint kind against a real stand-in HTTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import type { ExternalReplicaSpec } from '../../config/topology.js';
import { DEFAULT_STANDIN, startUpstreamStandin, type RunningStandin } from '../../replica/upstream-standin.js';
import { dcgmSignal, ExternalProber, metricValue } from './external-prober.js';

let s: RunningStandin;
const prober = new ExternalProber({ probeTimeoutMs: 500, latencyMaxMs: 1000 }, realClock, { KEY: 'secret' });
const spec = (over: Partial<ExternalReplicaSpec>): ExternalReplicaSpec => ({ kind: 'generic', model: DEFAULT_STANDIN.modelName, launched: false, ...over });

beforeAll(async () => {
  s = await startUpstreamStandin({ ...DEFAULT_STANDIN, host: '127.0.0.1', clock: realClock, firstTokenMs: 1, tokenMs: 1 });
});
afterAll(async () => s.close());

describe('external prober', () => {
  it('checks each kind by its own endpoints; GPU is unmeasured without a metrics URL', async () => {
    for (const kind of ['vllm', 'tgi', 'llamacpp', 'generic'] as const) {
      const r = await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind, apiKeyEnv: 'KEY' }) });
      expect([kind, r.liveness?.ok, r.model.ok, r.inference.ok, r.unmeasured]).toEqual([kind, true, true, true, ['gpu']]);
    }
    expect(s.requests()).toBe(1); // only the generic kind sends a real probe completion
  });

  it('fails the model signal when the endpoint serves another model', async () => {
    const r = await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind: 'vllm', model: 'gpt-9' }) });
    expect(r.model).toMatchObject({ ok: false, reason: `/v1/models does not list gpt-9 (lists ${DEFAULT_STANDIN.modelName})` });
  });

  it('reads GPU health from DCGM metrics: an Xid fails at once', async () => {
    const gpu = { gpuMetricsUrl: `${s.url}/dcgm/metrics` };
    expect((await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind: 'vllm', ...gpu }) })).gpu).toEqual({ ok: true });
    await fetch(`${s.url}/admin/gpu`, { method: 'POST', body: JSON.stringify({ xid: 79 }) });
    const r = await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind: 'vllm', ...gpu }) });
    expect(r.gpu).toEqual({ ok: false, reason: 'GPU reports Xid 79', immediate: true });
    expect(r.unmeasured).toBeUndefined();
    await fetch(`${s.url}/admin/gpu`, { method: 'POST', body: JSON.stringify({ xid: 0 }) });
  });

  it('fails liveness when the endpoint is down, and recovers', async () => {
    s.state.set({ mode: 'down', forMs: 300 }, Date.now());
    for (const kind of ['vllm', 'generic'] as const) {
      const r = await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind }) });
      expect(r.liveness?.ok).toBe(false);
    }
    await realClock.sleep(350);
    expect((await prober.probe({ id: 'x', httpUrl: s.url, external: spec({ kind: 'llamacpp' }) })).liveness?.ok).toBe(true);
  });

  it('spends completion probes within budget: at most one per completionIntervalMs per endpoint × model, one at once when the endpoint comes back', async () => {
    const budgeted = new ExternalProber({ probeTimeoutMs: 500, latencyMaxMs: 1000, completionIntervalMs: 400 }, realClock);
    const target = { id: 'budget', httpUrl: s.url, external: spec({ kind: 'generic' }) };
    const before = s.requests();
    const started = performance.now();
    while (performance.now() - started < 1000) {
      expect((await budgeted.probe(target)).inference.ok).toBe(true);
      await realClock.sleep(50);
    }
    const sent = s.requests() - before;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(Math.ceil((performance.now() - started) / 400) + 1);
    expect(budgeted.completionProbes).toBe(sent);
    // a failed model keeps its verdict between probes; the endpoint going down spends none
    s.state.set({ mode: 'down', forMs: 300 }, Date.now());
    const down = await budgeted.probe(target);
    expect(down.inference.ok).toBe(false);
    expect(budgeted.completionProbes).toBe(sent);
    await realClock.sleep(350);
    expect((await budgeted.probe(target)).inference.ok).toBe(true);
    expect(budgeted.completionProbes).toBe(sent + 1);
  });

  it('checks every model the route groups send an endpoint, in /v1/models and by completion', async () => {
    const r = await prober.probe({ id: 'models', httpUrl: s.url, external: spec({ kind: 'generic', models: [DEFAULT_STANDIN.modelName, 'gpt-9'] }) });
    expect(r.model).toMatchObject({ ok: false, reason: `/v1/models does not list gpt-9 (lists ${DEFAULT_STANDIN.modelName})` });
    expect(r.inference).toMatchObject({ ok: false, reason: expect.stringMatching(/probe completion of gpt-9: status 404/) });
  });

  it('parses Prometheus text', () => {
    expect(metricValue('a{x="1"} 2\na{x="2"} 3\nab 9\n', 'a')).toBe(5);
    expect(metricValue('b 1\n', 'a')).toBeUndefined();
    expect(dcgmSignal('nothing')).toMatchObject({ ok: false });
  });
});
