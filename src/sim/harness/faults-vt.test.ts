// Faults on a serving replica in virtual time (these replaced sleep-based cases of test/lab.test.ts:
// the lab keeps replica.crash, gpu.xid and replica.stream-cut end to end, with real processes and clients).
// The real control plane, chaos engine and gateway pools run on the VirtualClock; each case checks
// what clients saw, how soon the victim left routing, and that it came back after the heal.
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { DEFAULT_HEALTH_POLICY } from '../../policy/health.js';
import type { ScheduledFault } from '../../chaos/engine.js';
import { runSeed, type SeedResult } from './harness.js';
import { detectionBoundMs } from './invariants.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 40_000, faultsMax: 1, faultMinMs: 2_000, faultMaxMs: 10_000 };
const at = (r: SeedResult, pattern: RegExp, fromMs = 0): number => Number(r.trace!.find((l) => pattern.test(l) && Number(l.split(' ')[0]) >= fromMs)?.split(' ')[0] ?? NaN);
const bound = detectionBoundMs(DEFAULT_HEALTH_POLICY);

describe('faults on a serving replica, in virtual time', () => {
  for (const [kind, victim] of [
    ['replica.crash', 'us-east-1/primary/0'],
    ['gpu.xid', 'us-east-1/primary/1'],
    ['replica.hang', 'us-east-1/primary/0'],
    ['model.corrupt', 'us-east-1/primary/1'],
  ] as const) {
    it(`${kind}: no client request fails, the victim leaves routing within the detection bound and returns after the heal`, async () => {
      const schedule: ScheduledFault[] = [{ faultId: 'f1', kind, target: victim, atMs: 15_000, forMs: 10_000 }];
      const r = await runSeed({ topology, seed: 21, history, schedule, deploy: null, ha: false, keepTrace: true, requestIntervalMs: 50 });
      expect(r.violations).toEqual([]);
      expect(r.requests.total).toBeGreaterThan(2000);
      // a corrupt model answers (wrongly) until the known-answer probe catches it; every other
      // fault is retried on another replica by the gateway: nothing fails
      expect(r.requests.failed).toBe(0);
      const victimRe = victim.replace(/\//g, '\\/');
      const removed = at(r, new RegExp(` routing\\.removed ${victimRe}`), 15_000);
      expect(removed - 15_000).toBeLessThanOrEqual(bound);
      if (kind === 'model.corrupt') {
        expect(r.trace!.some((l) => new RegExp(`health\\.unhealthy ${victimRe} — inference: wrong answer to the known-answer probe`).test(l))).toBe(true);
        // wrong answers stop once it is out of routing (within one probe interval of the fault)
        expect(r.requests.wrong).toBeGreaterThan(0);
        expect(r.requests.wrong).toBeLessThan(((DEFAULT_HEALTH_POLICY.intervalMs + 100) / 50) * 2);
      }
      expect(at(r, new RegExp(` routing\\.added ${victimRe}`), removed)).toBeGreaterThan(25_000);
    });
  }
});
