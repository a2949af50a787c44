import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_POLICY as cfg, INITIAL_SIGNAL, steadyOk, initialSignals, nextProbeDelayMs, observe, replicaHealth, type ReplicaSignals } from './health.js';

describe('health state machine', () => {
  it('needs healthyThreshold successes to become healthy', () => {
    let s = INITIAL_SIGNAL;
    const r1 = observe(s, true, cfg);
    expect(r1.state.health).toBe('unknown');
    s = r1.state;
    const r2 = observe(s, true, cfg);
    expect(r2.state.health).toBe('healthy');
    expect(r2.transition).toEqual({ from: 'unknown', to: 'healthy' });
  });

  it('tolerates one failure below the threshold and flips at the threshold', () => {
    const s = { health: 'healthy' as const, consecutiveOk: 5, consecutiveFail: 0 };
    const once = observe(s, false, cfg, 'timeout');
    expect(once.state.health).toBe('healthy');
    expect(once.transition).toBeUndefined();
    const twice = observe(once.state, false, cfg, 'timeout');
    expect(twice.state.health).toBe('unhealthy');
    expect(twice.state.lastReason).toBe('timeout');
  });

  it('an immediate failure skips the threshold', () => {
    const r = observe({ health: 'healthy', consecutiveOk: 9, consecutiveFail: 0 }, false, cfg, 'stream closed', true);
    expect(r.transition).toEqual({ from: 'healthy', to: 'unhealthy' });
  });

  it('a replica is healthy only when all signals are', () => {
    const healthy = { health: 'healthy', consecutiveOk: 2, consecutiveFail: 0 } as const;
    const all = Object.fromEntries(Object.keys(initialSignals()).map((k) => [k, healthy])) as unknown as ReplicaSignals;
    expect(replicaHealth(all)).toBe('healthy');
    expect(replicaHealth({ ...all, gpu: { health: 'unhealthy', consecutiveOk: 0, consecutiveFail: 1 } })).toBe('unhealthy');
    expect(replicaHealth(initialSignals())).toBe('unknown');
  });

  it('probes fast on an edge and slower when settled', () => {
    expect(nextProbeDelayMs(initialSignals(), cfg)).toBe(cfg.edgeIntervalMs);
    const healthy = { health: 'healthy', consecutiveOk: 2, consecutiveFail: 0 } as const;
    const all = Object.fromEntries(Object.keys(initialSignals()).map((k) => [k, healthy])) as unknown as ReplicaSignals;
    expect(nextProbeDelayMs(all, cfg)).toBe(cfg.intervalMs);
    expect(nextProbeDelayMs({ ...all, inference: { health: 'healthy', consecutiveOk: 0, consecutiveFail: 1 } }, cfg)).toBe(cfg.edgeIntervalMs);
    expect(nextProbeDelayMs({ ...all, inference: { health: 'unhealthy', consecutiveOk: 0, consecutiveFail: 3 } }, cfg)).toBe(cfg.unhealthyIntervalMs);
  });

  it('a success leaves a steady healthy signal as it is; anything else still counts', () => {
    const steady = { health: 'healthy' as const, consecutiveOk: cfg.healthyThreshold, consecutiveFail: 0 };
    expect(steadyOk(steady, true, cfg)).toBe(true);
    expect(observe(steady, true, cfg).state).toBe(steady);
    expect(steadyOk(steady, false, cfg)).toBe(false);
    expect(steadyOk(steady, true, cfg, 'slow but ok')).toBe(false);
    expect(steadyOk({ ...steady, consecutiveFail: 1, consecutiveOk: 0 }, true, cfg)).toBe(false);
    expect(steadyOk({ ...steady, lastReason: 'timeout' }, true, cfg)).toBe(false);
    expect(steadyOk({ ...steady, health: 'unknown' }, true, cfg)).toBe(false);
    // a failure after a long healthy run still needs unhealthyThreshold failures
    const once = observe(steady, false, cfg, 'timeout');
    expect(once.state.health).toBe('healthy');
    expect(observe(once.state, false, cfg, 'timeout').transition).toEqual({ from: 'healthy', to: 'unhealthy' });
  });
});
