import { describe, expect, it } from 'vitest';
import { parseNumberFlag } from './number-flags.js';

describe('number flags', () => {
  it('accepts numbers in range', () => {
    expect(parseNumberFlag('--factor', '2.5', { above: 0 })).toBe(2.5);
    expect(parseNumberFlag('--count', ' 3 ', { integer: true, min: 1 })).toBe(3);
  });

  it('refuses text, NaN, infinities, fractions and out-of-range values, naming the flag', () => {
    for (const [text, range] of [
      ['abc', {}],
      ['', {}],
      ['NaN', {}],
      ['Infinity', {}],
      ['1.5', { integer: true }],
      ['0', { above: 0 }],
      ['-1', { min: 0 }],
      ['2', { max: 1 }],
    ] as const) {
      expect(() => parseNumberFlag('--factor', text, range)).toThrow(/--factor must be a/);
    }
    try {
      parseNumberFlag('--factor', 'abc', { above: 0 });
    } catch (err) {
      expect(err).toMatchObject({ code: 'USAGE', message: '--factor must be a number, greater than 0, not "abc"' });
    }
  });
});
