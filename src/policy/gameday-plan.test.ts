import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { loadTopology } from '../config/topology.js';
import { DEFAULT_GAMEDAY_PLAN, planGameday } from './gameday-plan.js';

const topology = loadTopology('cluster/two-region.yaml');
const opts = { ...DEFAULT_GAMEDAY_PLAN, durationMs: 600_000 };

describe('game-day plans', () => {
  it('are the same for the same seed, in the same order, and differ for another seed', () => {
    const a = planGameday(topology, opts, createRng(3).fork('gameday'));
    expect(planGameday(topology, opts, createRng(3).fork('gameday'))).toEqual(a);
    expect(planGameday(topology, opts, createRng(4).fork('gameday'))).not.toEqual(a);
    expect(a.length).toBeGreaterThan(8);
  });

  it('never exceed the blast radius: at most N replicas and one region at a time', () => {
    for (let seed = 0; seed < 40; seed++) {
      for (const maxReplicas of [1, 2, 3]) {
        const plan = planGameday(topology, { ...opts, maxReplicas }, createRng(seed));
        for (const f of plan) {
          const live = plan.filter((g) => g.atMs <= f.atMs && g.atMs + g.forMs > f.atMs);
          expect(live.flatMap((g) => g.replicas).length).toBeLessThanOrEqual(maxReplicas);
          expect(new Set(live.map((g) => g.region)).size).toBe(1);
          expect(f.atMs + f.forMs).toBeLessThanOrEqual(opts.durationMs - opts.tailMs);
        }
      }
    }
  });

  it('draw client-side faults against the clients, beside the blast radius of the others', () => {
    const catalogue = [{ kind: 'load.surge', weight: 1 }, { kind: 'replica.crash', weight: 1 }];
    const plan = planGameday(topology, { ...opts, catalogue }, createRng(5));
    const clients = plan.filter((f) => f.kind === 'load.surge');
    expect(clients.length).toBeGreaterThan(0);
    expect(clients.every((f) => f.target === 'clients' && f.replicas.length === 0)).toBe(true);
    expect(plan.some((f) => f.kind === 'replica.crash')).toBe(true);
  });
});
