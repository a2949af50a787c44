import { describe, expect, it } from 'vitest';
import { buildTopology, runtimeOfReplica } from './topology.js';
import { routesFromTopology } from './model-routes.js';

const base = (clusters: unknown[], extra: Record<string, unknown> = {}) => ({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters }], ...extra });

describe('llama.cpp clusters in topology files', () => {
  it('gives each replica its runtime and fills the engine settings with absolute paths', () => {
    const t = buildTopology(base([{ name: 'real', gpus: 2, runtime: 'llamacpp' }, { name: 'sim', gpus: 1 }], { llamacpp: { models: { v1: 'm/one.gguf', v2: '/abs/two.gguf' }, corruptModel: '~/bad.gguf', threads: 2 } }), '/topo/t.yaml');
    expect(t.replicas.map((r) => r.runtime)).toEqual(['llamacpp', 'llamacpp', 'standin']);
    expect(runtimeOfReplica(t, 'r/real/5')).toBe('llamacpp');
    expect(runtimeOfReplica(t, 'r/sim/0')).toBe('standin');
    expect(t.llamacppEngine).toMatchObject({ models: { v1: '/topo/m/one.gguf', v2: '/abs/two.gguf' }, threads: 2, parallel: 2, gpuLayers: 0 });
    expect(t.llamacppEngine!.corruptModel).toMatch(/^\/.*\/bad\.gguf$/);
    expect(buildTopology(base([{ name: 'sim', gpus: 1 }]), 'f.yaml').llamacppEngine).toBeUndefined();
  });

  it('refuses a model version without a file, a runtime on an external cluster, an unknown runtime', () => {
    expect(() => buildTopology(base([{ name: 'a', gpus: 1, runtime: 'llamacpp' }], { model: { name: 'm', version: 'v9' } }), 'f.yaml')).toThrow(/f.yaml: llamacpp.models: has no file for the model version "v9"/);
    expect(() => buildTopology(base([{ name: 'a', runtime: 'llamacpp', external: { endpoints: [{ url: 'http://127.0.0.1:1' }] } }]), 'f.yaml')).toThrow(/clusters\[0\].runtime: an external cluster has no runtime/);
    expect(() => buildTopology(base([{ name: 'a', gpus: 1, runtime: 'vllm' }]), 'f.yaml')).toThrow(/runtime/);
  });

  it('routes an all-llama.cpp topology by token-exact replay (deterministic, no prefill)', () => {
    const t = buildTopology(base([{ name: 'a', gpus: 1, runtime: 'llamacpp' }]), 'f.yaml');
    expect(routesFromTopology(t)[0]!.groups[0]).toMatchObject({ deterministic: true, assistantPrefill: false });
  });
});
