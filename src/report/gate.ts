// The regression gate: one statistical test per metric, each at a stated false-alarm rate α.
// - per-request TTFT: one-sided Mann-Whitney U of the run's TTFTs against the baseline sample
//   scaled by (1 + shift margin), the margin being the spread of the baseline runs' medians
//   (at least TTFT_SHIFT_FLOOR): it fails when TTFTs are stochastically larger than that;
// - failed, truncated, wrong and lost counts: zero-defect when no baseline run had one (any one
//   fails); otherwise the exact conditional binomial test of a higher rate per request;
// - single-valued figures: the one-sided (1 − α) prediction limit of the baseline runs (normal
//   model, Student's t), never tighter than the figure's noise floor (FIGURE_SPECS).
// With r repeated runs now, counts and TTFTs are pooled and figures averaged (limit for a mean of r).
import { HalabError } from '../core/errors.js';
import { mannWhitneyGreater, predictionFactor, rateIncreaseTest } from '../core/stat-tests.js';
import type { Baseline } from './baseline.js';
import { COUNT_METRICS, FIGURE_SPECS, type RunObservation } from './gate-observe.js';

/** Per-metric false-alarm rate of every test. */
export const DEFAULT_GATE_ALPHA = 0.01;
/** Smallest TTFT shift the distribution test treats as a regression (25 %: a practical threshold — a CI machine's speed drifts by that much between days). */
export const TTFT_SHIFT_FLOOR = 0.25;
const DEFAULT_FLOOR = { absFloor: 0, relFloor: 0.25 };

export interface GateRow {
  readonly metric: string;
  /** e.g. "mann-whitney-u", "zero-defect", "exact-binomial", "prediction-limit". */
  readonly test: string;
  readonly baseline: number | null;
  readonly now: number | null;
  /** Worst value accepted (figures and zero-defect counts); null for p-value tests. */
  readonly limit: number | null;
  /** p-value of the test, when it has one. */
  readonly p: number | null;
  /** How far below (positive) or beyond (negative) the limit the value is, in the metric's unit. */
  readonly margin: number | null;
  readonly pass: boolean;
  readonly detail: string;
}

export interface GateResult {
  readonly scenario: string;
  readonly baselineRuns: number;
  readonly runsNow: number;
  readonly alpha: number;
  /** Bonferroni bound on the chance that an unchanged run fails some metric: tested metrics × α. */
  readonly familyAlphaBound: number;
  readonly pass: boolean;
  readonly rows: readonly GateRow[];
}

export interface GateOptions {
  readonly alpha?: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const sd = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

function ttftRow(now: readonly RunObservation[], b: Baseline, alpha: number): GateRow | undefined {
  if (b.ttftMs.sample.length === 0) return undefined;
  const pooled = now.flatMap((r) => r.ttftMs);
  const medians = b.ttftMs.perRun.map((r) => r.p50).filter((x): x is number => x !== null && x > 0);
  const spread = medians.length >= 2 ? Math.max(...medians) / Math.min(...medians) - 1 : 0;
  const shift = Math.max(TTFT_SHIFT_FLOOR, spread);
  const base = median(b.ttftMs.sample);
  if (pooled.length === 0) return { metric: 'ttftMs', test: 'mann-whitney-u', baseline: base, now: null, limit: null, p: null, margin: null, pass: false, detail: 'no request got a first token' };
  const r = mannWhitneyGreater(pooled, b.ttftMs.sample.map((x) => x * (1 + shift)));
  const pass = r.p >= alpha;
  return {
    metric: 'ttftMs',
    test: 'mann-whitney-u',
    baseline: round(base, 1),
    now: round(median(pooled), 1),
    limit: null,
    p: r.p,
    margin: null,
    pass,
    detail: `median; one-sided U (${r.method}) of ${pooled.length} TTFTs against ${b.ttftMs.sample.length} baseline TTFTs × ${round(1 + shift, 3)} (shift margin ${(shift * 100).toFixed(1)}%), p ${pass ? '≥' : '<'} α`,
  };
}

function countRow(metric: (typeof COUNT_METRICS)[number], now: readonly RunObservation[], b: Baseline, alpha: number): GateRow | undefined {
  const base = b.counts[metric];
  const seen = now.map((r) => r.counts[metric]).filter((c) => c !== undefined);
  if (!base && seen.length === 0) return undefined;
  const baseCount = base ? base.counts.reduce((s, x) => s + x, 0) : 0;
  const baseExposure = base ? base.exposures.reduce((s, x) => s + x, 0) : 0;
  const count = seen.reduce((s, c) => s + c.count, 0);
  const exposure = seen.reduce((s, c) => s + c.exposure, 0);
  const perRun = (c: number, runs: number): number => round(c / Math.max(1, runs), 3);
  if (baseCount === 0) {
    return {
      metric,
      test: 'zero-defect',
      baseline: 0,
      now: perRun(count, now.length),
      limit: 0,
      p: null,
      margin: -count,
      pass: count === 0,
      detail: `none in ${b.runs} baseline run(s) (${baseExposure} trials): any one fails; now ${count} in ${exposure}`,
    };
  }
  const p = rateIncreaseTest(count, exposure, baseCount, baseExposure);
  return {
    metric,
    test: 'exact-binomial',
    baseline: perRun(baseCount, b.runs),
    now: perRun(count, now.length),
    limit: null,
    p,
    margin: null,
    pass: p >= alpha,
    detail: `per run; rate now ${count}/${exposure} vs baseline ${baseCount}/${baseExposure}, one-sided exact conditional test`,
  };
}

function figureRow(metric: string, now: readonly RunObservation[], b: Baseline, alpha: number): GateRow | undefined {
  const values = b.figures[metric] ?? [];
  const base = values.filter((x): x is number => x !== null);
  const spec = FIGURE_SPECS[metric] ?? { ...DEFAULT_FLOOR, unit: 'ms', about: metric };
  const nowValues = now.map((r) => r.figures[metric]);
  if (base.length === 0) {
    if (values.length === 0 && nowValues.every((v) => v === undefined)) return undefined;
    return { metric, test: 'prediction-limit', baseline: null, now: null, limit: null, p: null, margin: null, pass: true, detail: 'not measured in the baseline: not gated' };
  }
  const center = mean(base);
  const s = sd(base);
  const k = base.length >= 2 ? predictionFactor(alpha, base.length, now.length) : 0;
  const floor = Math.max(spec.absFloor, spec.relFloor * Math.abs(center));
  const slack = Math.max(k * s, floor);
  const limit = round(center + slack, 3);
  const nulls = values.length - base.length;
  const note = `${spec.about}; mean of ${base.length} baseline run(s)${nulls ? ` (${nulls} without one)` : ''}, sd ${round(s, 3)}, limit = mean + max(${round(k, 2)}·sd, floor ${round(floor, 3)})`;
  if (nowValues.some((v) => v === null || v === undefined)) {
    return { metric, test: 'prediction-limit', baseline: round(center, 3), now: null, limit, p: null, margin: null, pass: false, detail: `not measured now (the baseline had it): ${note}` };
  }
  const value = round(mean(nowValues as number[]), 3);
  return { metric, test: 'prediction-limit', baseline: round(center, 3), now: value, limit, p: null, margin: round(limit - value, 3), pass: value <= limit, detail: note };
}

/** Gates one or more runs (repeats of one scenario) against a baseline. */
export function gateRuns(now: readonly RunObservation[], b: Baseline, opts: GateOptions = {}): GateResult {
  const alpha = opts.alpha ?? DEFAULT_GATE_ALPHA;
  if (now.length === 0) throw new RangeError('the gate needs at least one run');
  // figures in real ms of labs compressed differently are not comparable
  const scale = b.timeScale ?? 1;
  const off = now.find((r) => (r.timeScale ?? 1) !== scale);
  if (off) throw new HalabError('USAGE', `the baseline of ${b.scenario} was made at time scale ${scale}, the run at ${off.timeScale ?? 1}: rerun with --time-scale ${scale} (or regenerate the baseline at the run's scale)`);
  const figureNames = [...new Set([...Object.keys(b.figures), ...now.flatMap((r) => Object.keys(r.figures))])].sort();
  const rows = [
    ttftRow(now, b, alpha),
    ...COUNT_METRICS.map((m) => countRow(m, now, b, alpha)),
    ...figureNames.map((m) => figureRow(m, now, b, alpha)),
  ].filter((r): r is GateRow => r !== undefined);
  const tested = rows.filter((r) => r.test !== 'zero-defect' && !r.detail.startsWith('not measured in the baseline')).length;
  return {
    scenario: b.scenario,
    baselineRuns: b.runs,
    runsNow: now.length,
    alpha,
    familyAlphaBound: round(tested * alpha, 4),
    pass: rows.every((r) => r.pass),
    rows,
  };
}
