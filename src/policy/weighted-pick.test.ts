import { describe, expect, it } from 'vitest';
import { pickWeighted, weightsActive } from './weighted-pick.js';

describe('pickWeighted', () => {
  it('gives each replica exactly its share of picks, interleaved', () => {
    const cands = [{ replicaId: 'canary', weight: 1 / 9 }, { replicaId: 'a', weight: 1 }, { replicaId: 'b', weight: 1 }, { replicaId: 'c', weight: 1 }];
    const scores = new Map<string, number>();
    const picks = Array.from({ length: 280 }, () => pickWeighted(cands, scores, new Set())!.replicaId);
    expect(picks.filter((p) => p === 'canary').length).toBe(10);
    expect(new Set(picks.slice(0, 3)).size).toBe(3);
  });

  it('never picks weight 0 or excluded replicas; undefined when none is left', () => {
    const cands = [{ replicaId: 'blue', weight: 0 }, { replicaId: 'green', weight: 1 }];
    const scores = new Map<string, number>();
    for (let i = 0; i < 10; i++) expect(pickWeighted(cands, scores, new Set())!.replicaId).toBe('green');
    expect(pickWeighted(cands, scores, new Set(['green']))).toBeUndefined();
    expect(weightsActive(cands)).toBe(true);
    expect(weightsActive([{ replicaId: 'x', weight: 1 }, { replicaId: 'y' }])).toBe(false);
  });
});
