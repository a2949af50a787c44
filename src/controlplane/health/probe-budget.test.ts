import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_POLICY } from '../../policy/health.js';
import { budgetedHealthPolicy, budgetedHeartbeatIntervalMs, budgetedIntervalMs, MAX_PROBE_INTERVAL_MS } from './probe-budget.js';

describe('probe budget', () => {
  it('leaves a small fleet\'s probes alone: the 12-replica labs keep 500 ms probes (heartbeats 1 s apart)', () => {
    expect(budgetedHealthPolicy(DEFAULT_HEALTH_POLICY, 12)).toBe(DEFAULT_HEALTH_POLICY);
    expect(budgetedHeartbeatIntervalMs(12)).toBe(1000);
  });

  it('stretches the healthy and unhealthy intervals so the fleet stays within the budget, not the edge interval', () => {
    for (const n of [48, 96, 192]) {
      const p = budgetedHealthPolicy(DEFAULT_HEALTH_POLICY, n, 24);
      expect(n / (p.intervalMs / 1000)).toBeLessThanOrEqual(24);
      expect(p.edgeIntervalMs).toBe(DEFAULT_HEALTH_POLICY.edgeIntervalMs);
      expect(p.unhealthyIntervalMs).toBeGreaterThanOrEqual(p.intervalMs);
    }
    expect(budgetedHealthPolicy(DEFAULT_HEALTH_POLICY, 192, 24).intervalMs).toBe(8000);
    expect(budgetedHealthPolicy(DEFAULT_HEALTH_POLICY, 48, 24).intervalMs).toBe(2000);
  });

  it('caps the stretch, and never goes below the policy interval', () => {
    expect(budgetedIntervalMs(500, 100_000, 24, MAX_PROBE_INTERVAL_MS)).toBe(MAX_PROBE_INTERVAL_MS);
    expect(budgetedIntervalMs(500, 1, 24, MAX_PROBE_INTERVAL_MS)).toBe(500);
    expect(budgetedIntervalMs(500, 0, 24, MAX_PROBE_INTERVAL_MS)).toBe(500);
  });

  it('spaces heartbeats as the fleet grows, within 1 s … 2 s', () => {
    expect(budgetedHeartbeatIntervalMs(48)).toBe(1000);
    expect(budgetedHeartbeatIntervalMs(72)).toBe(1500);
    expect(budgetedHeartbeatIntervalMs(96)).toBe(2000);
    expect(budgetedHeartbeatIntervalMs(192)).toBe(2000);
  });
});
