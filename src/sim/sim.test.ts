import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HalabError } from '../core/errors.js';
import { binomialCdf, kOfN, markovKofN, seedClusterAvailability, seedMultiClusterAvailability } from './analytical.js';
import { annualize, readImpacts } from './annualize.js';
import { availabilityFromNines, downtimeMinutesPerYear, nines } from './conversions.js';
import { DEFAULT_FAILURE_MODEL, parseFailureModel } from './failure-model.js';
import { candidateTopology, plan } from './plan.js';
import { simulate } from './simulator.js';

describe("the seed's AvailabilityCalculator", () => {
  it('matches its formulas to the last digit', () => {
    // scipy: 1 - binom.cdf(1, 4, 0.995) = 1 - (0.005**4 + 4*0.995*0.005**3)
    const expected = 1 - (0.005 ** 4 + 4 * 0.995 * 0.005 ** 3);
    expect(seedClusterAvailability(4, 0.995)).toBe(expected);
    expect(seedMultiClusterAvailability(expected, 2)).toBe(1 - (1 - expected) ** 2);
    expect(binomialCdf(1, 4, 0.995)).toBeCloseTo(4.98125e-7, 18);
    expect(seedClusterAvailability(8, 0.99)).toBeCloseTo(1 - binomialCdf(3, 8, 0.99), 15);
  });

  it('converts between availability, downtime and nines', () => {
    expect(downtimeMinutesPerYear(0.9999)).toBeCloseTo(52.596, 3);
    expect(nines(0.999)).toBeCloseTo(3, 12);
    expect(availabilityFromNines(4)).toBeCloseTo(0.9999, 12);
  });

  it('a Markov chain with a crew per component equals the binomial; fewer crews are worse', () => {
    const lambda = 1 / 100;
    const mu = 1 / 4;
    const a = mu / (lambda + mu);
    expect(markovKofN(2, 4, lambda, mu, 4)).toBeCloseTo(kOfN(2, 4, a), 14);
    expect(markovKofN(2, 4, lambda, mu, 1)).toBeLessThan(kOfN(2, 4, a));
  });

  it('refuses impossible parameters', () => {
    expect(() => seedClusterAvailability(4, 1.2)).toThrow(HalabError);
    expect(() => parseFailureModel({ cluster: { perYear: -1, mttrHours: 1 } }, 'fm.yaml')).toThrow(/fm\.yaml: cluster\.perYear: a rate cannot be negative/);
    expect(() => parseFailureModel({ gpu: { availability: 1, mttrHours: 4 } }, 'fm.yaml')).toThrow(/gpu\.availability/);
    expect(() => plan({ target: 1, failureModel: DEFAULT_FAILURE_MODEL, capacityGpus: 1, maxRegions: 1, maxGpusPerCluster: 2, maxBackups: 0, maxGpus: 4, simYears: 1, seed: 1 })).toThrow(/below 1/);
  });
});

describe('the simulator', () => {
  // an exact model: one 4-GPU cluster needing 3, GPUs at 90% (MTBF 90 h, MTTR 10 h), nothing else
  const topology = { regions: ['r'], clusters: [{ id: 'r/p', region: 'r', role: 'primary' as const, gpus: 4, minHealthyFraction: 0.75 }] };
  const fm = parseFailureModel({ gpu: { availability: 0.9, mttrHours: 10 } }, 'test');
  const opts = { topology, failureModel: fm, failoverTransients: false, include: { gpu: true, replicaSoftware: false, cluster: false, region: false, badDeploy: false } };

  it("has the analytical value within its own 99% confidence interval", () => {
    const { summary } = simulate(opts, 400, 7);
    const exact = kOfN(3, 4, 0.9);
    expect(summary.availability.ci99[0]).toBeLessThanOrEqual(exact);
    expect(summary.availability.ci99[1]).toBeGreaterThanOrEqual(exact);
    expect(summary.availability.ci99[1] - summary.availability.ci99[0]).toBeLessThan(0.01);
  });

  it('gives identical output for the same seed and different output for another', () => {
    const a = JSON.stringify(simulate(opts, 20, 3).summary);
    expect(JSON.stringify(simulate(opts, 20, 3).summary)).toBe(a);
    expect(JSON.stringify(simulate(opts, 20, 4).summary)).not.toBe(a);
  });
});

describe('capacity planning and annualizing', () => {
  it('finds the known cheapest topology in a small search', () => {
    // with no region or cluster failures one region suffices, and two GPUs (a primary of two, or a
    // primary and a backup of one) survive a GPU loss; one GPU alone (99.5%) cannot meet 99.99%
    const fm = parseFailureModel({ region: { perYear: 0, mttrHours: 1 }, cluster: { perYear: 0, mttrHours: 1 }, badDeploy: { perYear: 0, trafficShare: 0, detectMinutes: 0 } }, 'test');
    const p = plan({ target: 0.9999, failureModel: fm, capacityGpus: 1, maxRegions: 2, maxGpusPerCluster: 4, maxBackups: 1, maxGpus: 16, simYears: 50, seed: 1 });
    expect(p.best).toMatchObject({ regions: 1, gpus: 2 });
    expect(p.best!.simulated!.mean).toBeGreaterThanOrEqual(0.9999);
    expect(candidateTopology(2, 4, 1, 2, 1).clusters).toHaveLength(4);
  });

  it('turns measured per-fault impact into downtime per year', () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-impacts-'));
    for (const [name, errorSeconds] of [['a', 0.5], ['b', 1.5]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'report.json'), JSON.stringify({ faults: [{ kind: 'replica.crash', errorSeconds, failedRequests: 1, truncatedRequests: 0, rtoMs: 1000 }] }));
    }
    const r = annualize(readImpacts([join(dir, 'a'), join(dir, 'b')]), { 'replica.crash': 120 });
    expect(r.kinds[0]).toMatchObject({ kind: 'replica.crash', occurrencesMeasured: 2, errorSecondsPerOccurrence: 1, perYear: 120, downtimeMinutesPerYear: 2 });
    expect(r.downtimeMinutesPerYear).toBe(2);
    expect(() => annualize(readImpacts([join(dir, 'a')]), {})).toThrow(/no yearly rate for fault kind "replica\.crash"/);
    expect(() => readImpacts([join(dir, 'missing')])).toThrow(/report\.json is missing/);
  });
});

describe('the year simulator counts what the policy serves', () => {
  it('a failover policy that never promotes a standby lowers the simulated nines', async () => {
    const { neverPromote } = await import('./harness/broken-policies.js');
    const { loadTopology } = await import('../config/topology.js');
    const { simTopology } = await import('./model.js');
    const topology = simTopology(loadTopology('cluster/two-region.yaml'));
    const live = simulate({ topology, failureModel: DEFAULT_FAILURE_MODEL }, 300, 11).summary;
    const broken = simulate({ topology, failureModel: DEFAULT_FAILURE_MODEL, failoverStep: neverPromote }, 300, 11).summary;
    expect(broken.availability.mean).toBeLessThan(live.availability.mean);
    expect(broken.outagesPerYear).toBeGreaterThan(live.outagesPerYear);
  });
});
