import { describe, expect, it } from 'vitest';
import { buildTopology } from '../config/topology.js';
import { resolveFault } from './injectors.js';

const base = (clusters: unknown[]) => ({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters }] });

describe('faults on llama.cpp replicas', () => {
  it('refuses GPU faults on a CPU engine with the reason (exit 2), and accepts them on stand-ins', () => {
    const t = buildTopology(base([{ name: 'real', gpus: 1, runtime: 'llamacpp' }, { name: 'sim', gpus: 1 }]), 'f.yaml');
    for (const kind of ['gpu.xid', 'gpu.thermal']) {
      let err: unknown;
      try {
        resolveFault(kind, 'r/real/0', t);
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).toMatch(new RegExp(`${kind} cannot be injected into r/real/0: r/real/0 is a real llama.cpp engine on the CPU, which has no GPU`));
      expect((err as { exitCode: number }).exitCode).toBe(2);
      expect(resolveFault(kind, 'r/sim/0', t)).toEqual(['r/sim/0']);
    }
    expect(resolveFault('replica.hang', 'r/real/0', t)).toEqual(['r/real/0']);
    expect(resolveFault('cluster.outage', 'r/real', t)).toEqual(['r/real/0']);
  });
});
