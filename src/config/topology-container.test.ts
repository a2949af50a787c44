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

  it('carries a cluster\'s containerLimits to each of its replicas; none by default', () => {
    const t = buildTopology(base([{ name: 'boxed', gpus: 2, container: true, containerLimits: { cpus: 0.5, memoryMiB: 512 } }, { name: 'open', gpus: 1, container: true }]), 'f.yaml');
    expect(t.replicas.map((r) => r.containerLimits)).toEqual([{ cpus: 0.5, memoryMiB: 512 }, { cpus: 0.5, memoryMiB: 512 }, undefined]);
    expect(buildTopology(base([{ name: 'm', gpus: 1, container: true, containerLimits: { memoryMiB: 256 } }]), 'f.yaml').replicas[0]!.containerLimits).toEqual({ memoryMiB: 256 });
  });

  it('refuses bad containerLimits, naming the file and the field', () => {
    const bad = (limits: unknown, container = true) => () => buildTopology(base([{ name: 'a', gpus: 1, container, containerLimits: limits }]), 'f.yaml');
    expect(bad({ cpus: 0 })).toThrow(/f.yaml: regions\[0\].clusters\[0\].containerLimits.cpus/);
    expect(bad({ cpus: -1, memoryMiB: 512 })).toThrow(/containerLimits.cpus/);
    expect(bad({ memoryMiB: 8 })).toThrow(/containerLimits.memoryMiB: at least 64 MiB/);
    expect(bad({ memoryMiB: 100.5 })).toThrow(/containerLimits.memoryMiB/);
    expect(bad({ memoryMiB: '512' })).toThrow(/containerLimits.memoryMiB/);
    expect(bad({ cpu: 1 })).toThrow(/containerLimits/);
    expect(bad({})).toThrow(/containerLimits: give cpus, memoryMiB or both/);
    expect(bad({ cpus: 1 }, false)).toThrow(/f.yaml: regions\[0\].clusters\[0\].containerLimits: limits apply to containers; set container: true/);
  });
});
