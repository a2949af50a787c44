import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { DEFAULT_HEALTH_POLICY } from '../../policy/health.js';
import { EV } from '../../record/event-types.js';
import type { ScheduledFault } from '../../chaos/engine.js';
import { runSeed, type SeedResult } from './harness.js';
import { sweep } from './sweep.js';
import { INVARIANTS, detectionBoundMs } from './invariants.js';
import { neverPromote } from './broken-policies.js';
import { SIM_DEPLOY_OPTIONS, SIM_FAULT_KINDS } from './fault-history.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 60_000, faultsMax: 3, faultMinMs: 2_000, faultMaxMs: 30_000 };
/** Virtual time of the first trace line matching `pattern` at or after `fromMs`. */
const at = (r: SeedResult, pattern: RegExp, fromMs = 0): number => Number(r.trace!.find((l) => pattern.test(l) && Number(l.split(' ')[0]) >= fromMs)?.split(' ')[0] ?? NaN);

describe('the virtual-time harness', () => {
  it('runs a cluster outage through the real control plane: the backup is promoted at once and every invariant holds', async () => {
    const schedule: ScheduledFault[] = [{ faultId: 'f1', kind: 'cluster.outage', target: 'us-east-1/primary', atMs: 20_000, forMs: 30_000 }];
    const r = await runSeed({ topology, seed: 1, history, schedule, deploy: null, keepTrace: true });
    expect(r.violations).toEqual([]);
    const injected = at(r, / chaos fault\.injected f1/);
    expect(injected).toBe(20_000);
    expect(at(r, / cluster\.promoted us-east-1\/backup/) - injected).toBeLessThan(100);
    // heal: the primary comes back as the standby, then takes over again after the failback hold
    expect(at(r, / cluster\.standby us-east-1\/primary/)).toBeGreaterThan(50_000);
    const standby = at(r, / cluster\.standby us-east-1\/primary/);
    expect(at(r, / cluster\.promoted us-east-1\/primary/) - standby).toBe(10_000);
    expect(r.requests.failed).toBe(0);
  });

  it('takes a hung replica out of routing within the detection bound', async () => {
    const schedule: ScheduledFault[] = [{ faultId: 'f1', kind: 'replica.hang', target: 'us-west-2/secondary/1', atMs: 15_000, forMs: 20_000 }];
    const r = await runSeed({ topology, seed: 2, history, schedule, deploy: null, keepTrace: true });
    expect(r.violations).toEqual([]);
    const removed = at(r, / routing\.removed us-west-2\/secondary\/1/);
    expect(removed - 15_000).toBeGreaterThan(DEFAULT_HEALTH_POLICY.probeTimeoutMs);
    expect(removed - 15_000).toBeLessThanOrEqual(detectionBoundMs(DEFAULT_HEALTH_POLICY));
  });

  it('fails a region over in the GLB when its gateway dies, and back when it returns', async () => {
    const schedule: ScheduledFault[] = [{ faultId: 'f1', kind: 'gateway.crash', target: 'us-east-1', atMs: 20_000, forMs: 10_000 }];
    const r = await runSeed({ topology, seed: 3, history, schedule, deploy: null, keepTrace: true });
    expect(r.violations).toEqual([]);
    const failover = at(r, / glb glb\.failover us-east-1/);
    expect(failover - 20_000).toBeLessThanOrEqual(200);
    expect(at(r, / glb glb\.failback us-east-1/, failover) - 30_000).toBeLessThan(1000);
    expect(r.requests.failed).toBe(0);
  });

  it('heals every fault kind it simulates, and the service is back within the liveness window', async () => {
    const kinds = Object.keys(SIM_FAULT_KINDS);
    const targetOf = (kind: string, i: number): string =>
      kind.startsWith('cluster.') ? 'us-west-2/backup' : kind.startsWith('region.') || kind === 'gateway.crash' ? 'us-west-2' : topology.replicas[i % topology.replicas.length]!.id;
    const schedule = kinds.map((kind, i) => ({ faultId: `f${i}`, kind, target: targetOf(kind, i), atMs: 12_000 + i * 3000, forMs: 8000 }));
    const r = await runSeed({ topology, seed: 4, history, schedule, deploy: null, keepTrace: true });
    expect(r.violations).toEqual([]);
    expect(r.trace!.filter((l) => l.includes(` ${EV.faultHealed} `))).toHaveLength(kinds.length);
  });

  it('runs the real deploy executor: a good version rolls out, a bad one rolls back, never half-way', async () => {
    const options = { drainMs: 2000, verifyTimeoutMs: 30_000, watchMs: 5000, canaryMs: 20_000, analysisMs: 10_000, stepMs: 10_000 };
    const good = await runSeed({ topology, seed: 8, history, schedule: [], deploy: { atMs: 12_000, strategy: 'rolling', modelVersion: 'v2', behaviour: 'ok', options }, keepTrace: true });
    expect(good.violations).toEqual([]);
    expect(good.deployState).toBe('succeeded');
    for (const behaviour of ['corrupt', 'crash-on-load']) {
      const bad = await runSeed({ topology, seed: 9, history, schedule: [], deploy: { atMs: 12_000, strategy: 'canary', modelVersion: 'v2', behaviour, options }, keepTrace: true });
      expect(bad.violations, behaviour).toEqual([]);
      expect(bad.deployState, behaviour).toBe('rolled-back');
    }
  });

  // (seed 113's faults, timed for rolling updates that judge each replica's answers: the secondary
  // cluster dies while its first replica is watched on v2, and the backups return after the rollback)
  it('brings replicas a rolled-back deployment skipped (they were down) back on the old version (sweep seed 113)', async () => {
    const schedule: ScheduledFault[] = [
      { faultId: 'f4', kind: 'cluster.outage', target: 'us-west-2/backup', atMs: 13_656, forMs: 85_000 },
      { faultId: 'f3', kind: 'cluster.outage', target: 'us-west-2/secondary', atMs: 84_000, forMs: 10_538 },
    ];
    const plan = { atMs: 10_078, strategy: 'rolling' as const, modelVersion: 'v2', behaviour: 'ok', options: SIM_DEPLOY_OPTIONS };
    const r = await runSeed({ topology, seed: 113, history: { ...history, historyMs: 120_000 }, schedule, deploy: plan, keepTrace: true });
    expect(r.trace!.some((l) => /deploy\.replica-skipped us-west-2\/backup\/0/.test(l))).toBe(true);
    expect(r.deployState).toBe('rolled-back');
    expect(r.trace!.some((l) => / deploy\.reconciled us-west-2\/backup\/0 — us-west-2\/backup\/0 on v1/.test(l))).toBe(true);
    expect(r.violations).toEqual([]);
  });

  it('releases the hold of a reconcile that failed because its replica died (sweep seed 2820)', async () => {
    const schedule: ScheduledFault[] = [
      { faultId: 'f3', kind: 'cluster.outage', target: 'us-east-1/primary', atMs: 14_031, forMs: 55_923 },
      { faultId: 'f1', kind: 'gpu.xid', target: 'us-west-2/secondary/3', atMs: 55_438, forMs: 9059 },
      { faultId: 'f2', kind: 'cluster.outage', target: 'us-east-1/primary', atMs: 77_415, forMs: 6279 },
    ];
    const plan = { atMs: 41_667, strategy: 'rolling' as const, modelVersion: 'v2', behaviour: 'slow', options: SIM_DEPLOY_OPTIONS };
    const r = await runSeed({ topology, seed: 2820, history: { ...history, historyMs: 120_000 }, schedule, deploy: plan, keepTrace: true });
    expect(r.trace!.some((l) => / deploy\.reconcile-failed us-east-1\/primary\/0/.test(l))).toBe(true);
    expect(r.violations).toEqual([]);
  });

  // sweep seeds that found deploy bugs, replayed from the seed alone (default history)
  it('releases a replica whose restore could not be confirmed (an independent model.corrupt on it; sweep seeds 69, 191)', async () => {
    const r = await runSeed({ topology, seed: 191, keepTrace: true });
    expect(r.deployState).toBe('failed');
    expect(r.trace!.some((l) => / deploy\.replica-released us-east-1\/primary\/1 /.test(l))).toBe(true);
    expect(r.violations).toEqual([]);
  });

  it('moves a replica that came back on a rolled-back bad version to the old one although it never gets healthy on it (sweep seed 2193)', async () => {
    const r = await runSeed({ topology, seed: 2193, keepTrace: true });
    expect(r.deployState).toBe('rolled-back');
    expect(r.trace!.some((l) => / deploy\.reconciled us-east-1\/backup\/0 /.test(l))).toBe(true);
    expect(r.violations).toEqual([]);
  });

  it("never takes a region's last routable replica as a canary (sweep seed 975)", async () => {
    const r = await runSeed({ topology, seed: 975, keepTrace: true });
    expect(r.trace!.find((l) => / deploy\.plan /.test(l))).toMatch(/canary us-west-2\/secondary\/0 at/);
    expect(r.violations).toEqual([]);
  });

  it('gives the same trace for the same seed, and the fast settle gives the strict one', async () => {
    for (const seed of [5, 6]) {
      const a = await runSeed({ topology, seed, history });
      const b = await runSeed({ topology, seed, history });
      const strict = await runSeed({ topology, seed, history, strictSettle: true });
      expect(b.traceHash).toBe(a.traceHash);
      expect(strict.traceHash).toBe(a.traceHash);
      expect(a.traceEvents).toBeGreaterThan(100);
    }
    expect((await runSeed({ topology, seed: 7, history })).traceHash).not.toBe((await runSeed({ topology, seed: 5, history })).traceHash);
  });

  it('catches a policy that never promotes a standby, with a seed that replays the violation', async () => {
    const result = await sweep({ topology, seeds: 30, firstSeed: 1, history, failoverStep: neverPromote, recheckEvery: 0 });
    const v = result.violations.find((x) => x.check === INVARIANTS.standbyServes);
    expect(v, JSON.stringify(result.byCheck)).toBeDefined();
    expect(v!.message).toMatch(/no routable replica for \d+ms although a cluster of it \(.*\) has been healthy/);
    const replay = await runSeed({ topology, seed: v!.seed, history, failoverStep: neverPromote, keepTrace: true });
    expect(replay.violations).toContainEqual(expect.objectContaining({ check: INVARIANTS.standbyServes, atMs: v!.atMs, message: v!.message }));
    // the live policy on the same seed holds every invariant
    expect((await runSeed({ topology, seed: v!.seed, history })).violations).toEqual([]);
  });
});
