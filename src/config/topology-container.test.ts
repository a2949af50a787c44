import { describe, expect, it } from 'vitest';
import { buildTopology, loadTopology } from './topology.js';

const base = (clusters: unknown[]) => ({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters }] });

describe('container: true clusters in topology files', () => {
  it('marks each replica of a container cluster, and only those; the default is no container', () => {
    const t = buildTopology(base([{ name: 'boxed', gpus: 2, container: true }, { name: 'bare', gpus: 1 }, { name: 'real', gpus: 1, runtime: 'llamacpp', container: true }]), '/topo/t.yaml');
    expect(t.replicas.map((r) => [r.id, r.container, r.runtime])).toEqual([
      ['r/boxed/0', true, 'standin'],
      ['r/boxed/1', true, 'standin'],
      ['r/bare/0', false, 'standin'],
      ['r/real/0', true, 'llamacpp'],
    ]);
    expect(t.clusters.map((c) => c.container)).toEqual([true, false, true]);
  });

  it('refuses a container external cluster and a non-boolean flag, naming the field', () => {
    expect(() => buildTopology(base([{ name: 'a', container: true, external: { endpoints: [{ url: 'http://127.0.0.1:1' }] } }]), 'f.yaml')).toThrow(/f.yaml: regions\[0\].clusters\[0\].container: an external cluster runs outside the lab/);
    expect(() => buildTopology(base([{ name: 'a', gpus: 1, container: 'yes' }]), 'f.yaml')).toThrow(/container/);
  });

  it('the shipped container topologies are the twins of the host ones, with every cluster in containers', () => {
    for (const [boxed, bare] of [['cluster/real-engine-container.yaml', 'cluster/real-engine.yaml'], ['cluster/container-standin.yaml', 'cluster/real-engine-standin.yaml']] as const) {
      const a = loadTopology(boxed);
      const b = loadTopology(bare);
      expect(a.replicas.every((r) => r.container)).toBe(true);
      expect(a.replicas.map((r) => [r.id, r.runtime, r.host])).toEqual(b.replicas.map((r) => [r.id, r.runtime, r.host]));
    }
  });
});
