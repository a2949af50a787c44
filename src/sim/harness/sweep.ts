// The seed sweep: many short randomized fault histories through the harness, each violated
// invariant reported with the seed that reproduces it. Every `recheckEvery`-th seed runs twice and
// its two traces must hash the same (same seed → same trace; the second run settles every instant
// fully, so this also checks the harness's fast settle).
import type { Topology } from '../../config/topology.js';
import { runSeed, type HarnessOptions, type RequestTally, type SeedResult } from './harness.js';
import { INVARIANTS, type Violation } from './invariants.js';

export interface SweepOptions extends Omit<HarnessOptions, 'seed' | 'keepTrace'> {
  readonly topology: Topology;
  readonly seeds: number;
  readonly firstSeed: number;
  /** Run every n-th seed twice and compare traces (0: never). */
  readonly recheckEvery?: number;
  /** Called after each seed (progress). */
  readonly onSeed?: (result: SeedResult) => void;
}

export interface SeedViolation extends Violation {
  readonly seed: number;
}

export interface SweepResult {
  readonly seeds: number;
  readonly violations: readonly SeedViolation[];
  /** Violations per check name. */
  readonly byCheck: Readonly<Record<string, number>>;
  readonly simulatedMs: number;
  readonly requests: RequestTally;
  readonly faults: number;
}

export const DEFAULT_RECHECK_EVERY = 10;

export async function sweep(opts: SweepOptions): Promise<SweepResult> {
  const recheck = opts.recheckEvery ?? DEFAULT_RECHECK_EVERY;
  const violations: SeedViolation[] = [];
  let simulatedMs = 0;
  let faults = 0;
  const requests = { total: 0, served: 0, failed: 0, wrong: 0 };
  for (let i = 0; i < opts.seeds; i++) {
    const seed = opts.firstSeed + i;
    const r = await runSeed({ ...opts, seed });
    simulatedMs += r.simulatedMs;
    faults += r.schedule.length;
    for (const k of ['total', 'served', 'failed', 'wrong'] as const) requests[k] += r.requests[k];
    for (const v of r.violations) violations.push({ ...v, seed });
    if (recheck > 0 && i % recheck === 0) {
      // the rerun also settles the event loop fully after every instant: the fast path must agree
      const again = await runSeed({ ...opts, seed, strictSettle: true });
      if (again.traceHash !== r.traceHash) {
        violations.push({ seed, check: INVARIANTS.sameTrace, atMs: 0, message: `seed ${seed} gave two traces (${r.traceHash} then ${again.traceHash})` });
      }
    }
    opts.onSeed?.(r);
  }
  const byCheck: Record<string, number> = {};
  for (const v of violations) byCheck[v.check] = (byCheck[v.check] ?? 0) + 1;
  return { seeds: opts.seeds, violations, byCheck, simulatedMs, requests, faults };
}
