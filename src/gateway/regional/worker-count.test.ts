import { describe, expect, it } from 'vitest';
import { defaultWorkerCount } from './worker-count.js';
import { perWorker } from './workers.js';

describe('edge workers', () => {
  it('default to one per four cores, 1 on a 2-core machine, at most 8', () => {
    expect([1, 2, 4, 7, 8, 16, 64].map((c) => defaultWorkerCount(c))).toEqual([1, 1, 1, 1, 2, 4, 8]);
  });

  it('split a process-wide bound so the workers together keep it (at least 1 each)', () => {
    expect(perWorker(2048, 1)).toBe(2048);
    expect(perWorker(2048, 4)).toBe(512);
    expect(perWorker(10, 4)).toBe(3);
    expect(perWorker(1, 4)).toBe(1);
  });
});
