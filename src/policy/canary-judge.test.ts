import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_SLO } from './rollout-config.js';
import { judgeCanary, judgeGreen, mannWhitneyGreaterP, proportionTestP } from './canary-judge.js';
import { group, samples } from '../../test/deploy-kit.js';

describe('statistical tests', () => {
  it('Mann-Whitney: tiny p when one sample is clearly larger, large p otherwise', () => {
    const base = Array.from({ length: 20 }, (_, i) => 10 + (i % 7));
    const slow = base.map((x) => x * 3);
    expect(mannWhitneyGreaterP(slow, base)).toBeLessThan(0.001);
    expect(mannWhitneyGreaterP(base, slow)).toBeGreaterThan(0.99);
    expect(mannWhitneyGreaterP(base, [...base])).toBeGreaterThan(0.3);
    expect(mannWhitneyGreaterP([], base)).toBe(1);
  });

  it('proportion test: 20% errors against none is significant with enough samples, not with three', () => {
    expect(proportionTestP(10, 50, 0, 150)).toBeLessThan(0.001);
    expect(proportionTestP(1, 3, 0, 10)).toBeGreaterThan(0.01);
    expect(proportionTestP(0, 50, 0, 50)).toBe(1);
  });
});

describe('judgeCanary', () => {
  const slo = DEFAULT_DEPLOY_SLO;
  const baseline = group(samples(30, 20, 7));

  it('passes a canary like its baseline', () => {
    expect(judgeCanary(group(samples(30, 20, 7)), baseline, slo).verdict).toBe('ok');
  });

  it('gives no verdict on too few samples', () => {
    expect(judgeCanary(group(samples(5, 20, 7)), baseline, slo).verdict).toBe('undecided');
  });

  it('finds a slow canary by TTFT and inter-token latency', () => {
    const j = judgeCanary(group(samples(20, 60, 21)), baseline, slo);
    expect(j.verdict).toBe('worse');
    expect(j.reasons.join(' ')).toMatch(/time to first token .*Mann-Whitney/);
    expect(j.reasons.join(' ')).toMatch(/inter-token latency/);
  });

  it('ignores a significant but immaterial slow-down', () => {
    expect(judgeCanary(group(samples(40, 22, 7.5)), group(samples(40, 20, 7)), slo).verdict).toBe('ok');
  });

  it('finds an error-prone canary from its samples plus its client traffic', () => {
    const failing = [...samples(16, 20, 7), ...samples(4, 0, 0, { ok: false, correct: null, ttftMs: undefined, itlMs: undefined })];
    const j = judgeCanary(group(failing, { trafficRequests: 20, trafficErrors: 4 }), group(samples(30, 20, 7), { trafficRequests: 200 }), slo);
    expect(j.verdict).toBe('worse');
    expect(j.reasons[0]).toMatch(/error rate 20\.0% vs baseline 0\.0%/);
  });

  it('treats one wrong answer as a fact, and an unhealthy canary as worse', () => {
    expect(judgeCanary(group([...samples(3, 20, 7), { ok: true, correct: false, ttftMs: 20, itlMs: 7 }]), baseline, slo).verdict).toBe('worse');
    expect(judgeCanary(group(samples(3, 20, 7), { healthy: false, unhealthyReason: 'gpu xid' }), baseline, slo).reasons[0]).toContain('gpu xid');
  });
});

describe('judgeGreen', () => {
  it('checks green against absolute SLOs', () => {
    expect(judgeGreen(group(samples(20, 20, 7)), DEFAULT_DEPLOY_SLO).verdict).toBe('ok');
    expect(judgeGreen(group(samples(20, 3000, 7)), DEFAULT_DEPLOY_SLO).reasons[0]).toMatch(/TTFT p99 300\d(\.\d)?ms > 2000ms/);
    expect(judgeGreen(group(samples(20, 20, 7, { correct: false })), DEFAULT_DEPLOY_SLO).verdict).toBe('worse');
  });
});
