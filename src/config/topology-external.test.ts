import { describe, expect, it } from 'vitest';
import { buildTopology } from './topology.js';
import { routesFromTopology } from './model-routes.js';

const base = (clusters: unknown[], extra: Record<string, unknown> = {}) => ({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters }], ...extra });

describe('external clusters and routes in topology files', () => {
  it('expands external endpoints into replicas with their kind, URL, key variable and GPU metrics', () => {
    const t = buildTopology(
      base([
        { name: 'vllm', external: { kind: 'vllm', apiKeyEnv: 'VLLM_KEY', endpoints: [{ url: 'http://127.0.0.1:8000/', gpuMetricsUrl: 'http://127.0.0.1:9400/metrics' }, { url: 'http://127.0.0.1:8001' }] } },
        { name: 'local', gpus: 1 },
      ]),
      'f.yaml',
    );
    expect(t.clusters.find((c) => c.name === 'vllm')?.gpus).toBe(2);
    expect(t.replicas[0]).toMatchObject({ id: 'r/vllm/0', external: { kind: 'vllm', url: 'http://127.0.0.1:8000', apiKeyEnv: 'VLLM_KEY', gpuMetricsUrl: 'http://127.0.0.1:9400/metrics', model: 'llama-3-8b-instruct', launched: false } });
    expect(t.replicas[2]!.external).toBeUndefined();
  });

  it('names what is wrong and where', () => {
    expect(() => buildTopology(base([{ name: 'a' }]), 'f.yaml')).toThrow(/f.yaml: regions\[0\].clusters\[0\].gpus: required for a stand-in cluster/);
    expect(() => buildTopology(base([{ name: 'a', gpus: 3, external: { endpoints: [{ url: 'http://127.0.0.1:1' }] } }]), 'f.yaml')).toThrow(/clusters\[0\].gpus: is 3 but external.endpoints lists 1/);
    expect(() => buildTopology(base([{ name: 'a', external: { endpoints: [{}] } }]), 'f.yaml')).toThrow(/external.endpoints\[0\].url: required \(or set external.standin/);
    expect(() => buildTopology(base([{ name: 'a', external: { kind: 'ollama', endpoints: [{ url: 'http://x' }] } }]), 'f.yaml')).toThrow(/external.kind/);
    expect(() => buildTopology(base([{ name: 'a', gpus: 1 }], { routes: [{ model: 'm', groups: [{ clusters: ['r/b'] }] }] }), 'f.yaml')).toThrow(/routes\[0\].groups\[0\].clusters\[0\]: no cluster "r\/b"; known: r\/a/);
    expect(() => buildTopology(base([{ name: 'a', gpus: 1 }], { routes: [{ model: 'm', groups: [{ clusters: ['r/a'] }] }, { model: 'm', groups: [{ clusters: ['r/a'] }] }] }), 'f.yaml')).toThrow(/routes\[1\].model: duplicate route/);
  });

  it('turns routes into ordered groups with capabilities; no routes means one default group', () => {
    const t = buildTopology(
      base([{ name: 'a', gpus: 1 }, { name: 'b', gpus: 1 }], { routes: [{ model: 'chat', groups: [{ name: 'main', clusters: ['r/a'], assistantPrefill: true, contextLength: 8192 }, { clusters: ['r/b'], model: 'other', deterministic: true }] }] }),
      'f.yaml',
    );
    const [route] = routesFromTopology(t);
    expect(route!.model).toBe('chat');
    expect(route!.groups.map((g) => [g.name, g.model, g.assistantPrefill, g.deterministic, g.contextLengthTokens])).toEqual([
      ['main', 'llama-3-8b-instruct', true, false, 8192],
      ['chat-1', 'other', false, true, undefined],
    ]);
    const plain = routesFromTopology(buildTopology(base([{ name: 'a', gpus: 1 }]), 'f.yaml'));
    expect(plain[0]!.groups[0]!.clusters).toEqual(new Set(['r/a']));
  });
});
