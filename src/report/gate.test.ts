import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../core/rng.js';
import { makeBaseline } from './baseline.js';
import { mannWhitneyGreater } from '../core/stat-tests.js';
import { gateRuns } from './gate.js';
import type { RunObservation } from './gate-observe.js';
import { renderGateJunit, renderGateText } from './gate-render.js';

const normal = (rng: Rng, mean: number, sd: number): number => {
  const u = Math.max(rng.next(), 1e-12);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};

/** A synthetic run of a crash-and-deploy scenario, its figures drawn around fixed means. */
function syntheticRun(seed: number, change: Partial<{ ttftFactor: number; failoverAddMs: number; failed: number; deployFactor: number }> = {}): RunObservation {
  const rng = createRng(seed);
  const ttftMs = Array.from({ length: 800 }, () => (25 + rng.exponential(8)) * (change.ttftFactor ?? 1));
  return {
    scenario: 'synthetic',
    seed: 7,
    ttftMs,
    counts: { failedRequests: { count: change.failed ?? 0, exposure: 800 }, truncatedRequests: { count: 0, exposure: 800 }, wrongAnswers: { count: 0, exposure: 800 } },
    figures: {
      detectionMs: Math.round(normal(rng, 12, 3)),
      failoverMs: Math.round(normal(rng, 20, 5)) + (change.failoverAddMs ?? 0),
      rtoMs: 0,
      ttftP99Ms: normal(rng, 110, 10) * (change.ttftFactor ?? 1),
      deployDurationMs: Math.round(normal(rng, 21_000, 300) * (change.deployFactor ?? 1)),
      deployTtftRatio: normal(rng, 1.3, 0.05),
      resumedRequests: Math.round(normal(rng, 2, 1)),
    },
  };
}

const baseline = makeBaseline([1, 2, 3, 4, 5].map((s) => syntheticRun(s)), ['a', 'b', 'c', 'd', 'e']);
const failing = (r: ReturnType<typeof gateRuns>): string[] => r.rows.filter((x) => !x.pass).map((x) => x.metric);

describe('the gate on synthetic runs', () => {
  it('passes unchanged runs', () => {
    for (let seed = 100; seed < 120; seed++) expect(failing(gateRuns([syntheticRun(seed)], baseline)), `seed ${seed}`).toEqual([]);
  });

  it('fails TTFT × 1.5 on the runs\' median TTFTs', () => {
    const r = gateRuns([syntheticRun(200, { ttftFactor: 1.5 })], baseline);
    expect(failing(r)).toContain('ttftMs');
    const row = r.rows.find((x) => x.metric === 'ttftMs')!;
    expect(row.test).toBe('run-median-limit');
    expect(row.now!).toBeGreaterThan(row.limit!);
    expect(row.p).toBeLessThan(1e-4);
  });

  it('TTFT: machine noise that moves whole runs widens the limit instead of raising alarms', () => {
    // every run's TTFTs × a run-wide factor (a busier or quieter machine), sd 15 % between runs
    const jitter = (seed: number): RunObservation => {
      const run = syntheticRun(seed);
      const f = Math.exp(normal(createRng(seed * 7919), 0, 0.15));
      return { ...run, ttftMs: run.ttftMs.map((x) => x * f) };
    };
    const noisy = makeBaseline([1, 2, 3, 4, 5, 6, 7, 8].map(jitter), []);
    let alarms = 0;
    for (let seed = 400; seed < 440; seed++) if (failing(gateRuns([jitter(seed)], noisy)).includes('ttftMs')) alarms++;
    expect(alarms).toBeLessThanOrEqual(1);
    // a per-request test (requests as independent) sees many of these unchanged runs as slower
    const base = noisy.ttftMs.sample;
    const perRequest = [400, 401, 402, 403, 404, 405, 406, 407].map(jitter).filter((o) => mannWhitneyGreater(o.ttftMs, base).p < 0.01).length;
    expect(perRequest).toBeGreaterThan(1);
  });

  it('TTFT with one baseline run: the per-request Mann-Whitney U', () => {
    const one = makeBaseline([syntheticRun(1)], ['a']);
    expect(gateRuns([syntheticRun(2)], one).rows.find((x) => x.metric === 'ttftMs')).toMatchObject({ test: 'mann-whitney-u', pass: true });
    expect(gateRuns([syntheticRun(3, { ttftFactor: 1.5 })], one).rows.find((x) => x.metric === 'ttftMs')).toMatchObject({ test: 'mann-whitney-u', pass: false });
  });

  it('a figure only one baseline run has is reported, not gated (no spread to set a limit from)', () => {
    const runs = [1, 2, 3].map((s) => syntheticRun(s));
    const sparse = makeBaseline(runs.map((r, i) => (i === 0 ? r : { ...r, figures: { ...r.figures, deployDurationMs: null } })), []);
    const row = gateRuns([syntheticRun(9, { deployFactor: 1.3 })], sparse).rows.find((x) => x.metric === 'deployDurationMs')!;
    expect(row).toMatchObject({ pass: true, limit: null });
    expect(row.detail).toMatch(/not gated/);
  });

  it('refuses a run of another time scale than the baseline\'s', () => {
    const scaled = makeBaseline([1, 2].map((s) => ({ ...syntheticRun(s), timeScale: 0.5 })), []);
    expect(scaled.timeScale).toBe(0.5);
    expect(() => gateRuns([syntheticRun(5)], scaled)).toThrow(/time scale 0.5, the run at 1/);
    expect(gateRuns([{ ...syntheticRun(5), timeScale: 0.5 }], scaled).scenario).toBe('synthetic');
    expect(() => makeBaseline([syntheticRun(1), { ...syntheticRun(2), timeScale: 0.5 }], [])).toThrow(/one time scale/);
  });

  it('fails failover + 500 ms on the prediction limit', () => {
    const r = gateRuns([syntheticRun(201, { failoverAddMs: 500 })], baseline);
    expect(failing(r)).toEqual(['failoverMs']);
    const row = r.rows.find((x) => x.metric === 'failoverMs')!;
    expect(row).toMatchObject({ test: 'prediction-limit', pass: false });
    expect(row.margin!).toBeLessThan(0);
  });

  it('fails one failed request where the baseline had none', () => {
    const r = gateRuns([syntheticRun(202, { failed: 1 })], baseline);
    expect(failing(r)).toEqual(['failedRequests']);
    expect(r.rows.find((x) => x.metric === 'failedRequests')).toMatchObject({ test: 'zero-defect', now: 1, limit: 0 });
  });

  it('fails a deployment 30 % slower', () => {
    expect(failing(gateRuns([syntheticRun(203, { deployFactor: 1.3 })], baseline))).toEqual(['deployDurationMs']);
  });

  it('tests counts the baseline had with the exact rate test', () => {
    const noisy = makeBaseline([1, 2, 3].map((s) => ({ ...syntheticRun(s), counts: { failedRequests: { count: 2, exposure: 800 } } })), []);
    const same = gateRuns([{ ...syntheticRun(9), counts: { failedRequests: { count: 3, exposure: 800 } } }], noisy);
    expect(same.rows.find((x) => x.metric === 'failedRequests')).toMatchObject({ test: 'exact-binomial', pass: true });
    const worse = gateRuns([{ ...syntheticRun(9), counts: { failedRequests: { count: 12, exposure: 800 } } }], noisy);
    const row = worse.rows.find((x) => x.metric === 'failedRequests')!;
    expect(row.pass).toBe(false);
    expect(row.p).toBeLessThan(0.01);
  });

  it('a figure the baseline had but the run lacks regresses', () => {
    const run = syntheticRun(204);
    const r = gateRuns([{ ...run, figures: { ...run.figures, failoverMs: null } }], baseline);
    expect(r.rows.find((x) => x.metric === 'failoverMs')).toMatchObject({ pass: false, now: null });
  });

  it('repeated runs narrow the limit (a mean of r runs)', () => {
    const one = gateRuns([syntheticRun(300)], baseline).rows.find((x) => x.metric === 'ttftP99Ms')!;
    const four = gateRuns([300, 301, 302, 303].map((s) => syntheticRun(s)), baseline).rows.find((x) => x.metric === 'ttftP99Ms')!;
    const k = (detail: string): number => Number(/max\(([\d.]+)·sd/.exec(detail)![1]);
    expect(k(one.detail)).toBeCloseTo(4.1, 1); // t(0.99, 4) · √(1 + 1/5)
    expect(k(four.detail)).toBeCloseTo(3.75 * Math.sqrt(1 / 4 + 1 / 5), 1);
  });

  it('renders text and JUnit with one test case per metric', () => {
    const r = gateRuns([syntheticRun(201, { failoverAddMs: 500 })], baseline);
    const text = renderGateText(r, 'b.json');
    expect(text).toMatch(/^REGRESSION {2}synthetic: 1 run\(s\) against b\.json \(5 baseline run\(s\)\); α = 0\.01 per metric/);
    expect(text).toMatch(/failoverMs +[\d.]+ +5\d\d +prediction-limit +limit [\d.]+ \(margin -[\d.]+\) +REGRESSED/);
    const junit = renderGateJunit([{ result: r, baselineFile: 'b.json' }]);
    expect(junit.match(/<testcase /g)).toHaveLength(r.rows.length);
    expect(junit.match(/<failure /g)).toHaveLength(1);
    expect(junit).toContain('name="failoverMs"');
  });
});
