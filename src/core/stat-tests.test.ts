import { describe, expect, it } from 'vitest';
import { binomialUpperTail, mannWhitneyGreater, normalUpperTail, predictionFactor, rateIncreaseTest, studentTCdf, studentTQuantile } from './stat-tests.js';

describe('statistical tests against known values', () => {
  it('normal upper tail', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalUpperTail(2.326348)).toBeCloseTo(0.01, 6);
    // relative accuracy deep in the tail: P(Z > 6) = 9.865876e-10
    expect(normalUpperTail(6) / 9.865876e-10).toBeCloseTo(1, 5);
  });

  it("Student's t quantiles match the tables", () => {
    expect(studentTQuantile(0.99, 2)).toBeCloseTo(6.964557, 4);
    expect(studentTQuantile(0.99, 4)).toBeCloseTo(3.746947, 4);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 4);
    expect(studentTQuantile(0.995, 2)).toBeCloseTo(9.924843, 4);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 10);
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 8); // Cauchy
    expect(predictionFactor(0.01, 5)).toBeCloseTo(3.746947 * Math.sqrt(1 + 1 / 5), 4);
    expect(() => predictionFactor(0.01, 1)).toThrow(/at least 2/);
  });

  it('Mann-Whitney U: exact for small samples without ties', () => {
    // 3 vs 3, complete separation: U = 9, p = 1 / C(6,3) = 0.05
    expect(mannWhitneyGreater([4, 5, 6], [1, 2, 3])).toEqual({ u: 9, p: 0.05, method: 'exact' });
    expect(mannWhitneyGreater([1, 2, 3], [4, 5, 6])).toMatchObject({ u: 0, p: 1 });
    // 4 vs 4, U = 14: arrangements with U = 16, 15, 14 number 1, 1, 2 of C(8,4) = 70
    expect(mannWhitneyGreater([3, 6, 7, 8], [1, 2, 4, 5]).p).toBeCloseTo(4 / 70, 10);
  });

  it('Mann-Whitney U: normal approximation with ties and continuity correction', () => {
    const x = [4, 5, 6, 6];
    const y = [1, 2, 3, 6];
    const r = mannWhitneyGreater(x, y);
    expect(r.method).toBe('normal');
    expect(r.u).toBe(13); // 3 + 3 + 3.5 + 3.5: the tie at 6 counts 1/2
    // by hand: var = (16/12)(9 - 24/56) = 11.428571, z = (13 - 8 - 0.5)/3.380617 = 1.331117,
    // P(Z > 1.3311) = 0.09157 (tables: Φ(1.33) = 0.90824, Φ(1.34) = 0.90988)
    expect(r.p).toBeCloseTo(0.09157, 4);
    // big samples shifted by 1.5x are told apart; identical ones are not
    const base = Array.from({ length: 400 }, (_, i) => 100 + (i % 40));
    expect(mannWhitneyGreater(base.map((v) => v * 1.5), base).p).toBeLessThan(1e-10);
    expect(mannWhitneyGreater(base, base).p).toBeGreaterThan(0.4);
  });

  it('exact binomial tails and the rate test', () => {
    expect(binomialUpperTail(5, 5, 0.5)).toBeCloseTo(1 / 32, 12);
    expect(binomialUpperTail(1, 10, 0.1)).toBeCloseTo(1 - 0.9 ** 10, 12);
    expect(binomialUpperTail(0, 10, 0.1)).toBe(1);
    // one failure now (800 requests) and none in 2400 baseline requests: p = 800/3200
    expect(rateIncreaseTest(1, 800, 0, 2400)).toBeCloseTo(0.25, 12);
    // 6 now vs 2 in a 3x bigger baseline: P(Bin(8, 0.25) >= 6) = 0.004227
    expect(rateIncreaseTest(6, 800, 2, 2400)).toBeCloseTo(0.0042266, 6);
  });
});
