// Canary deployments in virtual time: the production DeployController and DeployExecutor (canary
// weights, verification, the judge, rollback) over the harness's simulated fleet, clients and clock,
// with the flags test/deploy.test.ts's real-process canary case uses. Not a replacement of that
// case: the simulated agent fails a replica's errors signal from its configured error rate at once,
// without traffic, so a bad version is caught by its verification probe before the canary takes
// traffic and the judge's analysis is not reached here (the real prober needs 5 requests between
// probes; see the README).
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { runSeed } from './harness.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 60_000, faultsMax: 0, faultMinMs: 2_000, faultMaxMs: 30_000 };
// the real-process test's flags: --canary-share 20% --canary-time 8s --analysis-window 1500ms --sample-interval 100ms
const canary = { canaryShare: 0.2, canaryMs: 8000, analysisMs: 1500, sampleIntervalMs: 100, drainMs: 2000, verifyTimeoutMs: 30_000, watchMs: 5000 };

describe('a canary deployment in virtual time', () => {
  it('rolls back a canary of an error-prone version before it takes a larger share, and no client request fails', async () => {
    const r = await runSeed({ topology, seed: 21, history, schedule: [], ha: false, deploy: { atMs: 12_000, strategy: 'canary', modelVersion: 'v3', behaviour: 'error-rate', options: canary }, keepTrace: true });
    expect(r.violations).toEqual([]);
    expect(r.deployState).toBe('rolled-back');
    expect(r.deployReason).toMatch(/failed verification on v3: .*unhealthy/);
    expect(r.requests.failed).toBe(0);
    const served = r.deployServed!;
    const total = Object.values(served).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(50);
    expect((served.v3 ?? 0) / total).toBeLessThanOrEqual(0.2);
    expect(r.trace!.some((l) => / deploy\.rolled-back /.test(l))).toBe(true);
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
