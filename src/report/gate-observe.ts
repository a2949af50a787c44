// What the gate looks at in one run, from its records alone: per-request TTFTs (a distribution),
// counts of bad outcomes with their exposure (failed, truncated, wrong answers, lost writes), and
// single-valued figures (detection, failover, RTO, failback, TTFT p99, deploy duration and TTFT
// ratio, RPO, restore, leader change, resumed requests). Every metric is one where lower is better.
import { join } from 'node:path';
import { readRecords } from '../record/record-io.js';
import type { RequestRecord } from '../record/records.js';
import type { RunMetrics } from '../measure/run-metrics.js';
import { ttftMs } from '../measure/requests.js';
import { buildRunReport, RUN_FILES } from './run-report.js';

/** A single-valued figure's noise floor: the gate never allows less slack than this. */
export interface FigureSpec {
  readonly unit: 'ms' | 'ratio' | 'count';
  /** Smallest margin, in the figure's unit. */
  readonly absFloor: number;
  /** Smallest margin, as a fraction of the baseline mean. */
  readonly relFloor: number;
  readonly about: string;
}

/**
 * Single-valued figures and their floors. The floors are the measurement's own resolution (RTO
 * counts whole 1 s buckets) or the jitter a healthy lab shows between runs on a loaded machine.
 */
export const FIGURE_SPECS: Readonly<Record<string, FigureSpec>> = Object.freeze({
  detectionMs: { unit: 'ms', absFloor: 100, relFloor: 0.25, about: 'worst fault detection' },
  failoverMs: { unit: 'ms', absFloor: 150, relFloor: 0.25, about: 'worst failover' },
  rtoMs: { unit: 'ms', absFloor: 1000, relFloor: 0.25, about: 'worst RTO (1 s buckets)' },
  failbackMs: { unit: 'ms', absFloor: 500, relFloor: 0.25, about: 'worst region failback' },
  ttftP99Ms: { unit: 'ms', absFloor: 50, relFloor: 0.5, about: 'TTFT p99 over the run' },
  deployDurationMs: { unit: 'ms', absFloor: 500, relFloor: 0.1, about: 'longest deployment' },
  deployTtftRatio: { unit: 'ratio', absFloor: 0.3, relFloor: 0.15, about: 'TTFT p99 during a deploy ÷ steady' },
  deployDetectionMs: { unit: 'ms', absFloor: 500, relFloor: 0.25, about: 'bad version → rollback decided' },
  rpoMs: { unit: 'ms', absFloor: 250, relFloor: 0.25, about: 'RPO of stored completions' },
  restoreMs: { unit: 'ms', absFloor: 500, relFloor: 0.25, about: 'disaster → restored control plane' },
  leaderChangeMs: { unit: 'ms', absFloor: 500, relFloor: 0.25, about: 'leader killed → next leader' },
  resumedRequests: { unit: 'count', absFloor: 5, relFloor: 0.5, about: 'requests resumed mid-stream' },
});

/** Counts of bad outcomes, each tested as a rate per unit of exposure. */
export const COUNT_METRICS = ['failedRequests', 'truncatedRequests', 'wrongAnswers', 'lostWrites'] as const;
export type CountMetric = (typeof COUNT_METRICS)[number];

export interface CountObservation {
  readonly count: number;
  /** Requests (or acknowledged writes, for lostWrites) the count is out of. */
  readonly exposure: number;
}

export interface RunObservation {
  readonly scenario: string;
  readonly seed: number;
  /** Time to first token of every request that got a token, ms. */
  readonly ttftMs: readonly number[];
  readonly counts: Readonly<Partial<Record<CountMetric, CountObservation>>>;
  /** Single-valued figures; null when the run should have one and did not (never detected...). */
  readonly figures: Readonly<Record<string, number | null>>;
  /** Lab time scale the run ran at (absent: 1); a run is only comparable with a baseline of its scale. */
  readonly timeScale?: number;
}

function worst(xs: readonly (number | null | undefined)[]): number | null | undefined {
  const present = xs.filter((x) => x !== undefined);
  if (present.length === 0) return undefined;
  return present.some((x) => x === null) ? null : Math.max(...(present as number[]));
}

/** The gate's view of one run, from its measured metrics and its request records. */
export function observe(scenario: string, seed: number, m: RunMetrics, records: readonly RequestRecord[]): RunObservation {
  const withReplicas = m.faults.filter((f) => f.replicas.length > 0);
  const figures: Record<string, number | null | undefined> = {
    detectionMs: worst(withReplicas.map((f) => f.detectionMs)),
    failoverMs: worst(withReplicas.map((f) => f.failoverMs)),
    rtoMs: worst(m.faults.map((f) => f.rtoMs)),
    failbackMs: worst(m.faults.map((f) => f.failbackMs)),
    ttftP99Ms: m.latency.ttftMs.p99 ?? undefined,
    deployDurationMs: worst(m.deploys.map((d) => d.durationMs)),
    deployTtftRatio: worst(m.deploys.map((d) => d.ttftRatio ?? undefined)),
    deployDetectionMs: worst(m.deploys.map((d) => d.detectionMs ?? undefined)),
    rpoMs: m.rpoMs,
    restoreMs: m.restoreMs,
    leaderChangeMs: m.leaderChangeMs,
    resumedRequests: m.requests.resumed,
  };
  const q = m.requests;
  const counts: Partial<Record<CountMetric, CountObservation>> = {
    failedRequests: { count: q.failed + q.timedOut, exposure: q.total },
    truncatedRequests: { count: q.truncated, exposure: q.total },
    wrongAnswers: { count: q.wrongAnswers, exposure: q.total },
  };
  if (m.storedWrites) counts.lostWrites = { count: m.lostWrites ?? 0, exposure: m.storedWrites.acknowledged };
  return {
    scenario,
    seed,
    ttftMs: records.map(ttftMs).filter((x): x is number => x !== undefined),
    counts,
    figures: Object.fromEntries(Object.entries(figures).filter((e): e is [string, number | null] => e[1] !== undefined)),
  };
}

/** The gate's view of a run directory. */
export function observeRunDir(dir: string): RunObservation {
  const report = buildRunReport(dir);
  const records = readRecords(join(dir, RUN_FILES.requests)).records;
  const o = observe(report.scenario.name, report.seed, report.metrics, records);
  return report.meta.timeScale !== undefined && report.meta.timeScale !== 1 ? { ...o, timeScale: report.meta.timeScale } : o;
}
