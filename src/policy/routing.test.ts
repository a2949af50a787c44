import { describe, expect, it } from 'vitest';
import { pickReplica } from './routing.js';

const c = (id: string, v = 'v1') => ({ replicaId: id, modelVersion: v });

describe('pickReplica', () => {
  it('prefers the least outstanding replica', () => {
    const state = { outstanding: new Map([['a', 3], ['b', 1], ['c', 2]]), turn: 0 };
    expect(pickReplica([c('a'), c('b'), c('c')], state, new Set())?.replicaId).toBe('b');
  });

  it('rotates among ties', () => {
    const picks = [0, 1, 2, 3].map((turn) => pickReplica([c('a'), c('b')], { outstanding: new Map(), turn }, new Set())?.replicaId);
    expect(picks).toEqual(['a', 'b', 'a', 'b']);
  });

  it('skips excluded replicas and pins the model version', () => {
    const state = { outstanding: new Map(), turn: 0 };
    expect(pickReplica([c('a'), c('b', 'v2'), c('c')], state, new Set(['a']), 'v1')?.replicaId).toBe('c');
    expect(pickReplica([c('a')], state, new Set(['a']))).toBeUndefined();
  });

  it('rotates among the least loaded allowed replicas only, in candidate order', () => {
    const cands = [c('a'), c('b', 'v2'), c('c'), c('d'), c('e')];
    const outstanding = new Map([['a', 0], ['b', 0], ['c', 1], ['d', 0], ['e', 0]]);
    const picks = [0, 1, 2, 3].map((turn) => pickReplica(cands, { outstanding, turn }, new Set(['e']), 'v1')?.replicaId);
    expect(picks).toEqual(['a', 'd', 'a', 'd']);
  });
});
