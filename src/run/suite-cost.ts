// What a run or a suite cost the machine: wall time, the CPU seconds of the `halab` process and of
// the processes it started once they ended (the labs' components, a parallel suite's child runs
// and their labs), and the load average before and after, so a suite's time can be judged against
// the machine it ran on (a 2-core runner has 2 CPU-seconds per wall second at most).
import type { CpuSeconds } from '../process/owned.js';

const fmtLoad = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');

/** The CPU used between two readings (undefined when either is missing: no /proc). */
export function cpuBetween(before: CpuSeconds | undefined, after: CpuSeconds | undefined): CpuSeconds | undefined {
  if (!before || !after) return undefined;
  return { self: Math.max(0, after.self - before.self), children: Math.max(0, after.children - before.children) };
}

/**
 * `cost: 312 s wall, CPU 655 s (halab 21 s + labs 634 s) = 2.10 cores busy on average; load average 1.02 0.50 0.30 → 2.31 1.90 1.20`.
 */
export function suiteCostLine(wallS: number, before: CpuSeconds | undefined, after: CpuSeconds | undefined, loadBefore: readonly number[], loadAfter: readonly number[]): string {
  const used = cpuBetween(before, after);
  const cpu = used
    ? `CPU ${(used.self + used.children).toFixed(0)} s (halab ${used.self.toFixed(1)} s + labs ${used.children.toFixed(0)} s) = ${wallS > 0 ? ((used.self + used.children) / wallS).toFixed(2) : '0.00'} cores busy on average`
    : 'CPU unknown (no /proc)';
  return `cost: ${wallS.toFixed(0)} s wall, ${cpu}; load average ${fmtLoad(loadBefore)} → ${fmtLoad(loadAfter)}`;
}
