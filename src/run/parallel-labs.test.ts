import { describe, expect, it } from 'vitest';
import { labPaths } from '../process/paths.js';
import { defaultParallelLabs, moveAddresses, runOnWorkers, workerLabPaths } from './parallel-labs.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('parallel labs', () => {
  it('gives each worker its own lab directory and loopback block', () => {
    const base = labPaths('/tmp/h');
    expect(workerLabPaths(0, base)).toEqual(base);
    expect(workerLabPaths(2, base).labDir).toBe('/tmp/h/parallel-2/lab');
    expect(workerLabPaths(2, base).lockFile).not.toBe(base.lockFile);
    const doc = { regions: [{ name: 'a', host: '127.0.1.1' }, { name: 'b', host: '127.0.42.1' }], controlPlane: { instances: 3 } };
    expect(moveAddresses(doc, 0)).toBe(doc);
    expect(moveAddresses(doc, 3)).toEqual({ regions: [{ name: 'a', host: '127.3.1.1' }, { name: 'b', host: '127.3.42.1' }], controlPlane: { instances: 3, host: '127.3.0.1' } });
  });

  it('takes a default from the core count: at least 2, at most 8', () => {
    expect(defaultParallelLabs(1)).toBe(2);
    expect(defaultParallelLabs(2)).toBe(2);
    expect(defaultParallelLabs(8)).toBe(4);
    expect(defaultParallelLabs(64)).toBe(8);
  });

  it('runs at most n jobs at once, returns results in job order, and an error is only its job\'s result', async () => {
    let running = 0;
    let most = 0;
    const results = await runOnWorkers([30, 10, 20, 5, 15], 2, async (ms, worker) => {
      running++;
      most = Math.max(most, running);
      await sleep(ms);
      running--;
      if (ms === 5) throw new Error('five');
      return `${ms}@${worker < 2 ? 'ok' : 'bad'}`;
    });
    expect(most).toBe(2);
    expect(results.map((r) => (r instanceof Error ? r.message : r))).toEqual(['30@ok', '10@ok', '20@ok', 'five', '15@ok']);
  });

  it('stops taking jobs once the signal is aborted', async () => {
    const stop = new AbortController();
    const results = await runOnWorkers([1, 2, 3, 4], 1, async (n) => {
      if (n === 2) stop.abort();
      return n;
    }, stop.signal);
    expect(results).toEqual([1, 2, undefined, undefined]);
  });
});
