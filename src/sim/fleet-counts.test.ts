import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { DEFAULT_FAILURE_MODEL } from './failure-model.js';
import { FleetCounts } from './fleet-counts.js';
import { simulate, type SimTopology } from './simulator.js';
import { stepFailover } from '../policy/failover.js';

const topology: SimTopology = {
  regions: ['a', 'b'],
  clusters: [
    { id: 'a/p', region: 'a', role: 'primary', gpus: 32, minHealthyFraction: 0.5 },
    { id: 'a/b', region: 'a', role: 'backup', gpus: 16, minHealthyFraction: 0.5 },
    { id: 'b/p', region: 'b', role: 'primary', gpus: 32, minHealthyFraction: 0.75 },
    { id: 'b/b', region: 'b', role: 'backup', gpus: 16, minHealthyFraction: 0.5 },
  ],
};

describe('the year simulator counts incrementally', () => {
  it('keeps the same per-cluster counts as a full recount over a random history of overlapping failures and repairs', () => {
    const rng = createRng('fleet-counts');
    const counts = new FleetCounts(topology);
    const active: { kind: 'replica' | 'cluster' | 'region'; c: number; r: number }[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (active.length > 0 && rng.next() < 0.5) {
        const i = rng.int(0, active.length - 1);
        const f = active.splice(i, 1)[0]!;
        if (f.kind === 'replica') counts.replica(f.c, f.r, -1);
        else if (f.kind === 'cluster') counts.cluster(f.c, -1);
        else counts.region(f.c, -1);
      } else {
        const x = rng.next();
        const c = rng.int(0, topology.clusters.length - 1);
        const f = x < 0.9 ? { kind: 'replica' as const, c, r: rng.int(0, topology.clusters[c]!.gpus - 1) } : x < 0.97 ? { kind: 'cluster' as const, c, r: 0 } : { kind: 'region' as const, c: rng.int(0, 1), r: 0 };
        active.push(f);
        if (f.kind === 'replica') counts.replica(f.c, f.r, 1);
        else if (f.kind === 'cluster') counts.cluster(f.c, 1);
        else counts.region(f.c, 1);
      }
      for (let c = 0; c < topology.clusters.length; c++) expect(counts.healthyIn(c)).toBe(counts.recountHealthy(c));
    }
  });

  it('gives the same years as stepping the policy on every event (the skipped steps change nothing)', () => {
    const opts = { topology, failureModel: DEFAULT_FAILURE_MODEL };
    const fast = simulate(opts, 20, 5).results;
    // a wrapper is not the live step by identity, so the simulator steps it on every event
    const everyEvent = simulate({ ...opts, failoverStep: (...a: Parameters<typeof stepFailover>) => stepFailover(...a) }, 20, 5).results;
    expect(fast).toEqual(everyEvent);
    expect(fast.reduce((s, r) => s + r.failures, 0)).toBeGreaterThan(20 * 1000);
  });
});
