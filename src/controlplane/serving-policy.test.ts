import { describe, expect, it } from 'vitest';
import { decideServing, INITIAL_SERVING, type ClusterHealth } from './serving-policy.js';

const cluster = (id: string, role: 'primary' | 'backup', healthy: number, total: number): ClusterHealth => ({
  id,
  region: id.split('/')[0]!,
  role,
  healthy,
  total,
  minHealthyFraction: 0.5,
});

describe('decideServing', () => {
  it('serves primaries only while they are above threshold', () => {
    const { state, decisions } = decideServing([cluster('r/p', 'primary', 3, 4), cluster('r/b', 'backup', 2, 2)], INITIAL_SERVING);
    expect([...state.serving]).toEqual(['r/p']);
    expect(decisions).toEqual([]);
  });

  it('promotes the backup when the primary falls below threshold, and demotes it on recovery', () => {
    const first = decideServing([cluster('r/p', 'primary', 1, 4), cluster('r/b', 'backup', 2, 2)], INITIAL_SERVING);
    expect([...first.state.serving].sort()).toEqual(['r/b', 'r/p']);
    expect(first.decisions.map((d) => d.type)).toEqual(['cluster.failed', 'cluster.promoted']);
    const second = decideServing([cluster('r/p', 'primary', 4, 4), cluster('r/b', 'backup', 2, 2)], first.state);
    expect([...second.state.serving]).toEqual(['r/p']);
    expect(second.decisions.map((d) => d.type)).toEqual(['cluster.recovered', 'cluster.demoted']);
  });

  it('raises a critical decision when no healthy backup exists', () => {
    const { decisions } = decideServing([cluster('r/p', 'primary', 0, 4), cluster('r/b', 'backup', 0, 2)], INITIAL_SERVING);
    expect(decisions.map((d) => d.type)).toContain('region.no-healthy-backup');
  });

  it('keeps regions independent', () => {
    const { state } = decideServing(
      [cluster('a/p', 'primary', 0, 4), cluster('a/b', 'backup', 2, 2), cluster('z/p', 'primary', 4, 4), cluster('z/b', 'backup', 2, 2)],
      INITIAL_SERVING,
    );
    expect([...state.serving].sort()).toEqual(['a/b', 'z/p']);
  });
});
