// Deployments of an erring version in virtual time: the production DeployController and
// DeployExecutor (canary weights, verification, the judge, each rolling replica's answer check,
// rollback) over the harness's simulated fleet, clients and clock. The simulated agent fails a
// replica's errors signal as the real prober does — only past 5 requests between two probes — so
// under light client traffic health probes do not see a bad version's errors: the deployment's own
// sampled answers must. The canary case uses test/deploy.test.ts's former real-process flags.
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { runSeed } from './harness.js';
import { INVARIANTS } from './invariants.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 60_000, faultsMax: 0, faultMinMs: 2_000, faultMaxMs: 30_000 };
// the real-process test's flags: --canary-share 20% --canary-time 8s --analysis-window 1500ms --sample-interval 100ms
const canary = { canaryShare: 0.2, canaryMs: 8000, analysisMs: 1500, sampleIntervalMs: 100, drainMs: 2000, verifyTimeoutMs: 30_000, watchMs: 5000 };
const rolling = { drainMs: 2000, verifyTimeoutMs: 30_000, watchMs: 5000 };
const count = (trace: readonly string[], re: RegExp): number => trace.filter((l) => re.test(l)).length;

describe('a canary deployment in virtual time', () => {
  it('rolls back a canary of an error-prone version on the judge\'s error-rate test, keeps it to its share, and no client request fails', async () => {
    const r = await runSeed({ topology, seed: 21, history, schedule: [], ha: false, deploy: { atMs: 12_000, strategy: 'canary', modelVersion: 'v3', behaviour: 'error-rate', options: canary }, keepTrace: true });
    expect(r.violations).toEqual([]);
    expect(r.deployState).toBe('rolled-back');
    // the real-process test's assertion: found by the judge (the probes need 5 requests between two probes)
    expect(r.deployReason).toMatch(/^canary worse than baseline: .*error rate \d+(\.\d)?% vs baseline/);
    expect(r.trace!.some((l) => / deploy\.canary-live /.test(l))).toBe(true);
    expect(r.requests.failed).toBe(0);
    const served = r.deployServed!;
    const total = Object.values(served).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(50);
    expect(served.v3 ?? 0).toBeGreaterThan(0);
    expect((served.v3 ?? 0) / total).toBeLessThanOrEqual(0.2);
    // the share is set before the canaries take any request: weights first, then into routing
    const trace = r.trace!;
    const live = trace.findIndex((l) => / deploy\.canary-live /.test(l));
    const weights = trace.findIndex((l) => / deploy\.weights /.test(l));
    const routed = trace.findIndex((l, i) => i > trace.findIndex((x) => / deploy\.plan /.test(x)) && / routing\.added /.test(l));
    expect(weights).toBeGreaterThan(0);
    expect(weights).toBeLessThan(routed);
    expect(routed).toBeLessThan(live);
    expect(trace.some((l) => / deploy\.rolled-back /.test(l))).toBe(true);
  });

  it('promotes a canary of a good version to the whole fleet, the same on every run of the seed', async () => {
    const run = () => runSeed({ topology, seed: 22, history, schedule: [], ha: false, deploy: { atMs: 12_000, strategy: 'canary', modelVersion: 'v2', behaviour: 'ok', options: canary } });
    const a = await run();
    expect(a.violations).toEqual([]);
    expect(a.deployState).toBe('succeeded');
    expect(a.requests.failed).toBe(0);
    expect((await run()).traceHash).toBe(a.traceHash);
  });
});

describe('a rolling deployment in virtual time', () => {
  // one client request a second per region over ~6 replicas: no replica serves 5 between two probes
  const erring = (seed: number) =>
    runSeed({ topology, seed, history, schedule: [], ha: false, requestIntervalMs: 1000, deploy: { atMs: 12_000, strategy: 'rolling', modelVersion: 'v3', behaviour: 'error-rate', options: rolling }, keepTrace: true });

  it('rolls back an error-prone version under light traffic on its first replica\'s sampled answers: the fleet ends on v1, never half-way, the same trace every run', async () => {
    const r = await erring(31);
    expect(r.violations).toEqual([]);
    expect(r.deployState).toBe('rolled-back');
    expect(r.deployReason).toMatch(/^us-east-1\/backup\/0 failed its answer check on v3: .*error rate \d+(\.\d)?% > 2%/);
    const trace = r.trace!;
    // health probes saw nothing: the replica was verified healthy on v3 and routed before its answers were judged
    expect(count(trace, / deploy\.replica-verified us-east-1\/backup\/0 /)).toBe(1);
    expect(count(trace, / health\.unhealthy us-east-1\/backup\/0 — errors/)).toBe(0);
    // one replica loaded v3 and was restored; no other replica was touched
    expect(count(trace, / deploy\.replica-loaded .* model v3 loaded/)).toBe(1);
    expect(count(trace, / deploy\.replica-restored us-east-1\/backup\/0 — on v1/)).toBe(1);
    // the whole fleet runs v1 at the end (the invariant reports a half-way fleet or a held replica)
    expect(r.violations.filter((v) => v.check === INVARIANTS.deployEnded)).toEqual([]);
    expect((await erring(31)).traceHash).toBe(r.traceHash);
  });

  it('rolls out a good version under the same light traffic', async () => {
    const r = await runSeed({ topology, seed: 32, history, schedule: [], ha: false, requestIntervalMs: 1000, deploy: { atMs: 12_000, strategy: 'rolling', modelVersion: 'v2', behaviour: 'ok', options: rolling }, keepTrace: true });
    expect(r.violations).toEqual([]);
    expect(r.deployState).toBe('succeeded');
    expect(count(r.trace!, / deploy\.replica-done .* on v2/)).toBe(12);
    expect(r.requests.failed).toBe(0);
  });
});
