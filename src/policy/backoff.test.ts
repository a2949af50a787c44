import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { Backoff, backoffDelayMs, reconnectDelayMs } from './backoff.js';

describe('backoff', () => {
  it('doubles from the base to the cap without jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, { baseMs: 100, maxMs: 2000 }))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffDelayMs(0, { baseMs: 100, maxMs: 2000 })).toBe(100);
    expect([1, 2, 3].map((n) => backoffDelayMs(n, { baseMs: 10, maxMs: 1000, multiplier: 3 }))).toEqual([10, 30, 90]);
  });

  it('jitters within [(1 - jitter)·ceiling, ceiling], the same for the same seed', () => {
    const cfg = { baseMs: 100, maxMs: 2000, jitter: 0.5 };
    const rng = createRng(1);
    for (let n = 1; n <= 8; n++) {
      const ceiling = Math.min(2000, 100 * 2 ** (n - 1));
      for (let i = 0; i < 20; i++) {
        const ms = backoffDelayMs(n, cfg, rng);
        expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
        expect(ms).toBeLessThanOrEqual(ceiling);
      }
    }
    const draws = (seed: number): number[] => {
      const r = createRng(seed);
      return [1, 2, 3, 4].map((n) => backoffDelayMs(n, cfg, r));
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
    expect(() => backoffDelayMs(1, cfg)).toThrow(/rng/);
  });

  it('counts attempts until reset', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000 });
    expect([b.nextMs(), b.nextMs(), b.nextMs(), b.nextMs(), b.nextMs()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    expect(b.nextMs()).toBe(100);
  });

  it('reconnects to the next address quickly, and backs off once a whole round failed', () => {
    expect([0, 1, 2, 6].map((r) => reconnectDelayMs(r))).toEqual([50, 100, 200, 2000]);
  });
});
