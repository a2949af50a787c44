import { describe, expect, it } from 'vitest';
import { cpuBetween, suiteCostLine } from './suite-cost.js';

describe('suite cost line', () => {
  it('gives wall time, CPU of halab and of its labs, cores busy and the load average', () => {
    const line = suiteCostLine(300, { self: 1, children: 10 }, { self: 21, children: 610 }, [1, 0.5, 0.25], [2.5, 2, 1.5]);
    expect(line).toBe('cost: 300 s wall, CPU 620 s (halab 20.0 s + labs 600 s) = 2.07 cores busy on average; load average 1.00 0.50 0.25 → 2.50 2.00 1.50');
  });

  it('says so when the CPU cannot be read', () => {
    expect(suiteCostLine(5, undefined, { self: 1, children: 1 }, [0, 0, 0], [0, 0, 0])).toContain('CPU unknown (no /proc)');
    expect(cpuBetween({ self: 2, children: 3 }, undefined)).toBeUndefined();
    expect(cpuBetween({ self: 2, children: 3 }, { self: 5, children: 4 })).toEqual({ self: 3, children: 1 });
  });
});
