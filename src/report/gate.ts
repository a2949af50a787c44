// The regression gate: one statistical test per metric, each at a stated false-alarm rate α.
// - TTFT: each run's median TTFT (log scale) against the one-sided (1 − α) prediction limit of
//   the baseline runs' medians, never tighter than a TTFT_SHIFT_FLOOR shift (with one baseline
//   run: the per-request Mann-Whitney U against the baseline sample × (1 + floor));
// - failed, truncated, wrong and lost counts: zero-defect when no baseline run had one (any one
//   fails); otherwise the exact conditional binomial test of a higher rate per request;
// - single-valued figures: the one-sided (1 − α) prediction limit of the baseline runs (normal
//   model, Student's t), never tighter than the figure's noise floor (FIGURE_SPECS).
// With r repeated runs now, counts and TTFTs are pooled and figures averaged (limit for a mean of r).
import { HalabError } from '../core/errors.js';
import { mannWhitneyGreater, predictionFactor, rateIncreaseTest, studentTCdf } from '../core/stat-tests.js';
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

/**
 * TTFT: the run, not the request, is the unit of replication (requests of one run share the
 * machine's state, so a per-request test sees machine noise between runs as a shift). Each run's
 * median TTFT, on a log scale, against the one-sided (1 − α) prediction limit of the baseline
 * runs' log medians (Student's t: the between-run spread and its estimate from n runs accounted
 * for), never tighter than a TTFT_SHIFT_FLOOR shift. A regression that slows every request by a
 * factor f moves the log median by exactly log f. With one baseline run (no spread to go by), the
 * per-request Mann-Whitney U against the baseline sample × (1 + floor) decides instead.
 */
function ttftRow(now: readonly RunObservation[], b: Baseline, alpha: number): GateRow | undefined {
  if (b.ttftMs.sample.length === 0) return undefined;
  const pooled = now.flatMap((r) => r.ttftMs);
  const base = median(b.ttftMs.sample);
  if (pooled.length === 0 || now.some((r) => r.ttftMs.length === 0)) {
    return { metric: 'ttftMs', test: 'run-median-limit', baseline: round(base, 1), now: null, limit: null, p: null, margin: null, pass: false, detail: 'a run with no request that got a first token' };
  }
  const baseLogs = b.ttftMs.perRun.map((r) => r.p50).filter((x): x is number => x !== null && x > 0).map(Math.log);
  if (baseLogs.length < 2) {
    const r = mannWhitneyGreater(pooled, b.ttftMs.sample.map((x) => x * (1 + TTFT_SHIFT_FLOOR)));
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
      detail: `median; one baseline run (no between-run spread): one-sided U (${r.method}) of ${pooled.length} TTFTs against ${b.ttftMs.sample.length} baseline TTFTs × ${1 + TTFT_SHIFT_FLOOR}, p ${pass ? '≥' : '<'} α`,
    };
  }
  const n = baseLogs.length;
  const m = mean(baseLogs);
  const s = sd(baseLogs);
  const k = predictionFactor(alpha, n, now.length);
  const floor = Math.log(1 + TTFT_SHIFT_FLOOR);
  const slack = Math.max(k * s, floor);
  const nowLog = mean(now.map((r) => Math.log(median(r.ttftMs))));
  const se = s * Math.sqrt(1 / now.length + 1 / n);
  const p = se > 0 ? 1 - studentTCdf((nowLog - m) / se, n - 1) : nowLog > m ? 0 : 1;
  const limit = Math.exp(m + slack);
  const value = Math.exp(nowLog);
  return {
    metric: 'ttftMs',
    test: 'run-median-limit',
    baseline: round(Math.exp(m), 1),
    now: round(value, 1),
    limit: round(limit, 1),
    p: round(p, 6),
    margin: round(limit - value, 1),
    pass: nowLog <= m + slack,
    detail: `median TTFT per run (geometric mean over ${now.length} run(s)) against ${n} baseline runs' medians: between-run sd ×${round(Math.exp(s), 3)}, limit = ×${round(Math.exp(slack), 3)} = max(${round(k, 2)}·sd, floor ×${1 + TTFT_SHIFT_FLOOR}) on a log scale; p of the t statistic ${round(p, 4)}`,
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
  if (base.length < 2) {
    // one value: no spread to set a limit at α from (a floor alone raised false alarms on real runs)
    const v = nowValues.every((x) => typeof x === 'number') ? round(mean(nowValues as number[]), 3) : null;
    return { metric, test: 'prediction-limit', baseline: round(base[0]!, 3), now: v, limit: null, p: null, margin: null, pass: true, detail: `${spec.about}; one baseline run has it (${values.length - 1} without): no spread to set a limit from — not gated; make the baseline from more runs` };
  }
  const center = mean(base);
  const s = sd(base);
  const k = predictionFactor(alpha, base.length, now.length);
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
