import { describe, expect, it } from 'vitest';
import { ejectionMs, nextEjectionCount } from './ejection.js';

describe('ejection', () => {
  it('doubles each consecutive ejection up to the cap', () => {
    const cfg = { baseEjectionMs: 1000, maxEjectionMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => ejectionMs(n, cfg))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('forgives one ejection per decay period back in service', () => {
    expect(nextEjectionCount(0, undefined, 60_000)).toBe(1);
    expect(nextEjectionCount(3, undefined, 60_000)).toBe(4);
    expect(nextEjectionCount(3, 59_999, 60_000)).toBe(4);
    expect(nextEjectionCount(3, 120_000, 60_000)).toBe(2);
    expect(nextEjectionCount(3, 10 * 60_000, 60_000)).toBe(1);
  });
});
