import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILOVER_CONFIG, drainFinished, initialFailoverState, nextWakeMs, servingClusters, stepFailover, type FailoverState } from './failover.js';
import type { ClusterHealth } from './failover.js';

const c = (id: string, role: 'primary' | 'backup', healthy: number, total: number): ClusterHealth => ({ id, region: id.split('/')[0]!, role, healthy, total, minHealthyFraction: 0.5 });
const cfg = { drainTimeoutMs: 5000, failbackAfterMs: 10_000 };
const types = (s: { decisions: { type: string; cluster: string }[] }) => s.decisions.map((d) => `${d.type} ${d.cluster}`);

function healthyStart(): FailoverState {
  const s0 = initialFailoverState([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 0, 2)], 0);
  return stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], s0, 0, cfg).state;
}

describe('stepFailover', () => {
  it('does not fail clusters that never came up', () => {
    const s0 = initialFailoverState([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 0, 2)], 0);
    const step = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 0, 2)], s0, 0, cfg);
    expect(step.decisions).toEqual([]);
    expect([...servingClusters(step.state)]).toEqual(['r/p']);
  });

  it('promotes the standby, drains the failed cluster with a bound, recovers it and returns it as the standby', () => {
    const failed = stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 2, 2)], healthyStart(), 1000, cfg);
    expect(types(failed)).toEqual(['cluster.failed r/p', 'cluster.promoted r/b', 'cluster.draining r/p']);
    expect(failed.actions).toEqual([{ type: 'drain', cluster: 'r/p', timeoutMs: 5000 }]);
    expect([...servingClusters(failed.state)]).toEqual(['r/b']);
    const drained = drainFinished(failed.state, 'r/p', { inFlight: 0, waitedMs: 120, failed: [] }, 1200, cfg);
    expect(types(drained)).toEqual(['cluster.drained r/p', 'cluster.recovering r/p']);
    expect(drained.decisions[0]!.data).toMatchObject({ inFlight: 0, bounded: false, drained: true, failed: [] });
    // still broken: nothing changes
    expect(stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 2, 2)], drained.state, 3000, cfg).decisions).toEqual([]);
    const back = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], drained.state, 8000, cfg);
    expect(types(back)).toEqual(['cluster.recovered r/p', 'cluster.standby r/p']);
    expect(back.actions).toEqual([{ type: 'undrain', cluster: 'r/p' }]);
    expect([...servingClusters(back.state)]).toEqual(['r/b']);
  });

  it('records a failed Drain call as cluster.drain-failed and the drain as not drained', () => {
    const failed = stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 2, 2)], healthyStart(), 1000, cfg);
    const drained = drainFinished(failed.state, 'r/p', { inFlight: 2, waitedMs: 5000, failed: [{ replica: 'r/p/1', reason: 'drain at a:1 failed: deadline exceeded' }] }, 6000, cfg);
    expect(types(drained)).toEqual(['cluster.drain-failed r/p', 'cluster.drained r/p', 'cluster.recovering r/p']);
    expect(drained.decisions[0]!.reason).toBe('r/p/1: drain at a:1 failed: deadline exceeded');
    expect(drained.decisions[1]!.reason).toMatch(/drain failed on r\/p\/1/);
    expect(drained.decisions[1]!.data).toMatchObject({ inFlight: 2, drained: false, failed: ['r/p/1'] });
  });

  it('hands a failed active cluster over to a cluster that recovers in the same step (sweep seed 1719)', () => {
    const failed = stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 2, 2)], healthyStart(), 1000, cfg);
    const rec = drainFinished(failed.state, 'r/p', { inFlight: 0, waitedMs: 0, failed: [] }, 1000, cfg);
    const bothDown = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 0, 2)], rec.state, 2000, cfg);
    expect([...servingClusters(bothDown.state)]).toEqual(['r/b']);
    const back = stepFailover([c('r/p', 'primary', 2, 4), c('r/b', 'backup', 0, 2)], bothDown.state, 3000, cfg);
    expect([...servingClusters(back.state)]).toEqual(['r/p']);
    expect(types(back)).toEqual(['cluster.recovered r/p', 'cluster.standby r/p', 'cluster.failed r/b', 'cluster.promoted r/p', 'cluster.draining r/b']);
  });

  it("wakes for a recovered primary's failback even when another region's backup has stood by since the start", () => {
    const start = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2), c('s/p', 'primary', 4, 4), c('s/b', 'backup', 2, 2)], initialFailoverState([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 0, 2), c('s/p', 'primary', 0, 4), c('s/b', 'backup', 0, 2)], 0), 0, cfg);
    const failed = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 2, 2), c('s/p', 'primary', 4, 4), c('s/b', 'backup', 2, 2)], start.state, 60_000, cfg);
    const rec = drainFinished(failed.state, 'r/p', { inFlight: 0, waitedMs: 0, failed: [] }, 60_100, cfg);
    const standby = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2), c('s/p', 'primary', 4, 4), c('s/b', 'backup', 2, 2)], rec.state, 90_000, cfg);
    // s/b's hold ran out at 10 s; as the earliest time it would leave no wake-up at all after 90 s
    expect(nextWakeMs(standby.state, cfg, 90_000)).toBe(100_000);
  });

  it('fails back to the primary by a drain-first switchover after the hold time, or never when off', () => {
    const failed = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 2, 2)], healthyStart(), 1000, cfg);
    const rec = drainFinished(failed.state, 'r/p', { inFlight: 0, waitedMs: 0, failed: [] }, 1000, cfg);
    const standby = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], rec.state, 5000, cfg);
    expect(nextWakeMs(standby.state, cfg)).toBe(15_000);
    expect(stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], standby.state, 14_000, cfg).decisions).toEqual([]);
    const fb = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], standby.state, 15_000, cfg);
    expect(types(fb)).toEqual(['cluster.demoted r/b', 'cluster.promoted r/p', 'cluster.draining r/b']);
    expect([...servingClusters(fb.state)]).toEqual(['r/p']);
    const never = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], standby.state, 99_000, { ...cfg, failbackAfterMs: null });
    expect(never.decisions).toEqual([]);
  });

  it('raises one critical event when no healthy standby exists and keeps the failed cluster serving', () => {
    const s = stepFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 0, 2)], healthyStart(), 500, cfg).state;
    const crit = stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 0, 2)], s, 1000, cfg);
    expect(types(crit)).toEqual(['cluster.failed r/p', 'region.no-healthy-backup r/p']);
    expect(crit.decisions[1]!.data).toMatchObject({ severity: 'critical', region: 'r' });
    expect([...servingClusters(crit.state)]).toEqual(['r/p']);
    expect(stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 0, 2)], crit.state, 2000, cfg).decisions).toEqual([]);
    // the backup comes back while the primary is still down: now it takes over
    const late = stepFailover([c('r/p', 'primary', 1, 4), c('r/b', 'backup', 2, 2)], crit.state, 3000, cfg);
    expect(types(late)).toEqual(['cluster.failed r/p', 'cluster.promoted r/b', 'cluster.draining r/p']);
  });

  it('recovers a cluster whose drain never reported, after the bound', () => {
    const failed = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 2, 2)], healthyStart(), 1000, cfg);
    expect(nextWakeMs(failed.state, cfg)).toBe(7000);
    const late = stepFailover([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 2, 2)], failed.state, 7000, cfg);
    expect(types(late)).toEqual(['cluster.drained r/p', 'cluster.recovering r/p']);
    expect(late.decisions[0]!.data).toMatchObject({ bounded: true });
  });

  it('keeps regions apart', () => {
    const s0 = initialFailoverState([c('a/p', 'primary', 0, 2), c('a/b', 'backup', 0, 1), c('b/p', 'primary', 0, 2), c('b/b', 'backup', 0, 1)], 0);
    const up = stepFailover([c('a/p', 'primary', 2, 2), c('a/b', 'backup', 1, 1), c('b/p', 'primary', 2, 2), c('b/b', 'backup', 1, 1)], s0, 0, DEFAULT_FAILOVER_CONFIG).state;
    const step = stepFailover([c('a/p', 'primary', 0, 2), c('a/b', 'backup', 1, 1), c('b/p', 'primary', 2, 2), c('b/b', 'backup', 1, 1)], up, 10, DEFAULT_FAILOVER_CONFIG);
    expect([...servingClusters(step.state)].sort()).toEqual(['a/b', 'b/p']);
  });
});
